"""Tests written the way jellyfish-server-sdk 0.4.0's users wrote theirs, run unchanged.

Nothing here uses an API that 0.4.0 did not have: expected ``Peer(...)`` / ``Component*(...)``
objects are built with ``type=`` and compared with what ``get_room`` returns, a bad token on
the notifier is caught as ``RuntimeError``, and notifications are printed and compared as
strings such as ``ServerMessageRoomCreated(room_id='...')``. The notifier is driven the 0.4.0
way: handlers registered with decorators, ``asyncio.create_task(notifier.connect())``,
``await notifier.wait_ready()``. Only the server address comes from the test's emulator.
"""

from __future__ import annotations

import asyncio
import re
import uuid

import pytest

from jellyfish import (
    ComponentFile,
    ComponentHLS,
    ComponentOptionsFile,
    ComponentOptionsHLS,
    ComponentPropertiesFile,
    ComponentPropertiesHLS,
    ComponentPropertiesHLSSubscribeMode,
    Notifier,
    Peer,
    PeerOptionsWebRTC,
    PeerStatus,
    Room,
    RoomApi,
    RoomConfig,
    RoomConfigVideoCodec,
)
from jellyfish.events import (
    ServerMessagePeerAdded,
    ServerMessageRoomCreated,
    ServerMessageRoomDeleted,
    ServerMessageTrackAdded,
    ServerMessageTrackType,
)

WAIT = 10  # seconds a notification may take to arrive
# An H.264 Annex B file of 60 s at 30 fps (SPS, PPS, 1800 pictures) that an emulator which
# plays files for their duration keeps alive through the test; it carries no real picture.
VIDEO_H264 = (
    b"\x00\x00\x00\x01\x67\x42\xc0\x1f\x8c\x8d\x40\x50\x1e\xd0\x0f\x08\x84\x6a"
    + b"\x00\x00\x00\x01\x68\xce\x3c\x80"
    + b"\x00\x00\x00\x01\x65\x88\x84\x00\x33\xff"
    + b"\x00\x00\x00\x01\x41\x88\x84\x00\x33\xff" * 1799
)


@pytest.fixture
def anyio_backend():
    """0.4.0's notifier was asyncio-only, and its users' tests use asyncio directly."""
    return "asyncio"


@pytest.fixture
def server(jellyfish_shared_server):
    return jellyfish_shared_server


@pytest.fixture
def room_api(server):
    room_api = RoomApi(server_address=server.address, server_api_token=server.token)
    yield room_api
    room_api.close()


def test_created_room_equals_the_expected_room(room_api):
    _, room = room_api.create_room(max_peers=10, video_codec="h264")

    assert room == Room(
        components=[],
        config=RoomConfig(
            room_id=room.id,
            max_peers=10,
            video_codec=RoomConfigVideoCodec("h264"),
            webhook_url=None,
            peerless_purge_timeout=None,
            peer_disconnected_timeout=None,
        ),
        id=room.id,
        peers=[],
    )
    assert room in room_api.get_all_rooms()


def test_added_peer_is_in_the_room(room_api):
    _, room = room_api.create_room()

    _token, peer = room_api.add_peer(room.id, options=PeerOptionsWebRTC())

    expected = Peer(
        id=peer.id, type="webrtc", status=PeerStatus("disconnected"), tracks=[], metadata=None
    )
    assert peer == expected
    assert room_api.get_room(room.id).peers == [expected]
    assert room_api.get_room(room.id).peers[0].type == "webrtc"


def test_added_hls_component_equals_the_expected_component(room_api):
    _, room = room_api.create_room(video_codec="h264")

    response = room_api.add_component(room.id, options=ComponentOptionsHLS())

    properties = ComponentPropertiesHLS(
        low_latency=False,
        persistent=False,
        playable=False,
        subscribe_mode=ComponentPropertiesHLSSubscribeMode("auto"),
        target_window_duration=None,
    )
    properties.additional_properties = {"s3": None}
    expected = ComponentHLS(id=response.id, type="hls", properties=properties, tracks=[])
    assert response == expected
    assert room_api.get_room(room.id).components == [expected]
    assert [c.type for c in room_api.get_room(room.id).components] == ["hls"]


