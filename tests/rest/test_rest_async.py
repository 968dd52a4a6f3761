"""Every REST method (async: asyncio and trio) against a Jellyfish: the emulator by default,
or the real server named by ``JELLYFISH_ADDRESS`` (tests that need the emulator's control API
are marked ``emulator_only``). Messages are those of docs/server-behavior.md, §2.

The blocking twin, test_rest_sync.py, is generated from this file by ``nox -s unasync``
(codegen/unasync_rest.py), so both APIs run the same cases: edit this file, not the twin.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from jellyfish import (
    AsyncRecordingApi,
    AsyncRoomApi,
    ComponentFile,
    ComponentHLS,
    ComponentOptionsFile,
    ComponentOptionsHLS,
    ComponentOptionsHLSSubscribeMode,
    ComponentOptionsRecording,
    ComponentOptionsRecordingSubscribeMode,
    ComponentOptionsRTSP,
    ComponentOptionsSIP,
    ComponentOptionsSIPSIPCredentials,
    ComponentRecording,
    ComponentRTSP,
    ComponentSIP,
    HealthReportStatus,
    Peer,
    PeerDetailsResponseData,
    PeerOptionsWebRTC,
    PeerStatus,
    Room,
    RoomConfigVideoCodec,
    S3Credentials,
)
from jellyfish.errors import (
    BadRequestError,
    NotAcceptableError,
    NotFoundError,
    ServerError,
    ServiceUnavailableError,
    TLSError,
    UnauthorizedError,
)
from jellyfish.testing import JellyfishServer

from ._helpers import check_advertised

pytestmark = pytest.mark.anyio

S3 = S3Credentials(access_key_id="id", secret_access_key="secret", region="eu", bucket="b")
SIP = ComponentOptionsSIP(
    registrar_credentials=ComponentOptionsSIPSIPCredentials(
        address="127.0.0.1:5061", username="user", password="pass"
    )
)


@pytest.fixture
async def room_api(jellyfish_shared_server: Any) -> AsyncIterator[AsyncRoomApi]:
    server = jellyfish_shared_server
    async with AsyncRoomApi(server.address, server.token) as api:
        yield api


@pytest.fixture
async def recording_api(jellyfish_server: Any) -> AsyncIterator[AsyncRecordingApi]:
    async with AsyncRecordingApi(jellyfish_server.address, jellyfish_server.token) as api:
        yield api


@pytest.fixture
async def h264_room(room_api: AsyncRoomApi) -> AsyncIterator[Room]:
    _, room = await room_api.create_room(video_codec="h264")
    yield room
    with contextlib.suppress(NotFoundError):
        await room_api.delete_room(room.id)


@pytest.fixture
async def sip_server() -> AsyncIterator[JellyfishServer]:
    async with JellyfishServer(sip_enabled=True) as server:
        yield server


# ------------------------------------------------------------------ rooms


async def test_create_room_defaults(room_api: AsyncRoomApi, jellyfish_shared_server: Any) -> None:
    address, room = await room_api.create_room()
    check_advertised(jellyfish_shared_server, address)
    assert isinstance(room, Room)
    assert room.config.room_id == room.id
    assert room.peers == []
    assert room.components == []
    assert room.config.max_peers is None
    assert room.config.video_codec is None
    await room_api.delete_room(room.id)


async def test_create_room_with_every_option(room_api: AsyncRoomApi) -> None:
    _, room = await room_api.create_room(
        room_id="every-option",
        max_peers=10,
        video_codec="vp8",
        webhook_url="http://127.0.0.1:9/webhook",
        peerless_purge_timeout=60,
        peer_disconnected_timeout=30,
    )
    assert room.id == "every-option"
    config = room.config
    assert config.max_peers == 10
    assert config.video_codec == RoomConfigVideoCodec.VP8
    assert config.webhook_url == "http://127.0.0.1:9/webhook"
    assert config.peerless_purge_timeout == 60
    assert config.peer_disconnected_timeout == 30
    _, by_enum = await room_api.create_room(video_codec=RoomConfigVideoCodec.H264)
    assert by_enum.config.video_codec == RoomConfigVideoCodec.H264
    _, by_name = await room_api.create_room(video_codec="h264")
    assert by_name.config.video_codec == RoomConfigVideoCodec.H264
    for created in (room, by_enum, by_name):
        await room_api.delete_room(created.id)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"room_id": "test/path"},
            'Cannot add room with id "test/path" - roomId may contain only alphanumeric '
            "characters and hyphens",
        ),
        (
            {"room_id": ""},
            'Cannot add room with id "" - roomId may contain only alphanumeric '
            "characters and hyphens",
        ),
        ({"max_peers": -1}, "Expected maxPeers to be a number, got: -1"),
        ({"max_peers": -3}, "Expected maxPeers to be a number, got: -3"),
        (
            {"webhook_url": "http://example.com"},
            "Expected webhookUrl to be valid URL, got: http://example.com",
        ),
        (
            {"peerless_purge_timeout": 0},
            "Expected peerlessPurgeTimeout to be a positive integer, got: 0",
        ),
        (
            {"peer_disconnected_timeout": -5},
            "Expected peerDisconnectedTimeout to be a positive integer, got: -5",
        ),
    ],
)
async def test_create_room_rejected(
    room_api: AsyncRoomApi, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(BadRequestError) as info:
        await room_api.create_room(**kwargs)
    assert info.value.message == message
    assert (info.value.status_code, info.value.method, info.value.path) == (400, "POST", "/room")


async def test_create_room_duplicate_id(room_api: AsyncRoomApi) -> None:
    await room_api.create_room(room_id="twice")
    with pytest.raises(BadRequestError, match='Cannot add room with id "twice" - room already'):
        await room_api.create_room(room_id="twice")
    await room_api.delete_room("twice")


async def test_get_all_rooms_get_room_delete_room(room_api: AsyncRoomApi) -> None:
    _, first = await room_api.create_room()
    _, second = await room_api.create_room(max_peers=3)
    listed = {room.id: room for room in await room_api.get_all_rooms()}
    assert {first.id, second.id} <= set(listed)
    assert listed[second.id].config.max_peers == 3
    assert await room_api.get_room(second.id) == second
    assert await room_api.delete_room(first.id) is None
    assert first.id not in {room.id for room in await room_api.get_all_rooms()}
    with pytest.raises(NotFoundError) as info:
        await room_api.get_room(first.id)
    assert info.value.message == f"Room {first.id} does not exist"
    assert info.value.path == f"/room/{first.id}"
    with pytest.raises(NotFoundError, match=f"Room {first.id} does not exist"):
        await room_api.delete_room(first.id)
    await room_api.delete_room(second.id)


async def test_wrong_token(jellyfish_shared_server: Any) -> None:
    async with AsyncRoomApi(jellyfish_shared_server.address, "wrong-token") as api:
        with pytest.raises(UnauthorizedError) as info:
            await api.get_all_rooms()
        assert (info.value.status_code, info.value.message) == (401, "Invalid token")
        with pytest.raises(UnauthorizedError, match="Invalid token"):
            await api.create_room()
    async with AsyncRecordingApi(jellyfish_shared_server.address, "wrong-token") as recordings:  # noqa: RUF100, SIM117 (nested in the blocking twin)
        with pytest.raises(UnauthorizedError, match="Invalid token"):
            await recordings.get_list()


async def test_https_against_plain_http_is_a_tls_error(jellyfish_shared_server: Any) -> None:
    server = jellyfish_shared_server
    async with AsyncRoomApi(server.address, server.token, secure=True, timeout=5) as api:  # noqa: RUF100, SIM117 (nested in the blocking twin)
        with pytest.raises(TLSError) as info:
            await api.get_all_rooms()
    assert info.value.url.startswith("https://")


# ------------------------------------------------------------------ peers


async def test_add_peer_and_delete_peer(
    room_api: AsyncRoomApi, jellyfish_shared_server: Any
) -> None:
    _, room = await room_api.create_room()
    details = await room_api.add_peer(room.id, PeerOptionsWebRTC(enable_simulcast=False))
    assert isinstance(details, PeerDetailsResponseData)
    assert isinstance(details.peer, Peer)
    assert details.peer.status == PeerStatus.DISCONNECTED
    assert details.peer.type == "webrtc"
    assert details.token
    assert details.peer_websocket_url.endswith("/socket/peer/websocket")
    check_advertised(jellyfish_shared_server, details.peer_websocket_url.split("/")[0])
    token, peer = details  # the 0.4.0 README unpacks it
    assert (token, peer) == (details.token, details.peer)
    assert [p.id for p in (await room_api.get_room(room.id)).peers] == [peer.id]
    default = await room_api.add_peer(room.id)  # options default to PeerOptionsWebRTC()
    assert await room_api.delete_peer(room.id, peer.id) is None
    assert [p.id for p in (await room_api.get_room(room.id)).peers] == [default.peer.id]
    with pytest.raises(NotFoundError) as info:
        await room_api.delete_peer(room.id, peer.id)
    assert info.value.message == f"Peer {peer.id} does not exist"
    await room_api.delete_room(room.id)


async def test_add_peer_errors(room_api: AsyncRoomApi) -> None:
    with pytest.raises(NotFoundError, match="Room nowhere does not exist"):
        await room_api.add_peer("nowhere", PeerOptionsWebRTC())
    with pytest.raises(NotFoundError, match="Room nowhere does not exist"):
        await room_api.add_peer("nowhere")
    with pytest.raises(NotFoundError, match="Room nowhere does not exist"):
        await room_api.delete_peer("nowhere", "p")
    _, room = await room_api.create_room(max_peers=1)
    await room_api.add_peer(room.id, PeerOptionsWebRTC())
    with pytest.raises(ServiceUnavailableError) as info:
        await room_api.add_peer(room.id, PeerOptionsWebRTC())
    assert info.value.status_code == 503
    assert info.value.message == f"Reached peer limit in room {room.id}"
    with pytest.raises(ServiceUnavailableError, match=f"Reached peer limit in room {room.id}"):
        await room_api.add_peer(room.id)
    await room_api.delete_room(room.id)


# ------------------------------------------------------------------ components


async def test_add_hls_component(room_api: AsyncRoomApi, h264_room: Room) -> None:
    hls = await room_api.add_component(
        h264_room.id,
        ComponentOptionsHLS(low_latency=True, target_window_duration=10, s3=S3),
    )
    assert isinstance(hls, ComponentHLS)
    assert hls.properties.low_latency is True
    assert hls.properties.target_window_duration == 10
    assert hls.properties.playable is False
    assert (await room_api.get_room(h264_room.id)).components == [hls]
    with pytest.raises(BadRequestError) as info:
        await room_api.add_component(h264_room.id, ComponentOptionsHLS())
    assert (
        info.value.message == f"Reached hls components limit for component in room {h264_room.id}"
    )
    assert await room_api.delete_component(h264_room.id, hls.id) is None
    with pytest.raises(NotFoundError, match=f"Component {hls.id} does not exist"):
        await room_api.delete_component(h264_room.id, hls.id)


async def test_hls_and_rtsp_need_h264(room_api: AsyncRoomApi) -> None:
    _, room = await room_api.create_room(video_codec="vp8")
    with pytest.raises(BadRequestError) as info:
        await room_api.add_component(room.id, ComponentOptionsHLS())
    assert info.value.message == f"Incompatible video codec enforced in room {room.id}"
    with pytest.raises(
        BadRequestError, match=f"Incompatible video codec enforced in room {room.id}"
    ):
        await room_api.add_component(room.id, ComponentOptionsRTSP(source_uri="rtsp://x"))
    await room_api.delete_room(room.id)


async def test_add_rtsp_component(room_api: AsyncRoomApi, h264_room: Room) -> None:
    rtsp = await room_api.add_component(
        h264_room.id, ComponentOptionsRTSP(source_uri="rtsp://127.0.0.1:9/stream")
    )
    assert isinstance(rtsp, ComponentRTSP)
    assert rtsp.properties.source_uri == "rtsp://127.0.0.1:9/stream"
    assert rtsp.properties.rtp_port == 20000
    assert rtsp.properties.pierce_nat is True
    assert await room_api.delete_component(h264_room.id, rtsp.id) is None
    with pytest.raises(NotFoundError, match=f"Component {rtsp.id} does not exist"):
        await room_api.delete_component(h264_room.id, rtsp.id)


async def test_add_recording_component(room_api: AsyncRoomApi, h264_room: Room) -> None:
    with pytest.raises(BadRequestError) as info:
        await room_api.add_component(h264_room.id, ComponentOptionsRecording())
    assert info.value.message == (
        "S3 credentials has to be passed either by request or at application startup as envs"
    )
    recording = await room_api.add_component(
        h264_room.id,
        ComponentOptionsRecording(
            credentials=S3, subscribe_mode=ComponentOptionsRecordingSubscribeMode.MANUAL
        ),
    )
    assert isinstance(recording, ComponentRecording)
    assert recording.properties.subscribe_mode.value == "manual"


@pytest.mark.emulator_only
async def test_add_file_component(room_api: AsyncRoomApi, jellyfish_shared_server: Any) -> None:
    (jellyfish_shared_server.file_sources_dir / "audio.ogg").write_bytes(b"OggS")
    (jellyfish_shared_server.file_sources_dir / "video.h264").write_bytes(b"\x00\x00\x00\x01")
    _, room = await room_api.create_room()
    audio = await room_api.add_component(room.id, ComponentOptionsFile(file_path="audio.ogg"))
    assert isinstance(audio, ComponentFile)
    assert audio.properties.file_path == "audio.ogg"
    assert audio.properties.framerate is None
    video = await room_api.add_component(room.id, ComponentOptionsFile(file_path="video.h264"))
    assert isinstance(video, ComponentFile)
    assert video.properties.framerate == 30
    with pytest.raises(NotFoundError) as info:
        await room_api.add_component(room.id, ComponentOptionsFile(file_path="missing.ogg"))
    assert info.value.message == "File not found"
    with pytest.raises(BadRequestError, match="Invalid file path"):
        await room_api.add_component(room.id, ComponentOptionsFile(file_path="../escape.ogg"))
    await room_api.delete_room(room.id)


async def test_add_component_errors(room_api: AsyncRoomApi) -> None:
    with pytest.raises(NotFoundError, match="Room nowhere does not exist"):
        await room_api.add_component("nowhere", ComponentOptionsRTSP(source_uri="rtsp://x"))
    with pytest.raises(NotFoundError, match="Room nowhere does not exist"):
        await room_api.delete_component("nowhere", "c")


@pytest.mark.emulator_only
async def test_sip_disabled_crashes_the_room(room_api: AsyncRoomApi) -> None:
    """§2.8: with JF_SIP_USED unset, adding a SIP component crashes the room (500)."""
    _, room = await room_api.create_room()
    with pytest.raises(ServerError) as info:
        await room_api.add_component(room.id, SIP)
    assert (info.value.status_code, info.value.message) == (500, "Internal Server Error")
    with pytest.raises(NotFoundError):
        await room_api.get_room(room.id)


async def test_sip_component_dial_and_end_call(sip_server: JellyfishServer) -> None:
    async with AsyncRoomApi(sip_server.address, sip_server.token) as api:
        _, room = await api.create_room(video_codec="h264")
        sip = await api.add_component(room.id, SIP)
        assert isinstance(sip, ComponentSIP)
        assert sip.properties.registrar_credentials.username == "user"
        assert await api.sip_dial(room.id, sip.id, "+48123456789") is None
        assert await api.sip_end_call(room.id, sip.id) is None
        rtsp = await api.add_component(room.id, ComponentOptionsRTSP(source_uri="rtsp://x"))
        with pytest.raises(BadRequestError) as info:
            await api.sip_dial(room.id, rtsp.id, "123")
        assert info.value.message == f"Component {rtsp.id} is not a SIP component"
        with pytest.raises(BadRequestError) as info:
            await api.sip_end_call(room.id, rtsp.id)
        assert info.value.message == f"Component {rtsp.id} is not SIP component"
        with pytest.raises(BadRequestError, match="Component nope does not exist"):
            await api.sip_dial(room.id, "nope", "123")
        with pytest.raises(BadRequestError, match="Component nope does not exist"):
            await api.sip_end_call(room.id, "nope")
        with pytest.raises(NotFoundError, match="Room nowhere does not exist"):
            await api.sip_end_call("nowhere", sip.id)


async def test_subscribe(room_api: AsyncRoomApi, h264_room: Room) -> None:
    manual = await room_api.add_component(
        h264_room.id,
        ComponentOptionsHLS(subscribe_mode=ComponentOptionsHLSSubscribeMode.MANUAL),
    )
    assert await room_api.subscribe(h264_room.id, manual.id, ["peer-1", "file-2"]) is None
    rtsp = await room_api.add_component(h264_room.id, ComponentOptionsRTSP(source_uri="rtsp://x"))
    with pytest.raises(BadRequestError) as info:
        await room_api.subscribe(h264_room.id, rtsp.id, [])
    assert info.value.message == "Subscribe mode is supported only for HLS and Recording components"
    with pytest.raises(BadRequestError, match="Component nope does not exist"):
        await room_api.subscribe(h264_room.id, "nope", [])
    _, auto_room = await room_api.create_room(video_codec="h264")
    auto = await room_api.add_component(auto_room.id, ComponentOptionsHLS())
    with pytest.raises(BadRequestError) as info:
        await room_api.subscribe(auto_room.id, auto.id, [])
    assert info.value.message == f"Component {auto.id} option `subscribe_mode` is set to :auto"
    recording = await room_api.add_component(
        auto_room.id, ComponentOptionsRecording(credentials=S3)
    )
    with pytest.raises(BadRequestError) as info:
        await room_api.subscribe(auto_room.id, recording.id, [])
    assert info.value.message == (
        f"Component {recording.id} option `subscribe_mode` is set to :auto"
    )
    await room_api.delete_room(auto_room.id)


# ------------------------------------------------------------------ health, content, recordings


async def test_get_health(room_api: AsyncRoomApi, recording_api: AsyncRecordingApi) -> None:
    report = await room_api.get_health()
    assert report.status == HealthReportStatus.UP
    assert report.version == "0.5.0"
    assert (await recording_api.get_health()).status == HealthReportStatus.UP
    report = await recording_api.get_health(node=room_api.server_address)
    assert report.status == HealthReportStatus.UP


@pytest.mark.emulator_only
async def test_hls_content(
    room_api: AsyncRoomApi, jellyfish_shared_server: Any, h264_room: Room
) -> None:
    await room_api.add_component(h264_room.id, ComponentOptionsHLS())
    directory = jellyfish_shared_server.hls_directory(h264_room.id)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "index.m3u8").write_bytes(b"#EXTM3U\n")
    segment = bytes(range(256)) * 2048
    (directory / "segment_1.m4s").write_bytes(segment)
    assert await room_api.get_hls_content(h264_room.id, "index.m3u8") == b"#EXTM3U\n"
    async with room_api.stream_hls_content(
        h264_room.id, "segment_1.m4s", chunk_size=4096
    ) as chunks:
        assert b"".join([chunk async for chunk in chunks]) == segment
    with pytest.raises(NotFoundError) as info:
        await room_api.get_hls_content(h264_room.id, "missing.m3u8")
    assert (info.value.message, info.value.path) == (
        "File not found",
        f"/hls/{h264_room.id}/missing.m3u8",
    )


@pytest.mark.emulator_only(in_process=True)  # an empty recordings directory
async def test_recordings(recording_api: AsyncRecordingApi, jellyfish_server: Any) -> None:
    assert await recording_api.get_list() == []
    directory = jellyfish_server.recordings_dir / "rec-1"
    directory.mkdir(parents=True)
    (directory / "index.m3u8").write_bytes(b"#EXTM3U\n")
    assert await recording_api.get_list() == ["rec-1"]
    assert await recording_api.get_content("rec-1", "index.m3u8") == b"#EXTM3U\n"
    async with recording_api.stream_content("rec-1", "index.m3u8") as chunks:
        assert b"".join([chunk async for chunk in chunks]) == b"#EXTM3U\n"
    with pytest.raises(NotFoundError, match="File not found"):
        await recording_api.get_content("rec-1", "nope.m4s")
    assert await recording_api.delete("rec-1") is None
    assert await recording_api.get_list() == []
    with pytest.raises(NotFoundError) as info:
        await recording_api.delete("rec-1")
    assert (info.value.message, info.value.method) == ("Recording not found", "DELETE")
    with pytest.raises(NotFoundError, match="File not found"):
        await recording_api.get_content("rec-1", "index.m3u8")


async def test_recording_errors(recording_api: AsyncRecordingApi) -> None:
    with pytest.raises(NotFoundError, match="Recording not found"):
        await recording_api.delete("no-such-recording")
    with pytest.raises(ValueError, match=r"recording_id cannot be '\.\.'"):
        await recording_api.delete("..")  # URL normalisation would send "DELETE /"


# ------------------------------------------------------------------ 0.4.0 README


async def test_0_4_0_readme_examples_run_unchanged(jellyfish_server: Any) -> None:
    """0.4.0's README, line by line (its blocking twin runs it exactly as written there)."""
    from jellyfish import AsyncRoomApi

    room_api = AsyncRoomApi(
        server_address=jellyfish_server.address, server_api_token=jellyfish_server.token
    )

    # Create a room
    jellyfish_address, room = await room_api.create_room(
        video_codec="h264", webhook_url="http://localhost:5000/webhook"
    )

    # Add peer to the room
    from jellyfish import PeerOptionsWebRTC

    peer_token, peer_webrtc = await room_api.add_peer(room.id, options=PeerOptionsWebRTC())

    # Add component to the room
    from jellyfish import ComponentOptionsHLS

    component_hls = await room_api.add_component(room.id, options=ComponentOptionsHLS())

    check_advertised(jellyfish_server, jellyfish_address)
    assert isinstance(peer_token, str)
    assert isinstance(peer_webrtc, Peer)
    assert isinstance(component_hls, ComponentHLS)

    # Cluster section
    from jellyfish import ComponentOptionsHLSSubscribeMode

    address, room = await room_api.create_room(video_codec="h264")
    if not isinstance(jellyfish_server, JellyfishServer):
        address = jellyfish_server.address  # a real node may advertise an unreachable JF_HOST
    new_room_api = AsyncRoomApi(server_address=address, server_api_token=jellyfish_server.token)
    _hls_component = await new_room_api.add_component(
        room.id,
        ComponentOptionsHLS(subscribe_mode=ComponentOptionsHLSSubscribeMode.MANUAL),
    )
    await new_room_api.aclose()
    await room_api.aclose()


async def test_framework_error_envelope_and_injected_client(jellyfish_shared_server: Any) -> None:
    """§1.2/§1.3: an Accept header naming no JSON type gets 406 {"errors":{"detail":...}}."""
    server = jellyfish_shared_server
    async with (
        httpx.AsyncClient(headers={"Accept": "text/html"}) as client,
        AsyncRoomApi(server.address, server.token, http_client=client) as api,
    ):
        with pytest.raises(NotAcceptableError) as info:
            await api.get_all_rooms()
        assert (info.value.status_code, info.value.message) == (406, "Not Acceptable")
        client.headers["Accept"] = "application/json"
        assert isinstance(await api.get_all_rooms(), list)
