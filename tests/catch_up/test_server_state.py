"""The catch-up model, without I/O: states from REST, events applied, catch-up between two."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from jellyfish import Delivery, ServerState
from jellyfish.events import (
    ServerMessageHlsPlayable,
    ServerMessagePeerAdded,
    ServerMessagePeerConnected,
    ServerMessagePeerDeleted,
    ServerMessagePeerDisconnected,
    ServerMessagePeerMetadataUpdated,
    ServerMessageRoomCreated,
    ServerMessageRoomDeleted,
    ServerMessageTrack,
    ServerMessageTrackAdded,
    ServerMessageTrackRemoved,
    ServerMessageTrackType,
)

ROOM_JSON = {
    "id": "r1",
    "config": {"roomId": "r1"},
    "components": [
        {"id": "c1", "type": "file", "properties": {}, "tracks": [{"id": "t9", "type": "video"}]},
        {"id": "c2", "type": "hls", "properties": {}, "tracks": []},
    ],
    "peers": [
        {
            "id": "p1",
            "type": "webrtc",
            "status": "connected",
            "metadata": {"name": "alice"},
            "tracks": [{"id": "t1", "type": "audio", "metadata": None}],
        },
        {"id": "p2", "type": "webrtc", "status": "disconnected", "metadata": None, "tracks": []},
    ],
}


def replay(state: ServerState, deliveries: list[Delivery]) -> ServerState:
    result = state.copy()
    for delivery in deliveries:
        result.apply(delivery.event)
    return result


def test_from_rest_json_keeps_what_notifications_can_tell() -> None:
    state = ServerState.from_rooms([ROOM_JSON])
    room = state.rooms["r1"]
    assert set(room.peers) == {"p1", "p2"}
    assert room.peers["p1"].status == "connected"
    assert room.peers["p1"].metadata == {"name": "alice"}
    assert room.peers["p1"].tracks["t1"].type == "audio"
    # a component is known through its tracks: c2 has none
    assert set(room.components) == {"c1"}


def kinds(deliveries: list[Delivery]) -> list[str]:
    """The class names of the events, in order."""
    return [type(d.event).__name__ for d in deliveries]


def test_a_new_room_is_synthesized_in_the_servers_order() -> None:
    deliveries = ServerState().catch_up(ServerState.from_rooms([ROOM_JSON]))
    assert all(d.synthetic and d.source == "catch_up" for d in deliveries)
    assert kinds(deliveries) == [
        "ServerMessageRoomCreated",
        "ServerMessagePeerAdded",
        "ServerMessagePeerConnected",
        "ServerMessagePeerMetadataUpdated",
        "ServerMessageTrackAdded",
        "ServerMessagePeerAdded",
        "ServerMessageTrackAdded",
    ]
    metadata_update = deliveries[3].event
    assert metadata_update.metadata == '{"name":"alice"}'
    component_track = deliveries[-1].event
    assert component_track.component_id == "c1"
    assert component_track.track.type == ServerMessageTrackType.TRACK_TYPE_VIDEO


def test_a_room_that_is_gone_loses_its_tracks_and_peers_first() -> None:
    deliveries = ServerState.from_rooms([ROOM_JSON]).catch_up(ServerState())
    assert kinds(deliveries) == [
        "ServerMessageTrackRemoved",
        "ServerMessagePeerDeleted",
        "ServerMessagePeerDeleted",
        "ServerMessageTrackRemoved",
        "ServerMessageRoomDeleted",
    ]


def test_nothing_changed_nothing_synthesized() -> None:
    state = ServerState.from_rooms([ROOM_JSON])
    assert state.catch_up(state.copy()) == []


def test_apply_follows_the_servers_rules() -> None:
    state = ServerState()
    assert state.apply(ServerMessageRoomCreated(room_id="r")) == "r"
    state.apply(ServerMessagePeerAdded(room_id="r", peer_id="p"))
    state.apply(ServerMessagePeerConnected(room_id="r", peer_id="p"))
    track = ServerMessageTrack(id="t", type=ServerMessageTrackType.TRACK_TYPE_VIDEO, metadata="1")
    state.apply(ServerMessageTrackAdded(room_id="r", peer_id="p", track=track))
    state.apply(ServerMessagePeerMetadataUpdated(room_id="r", peer_id="p", metadata='{"a":1}'))
    peer = state.rooms["r"].peers["p"]
    assert (peer.status, peer.metadata, peer.tracks["t"].metadata) == ("connected", {"a": 1}, 1)
    # Jellyfish clears the tracks of a peer that disconnects; metadata stays
    state.apply(ServerMessagePeerDisconnected(room_id="r", peer_id="p"))
    assert (peer.status, peer.tracks, peer.metadata) == ("disconnected", {}, {"a": 1})
    # events that say nothing about the state
    assert state.apply(ServerMessageHlsPlayable(room_id="r", component_id="c")) is None
    # removing what is not there is a no-op; deleting the room removes its peers
    state.apply(ServerMessagePeerDeleted(room_id="x", peer_id="y"))
    state.apply(ServerMessageTrackRemoved(room_id="r", component_id="c", track=track))
    state.apply(ServerMessageRoomDeleted(room_id="r"))
    assert state == ServerState()


def test_json_storage_round_trips() -> None:
    state = ServerState.from_rooms([ROOM_JSON])
    text = state.room_to_json("r1")
    assert text is not None
    restored = ServerState()
    restored.room_from_json("r1", text)
    assert restored == state
    assert state.room_to_json("missing") is None


# -- the property, on random states ---------------------------------------------------------

IDS = st.sampled_from(["a", "b", "c", "d"])
METADATA = st.one_of(st.none(), st.integers(0, 3), st.just({"k": [1, "x"]}), st.text(max_size=3))
TRACKS = st.dictionaries(
    IDS.map(lambda i: f"t{i}"),
    st.fixed_dictionaries(
        {"id": st.just(""), "type": st.sampled_from(["audio", "video", None]), "metadata": METADATA}
    ),
    max_size=3,
)


@st.composite
def rooms(draw: st.DrawFn) -> list[dict[str, Any]]:
    result = []
    for room_id in draw(st.sets(IDS, max_size=3)):
        peers = []
        for peer_id in draw(st.sets(IDS, max_size=3)):
            connected = draw(st.booleans())
            tracks = draw(TRACKS) if connected else {}
            peers.append(
                {
                    "id": f"{room_id}-p{peer_id}",
                    "status": "connected" if connected else "disconnected",
                    "metadata": draw(METADATA),
                    "tracks": [{**t, "id": tid} for tid, t in tracks.items()],
                }
            )
        components = [
            {"id": f"c{cid}", "tracks": [{**t, "id": tid} for tid, t in draw(TRACKS).items()]}
            for cid in draw(st.sets(IDS, max_size=2))
        ]
        result.append({"id": room_id, "peers": peers, "components": components})
    return result


@settings(max_examples=300, deadline=None)
@given(rooms(), rooms())
def test_catch_up_takes_any_state_to_any_other(before: list[Any], after: list[Any]) -> None:
    old, new = ServerState.from_rooms(before), ServerState.from_rooms(after)
    deliveries = old.catch_up(new)
    assert replay(old, deliveries) == new
    # the events survive the wire (what the bridge stores is the ServerMessage bytes)
    assert all(d.event.SerializeToString() is not None for d in deliveries)
    # applying them twice changes nothing more: duplicates are harmless
    assert replay(replay(old, deliveries), deliveries) == new