def test_added_file_component_has_type_file(room_api, server):
    (server.file_sources_dir / "video.h264").write_bytes(VIDEO_H264)
    _, room = room_api.create_room(video_codec="h264")

    response = room_api.add_component(room.id, options=ComponentOptionsFile(file_path="video.h264"))

    assert isinstance(response, ComponentFile)
    assert response.type == "file"
    assert response.properties == ComponentPropertiesFile(file_path="video.h264", framerate=30)
    assert room_api.get_room(room.id).components[0].type == "file"


@pytest.mark.anyio
async def test_bad_token_on_the_notifier_is_a_runtime_error(server):
    notifier = Notifier(server_address=server.address, server_api_token="invalid")

    with pytest.raises(RuntimeError):
        await asyncio.wait_for(notifier.connect(), WAIT)


async def _notifications_during(server, room_id, action, last_kind):
    """Run a 0.4.0-style notifier, do ``action()``, return the room's notifications up to the
    first ``last_kind`` one."""
    notifier = Notifier(server_address=server.address, server_api_token=server.token)
    received = []
    enough = asyncio.Event()

    @notifier.on_server_notification
    def handle_notification(server_notification):
        # The shared server has other tests' rooms; after the last one, the test is done.
        if server_notification.room_id != room_id or enough.is_set():
            return
        print(f"Received a notification: {server_notification}")
        received.append(server_notification)
        if isinstance(server_notification, last_kind):
            enough.set()

    notifier_task = asyncio.create_task(notifier.connect())
    try:
        await asyncio.wait_for(notifier.wait_ready(), WAIT)
        action()
        await asyncio.wait_for(enough.wait(), WAIT)
    finally:
        notifier_task.cancel()
        await asyncio.gather(notifier_task, return_exceptions=True)
    return received


@pytest.mark.anyio
async def test_notifications_print_and_compare_as_in_040(server, room_api, capsys):
    room_id = str(uuid.uuid4())
    peers = []

    def create_room_and_peer():
        room_api.create_room(room_id=room_id)
        _token, peer = room_api.add_peer(room_id, options=PeerOptionsWebRTC())
        peers.append(peer)
        room_api.delete_room(room_id)

    received = await _notifications_during(
        server, room_id, create_room_and_peer, ServerMessageRoomDeleted
    )
    created, peer_added, deleted = received[0], received[1], received[-1]

    peer_id = peers[0].id
    assert created == ServerMessageRoomCreated(room_id=room_id)
    assert str(created) == f"ServerMessageRoomCreated(room_id='{room_id}')"
    assert repr(peer_added) == f"ServerMessagePeerAdded(room_id='{room_id}', peer_id='{peer_id}')"
    assert isinstance(peer_added, ServerMessagePeerAdded)
    assert peer_added == ServerMessagePeerAdded(room_id=room_id, peer_id=peer_id)
    assert str(deleted) == f"ServerMessageRoomDeleted(room_id='{room_id}')"
    assert isinstance(deleted, ServerMessageRoomDeleted)
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == f"Received a notification: ServerMessageRoomCreated(room_id='{room_id}')"


@pytest.mark.anyio
async def test_track_notification_prints_its_track_and_enum(server, room_api):
    (server.file_sources_dir / "video.h264").write_bytes(VIDEO_H264)
    _, room = room_api.create_room(video_codec="h264")

    def add_file_component():
        room_api.add_component(room.id, options=ComponentOptionsFile(file_path="video.h264"))

    [track_added] = await _notifications_during(
        server, room.id, add_file_component, ServerMessageTrackAdded
    )

    assert isinstance(track_added, ServerMessageTrackAdded)
    assert track_added.track.type == ServerMessageTrackType.TRACK_TYPE_VIDEO
    assert ServerMessageTrackType(1) == ServerMessageTrackType.TRACK_TYPE_VIDEO
    assert ServerMessageTrackType.TRACK_TYPE_VIDEO.name == "TRACK_TYPE_VIDEO"
    assert re.fullmatch(
        rf"ServerMessageTrackAdded\(room_id='{room.id}', component_id='[^']+', "
        r"track=ServerMessageTrack\(id='[^']+', type=TRACK_TYPE_VIDEO, metadata='null'\)\)",
        str(track_added),
    )
    room_api.delete_room(room.id)
