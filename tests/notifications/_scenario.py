"""One scripted run that makes the emulator emit every notification type (§7.2 order)."""

from __future__ import annotations

import time
from typing import Any

from jellyfish import ComponentOptionsHLS, PeerOptionsWebRTC, RoomApi
from jellyfish.events import ServerMessage as S
from jellyfish.testing import FakePeer

Step = tuple[type[Any], dict[str, str]]


def run_scenario(server: Any, webhook_url: str | None = None) -> list[Step]:
    """Drive the emulator; returns the expected notifications (type, fields), in order."""
    expected: list[Step] = []
    with RoomApi(server_address=server.address, server_api_token=server.token) as api:
        _, room = api.create_room(video_codec="h264", webhook_url=webhook_url)
        r = room.id
        expected.append((S.RoomCreated, {"room_id": r}))

        token, peer = api.add_peer(r, PeerOptionsWebRTC())
        expected.append((S.PeerAdded, {"room_id": r, "peer_id": peer.id}))

        fake = FakePeer(f"{server.address}", token)
        expected.append((S.PeerConnected, {"room_id": r, "peer_id": peer.id}))

        server.set_peer_metadata(r, peer.id, {"name": "alice"})
        expected.append((S.PeerMetadataUpdated, {"room_id": r, "peer_id": peer.id}))

        track = server.add_track(r, peer.id, "audio", {"source": "mic"})
        expected.append((S.TrackAdded, {"room_id": r, "peer_id": peer.id}))
        server.update_track_metadata(r, peer.id, track, {"muted": True})
        expected.append((S.TrackMetadataUpdated, {"room_id": r, "peer_id": peer.id}))
        server.remove_track(r, peer.id, track)
        expected.append((S.TrackRemoved, {"room_id": r, "peer_id": peer.id}))

        # a socket close sends PeerDisconnected first, then the peer's tracks' TrackRemoved
        server.add_track(r, peer.id, "video")
        expected.append((S.TrackAdded, {"room_id": r, "peer_id": peer.id}))
        fake.close()
        fake.wait_closed(5)
        # the server handles the close asynchronously: wait until it has, so that the
        # next operation's notifications come after PeerDisconnected
        _wait_disconnected(api, r, peer.id)
        expected.append((S.PeerDisconnected, {"room_id": r, "peer_id": peer.id}))
        expected.append((S.TrackRemoved, {"room_id": r, "peer_id": peer.id}))

        # a peer endpoint crash: TrackRemoved x n, then PeerCrashed
        token2, peer2 = api.add_peer(r, PeerOptionsWebRTC())
        expected.append((S.PeerAdded, {"room_id": r, "peer_id": peer2.id}))
        fake2 = FakePeer(f"{server.address}", token2)
        expected.append((S.PeerConnected, {"room_id": r, "peer_id": peer2.id}))
        server.add_track(r, peer2.id, "video")
        expected.append((S.TrackAdded, {"room_id": r, "peer_id": peer2.id}))
        server.crash_peer(r, peer2.id, "boom")
        expected.append((S.TrackRemoved, {"room_id": r, "peer_id": peer2.id}))
        expected.append((S.PeerCrashed, {"room_id": r, "peer_id": peer2.id, "reason": "boom"}))
        fake2.wait_closed(5)

        component = api.add_component(r, ComponentOptionsHLS())
        hls_id = server.hls_playable(r)
        expected.append((S.HlsPlayable, {"room_id": r, "component_id": component.id}))
        assert hls_id == component.id
        server.hls_uploaded(r)
        expected.append((S.HlsUploaded, {"room_id": r}))
        server.hls_upload_crashed(r)
        expected.append((S.HlsUploadCrashed, {"room_id": r}))
        server.crash_component(r, component.id)
        expected.append((S.ComponentCrashed, {"room_id": r, "component_id": component.id}))

        # room delete: per remaining peer PeerDeleted (no PeerDisconnected), then RoomDeleted
        # (the crashed peer is already gone)
        api.delete_room(r)
        expected.append((S.PeerDeleted, {"room_id": r, "peer_id": peer.id}))
        expected.append((S.RoomDeleted, {"room_id": r}))

        _, crashing = api.create_room(webhook_url=webhook_url)
        expected.append((S.RoomCreated, {"room_id": crashing.id}))
        server.crash_room(crashing.id)
        expected.append((S.RoomCrashed, {"room_id": crashing.id}))
    return expected


def _wait_disconnected(api: RoomApi, room_id: str, peer_id: str) -> None:
    deadline = time.monotonic() + 5
    while True:
        peers = {p.id: p for p in api.get_room(room_id).peers}
        if str(peers[peer_id].status) == "disconnected":
            return
        if time.monotonic() > deadline:
            raise AssertionError("the peer never became disconnected")
        time.sleep(0.002)


def matches(received: list[Any], expected: list[Step]) -> bool:
    if len(received) != len(expected):
        return False
    for event, (kind, fields) in zip(received, expected, strict=True):
        if type(event) is not kind:
            return False
        if any(getattr(event, name) != value for name, value in fields.items()):
            return False
    return True


def describe(events: list[Any], expected: list[Step] | None = None) -> str:
    """The received sequence, and where it first differs from ``expected``."""
    names = [type(e).__name__ for e in events]
    if expected is None:
        return str(names)
    wanted = [kind.__name__ for kind, _ in expected]
    for index, (event, (kind, fields)) in enumerate(zip(events, expected, strict=False)):
        if type(event) is not kind or any(getattr(event, k) != v for k, v in fields.items()):
            return f"first difference at {index}: got {event!r}, expected {kind.__name__} {fields}"
    return f"lengths differ: got {names}, expected {wanted}"


ALL_TYPES = {
    S.RoomCreated,
    S.RoomDeleted,
    S.RoomCrashed,
    S.PeerAdded,
    S.PeerDeleted,
    S.PeerConnected,
    S.PeerDisconnected,
    S.PeerCrashed,
    S.PeerMetadataUpdated,
    S.ComponentCrashed,
    S.TrackAdded,
    S.TrackRemoved,
    S.TrackMetadataUpdated,
    S.HlsPlayable,
    S.HlsUploaded,
    S.HlsUploadCrashed,
}
