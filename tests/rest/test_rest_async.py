"""Every async REST method against a Jellyfish (emulator or ``JELLYFISH_ADDRESS``), on
asyncio and trio. Mirrors test_rest_sync.py: success paths and error statuses/messages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

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
    ComponentOptionsRTSP,
    ComponentOptionsSIP,
    ComponentOptionsSIPSIPCredentials,
    ComponentRecording,
    ComponentRTSP,
    ComponentSIP,
    HealthReportStatus,
    PeerOptionsWebRTC,
    PeerStatus,
    Room,
    RoomConfigVideoCodec,
    S3Credentials,
)
from jellyfish.errors import (
    BadRequestError,
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


async def test_rooms(room_api: AsyncRoomApi, jellyfish_shared_server: Any) -> None:
    address, room = await room_api.create_room()
    check_advertised(jellyfish_shared_server, address)
    assert isinstance(room, Room)
    assert room.config.room_id == room.id
    _, full = await room_api.create_room(
        max_peers=2,
        video_codec="h264",
        webhook_url="http://127.0.0.1:9/hook",
        peerless_purge_timeout=60,
        peer_disconnected_timeout=30,
    )
    assert full.config.video_codec == RoomConfigVideoCodec.H264
    assert (full.config.peerless_purge_timeout, full.config.peer_disconnected_timeout) == (60, 30)
    assert {room.id, full.id} <= {r.id for r in await room_api.get_all_rooms()}
    assert await room_api.get_room(full.id) == full
    assert await room_api.delete_room(room.id) is None
    with pytest.raises(NotFoundError) as info:
        await room_api.get_room(room.id)
    assert info.value.message == f"Room {room.id} does not exist"
    with pytest.raises(NotFoundError, match=f"Room {room.id} does not exist"):
        await room_api.delete_room(room.id)
    with pytest.raises(BadRequestError) as bad:
        await room_api.create_room(room_id="")
    assert bad.value.message == (
        'Cannot add room with id "" - roomId may contain only alphanumeric characters and hyphens'
    )
    with pytest.raises(BadRequestError, match="Expected maxPeers to be a number, got: -3"):
        await room_api.create_room(max_peers=-3)
    await room_api.delete_room(full.id)


async def test_auth_and_tls_errors(jellyfish_shared_server: Any) -> None:
    server = jellyfish_shared_server
    async with AsyncRoomApi(server.address, "wrong") as api:
        with pytest.raises(UnauthorizedError) as info:
            await api.get_all_rooms()
    assert (info.value.status_code, info.value.message) == (401, "Invalid token")
    async with AsyncRoomApi(server.address, server.token, secure=True, timeout=5) as api:
        with pytest.raises(TLSError):
            await api.get_health()


async def test_peers(room_api: AsyncRoomApi, jellyfish_shared_server: Any) -> None:
    _, room = await room_api.create_room(max_peers=1)
    details = await room_api.add_peer(room.id, PeerOptionsWebRTC())
    assert details.peer.status == PeerStatus.DISCONNECTED
    assert details.peer_websocket_url.endswith("/socket/peer/websocket")
    check_advertised(jellyfish_shared_server, details.peer_websocket_url.split("/")[0])
    token, peer = details
    assert (token, peer) == (details.token, details.peer)
    with pytest.raises(ServiceUnavailableError) as info:
        await room_api.add_peer(room.id)
    assert info.value.message == f"Reached peer limit in room {room.id}"
    assert await room_api.delete_peer(room.id, peer.id) is None
    with pytest.raises(NotFoundError, match=f"Peer {peer.id} does not exist"):
        await room_api.delete_peer(room.id, peer.id)
    with pytest.raises(NotFoundError, match="Room nowhere does not exist"):
        await room_api.add_peer("nowhere")
    await room_api.delete_room(room.id)


async def test_components(room_api: AsyncRoomApi) -> None:
    _, room = await room_api.create_room(video_codec="h264")
    hls = await room_api.add_component(
        room.id, ComponentOptionsHLS(subscribe_mode=ComponentOptionsHLSSubscribeMode.MANUAL)
    )
    assert isinstance(hls, ComponentHLS)
    with pytest.raises(BadRequestError) as info:
        await room_api.add_component(room.id, ComponentOptionsHLS())
    assert info.value.message == f"Reached hls components limit for component in room {room.id}"
    rtsp = await room_api.add_component(room.id, ComponentOptionsRTSP(source_uri="rtsp://x"))
    assert isinstance(rtsp, ComponentRTSP)
    recording = await room_api.add_component(room.id, ComponentOptionsRecording(credentials=S3))
    assert isinstance(recording, ComponentRecording)
    assert await room_api.subscribe(room.id, hls.id, ["peer-1"]) is None
    with pytest.raises(BadRequestError) as sub:
        await room_api.subscribe(room.id, recording.id, [])
    assert sub.value.message == f"Component {recording.id} option `subscribe_mode` is set to :auto"
    assert await room_api.delete_component(room.id, rtsp.id) is None
    with pytest.raises(NotFoundError, match=f"Component {rtsp.id} does not exist"):
        await room_api.delete_component(room.id, rtsp.id)
    _, vp8 = await room_api.create_room(video_codec="vp8")
    with pytest.raises(
        BadRequestError, match=f"Incompatible video codec enforced in room {vp8.id}"
    ):
        await room_api.add_component(vp8.id, ComponentOptionsRTSP(source_uri="rtsp://x"))
    await room_api.delete_room(vp8.id)
    await room_api.delete_room(room.id)


@pytest.mark.emulator_only
async def test_file_component_and_sip_crash(
    room_api: AsyncRoomApi, jellyfish_shared_server: Any
) -> None:
    (jellyfish_shared_server.file_sources_dir / "video.h264").write_bytes(b"\x00\x00\x00\x01")
    _, room = await room_api.create_room()
    file = await room_api.add_component(room.id, ComponentOptionsFile(file_path="video.h264"))
    assert isinstance(file, ComponentFile)
    assert file.properties.framerate == 30
    with pytest.raises(NotFoundError, match="File not found"):
        await room_api.add_component(room.id, ComponentOptionsFile(file_path="none.h264"))
    with pytest.raises(ServerError) as info:
        await room_api.add_component(room.id, SIP)  # SIP disabled: the room crashes
    assert info.value.status_code == 500


async def test_sip(anyio_backend: str) -> None:
    async with JellyfishServer(sip_enabled=True) as server:  # noqa: SIM117
        async with AsyncRoomApi(server.address, server.token) as api:
            _, room = await api.create_room()
            sip = await api.add_component(room.id, SIP)
            assert isinstance(sip, ComponentSIP)
            assert await api.sip_dial(room.id, sip.id, "+48123") is None
            assert await api.sip_end_call(room.id, sip.id) is None
            with pytest.raises(BadRequestError, match="Component nope does not exist"):
                await api.sip_dial(room.id, "nope", "1")
            with pytest.raises(BadRequestError, match="Component nope does not exist"):
                await api.sip_end_call(room.id, "nope")


@pytest.mark.emulator_only
async def test_hls_content(room_api: AsyncRoomApi, jellyfish_shared_server: Any) -> None:
    _, room = await room_api.create_room(video_codec="h264")
    await room_api.add_component(room.id, ComponentOptionsHLS())
    directory = jellyfish_shared_server.hls_directory(room.id)
    directory.mkdir(parents=True, exist_ok=True)
    segment = bytes(range(256)) * 1024
    (directory / "index.m3u8").write_bytes(b"#EXTM3U\n")
    (directory / "seg.m4s").write_bytes(segment)
    assert await room_api.get_hls_content(room.id, "index.m3u8") == b"#EXTM3U\n"
    async with room_api.stream_hls_content(room.id, "seg.m4s", chunk_size=1000) as chunks:
        assert b"".join([chunk async for chunk in chunks]) == segment
    with pytest.raises(NotFoundError, match="File not found"):
        await room_api.get_hls_content(room.id, "nope.m3u8")
    await room_api.delete_room(room.id)


async def test_health(room_api: AsyncRoomApi) -> None:
    report = await room_api.get_health()
    assert report.status == HealthReportStatus.UP
    assert report.version == "0.5.0"


@pytest.mark.emulator_only(in_process=True)  # an empty recordings directory
async def test_recordings(jellyfish_server: Any) -> None:
    async with AsyncRecordingApi(jellyfish_server.address, jellyfish_server.token) as api:
        assert await api.get_list() == []
        directory = jellyfish_server.recordings_dir / "rec-2"
        directory.mkdir(parents=True)
        (directory / "index.m3u8").write_bytes(b"#EXTM3U\n")
        assert await api.get_list() == ["rec-2"]
        assert await api.get_content("rec-2", "index.m3u8") == b"#EXTM3U\n"
        async with api.stream_content("rec-2", "index.m3u8") as chunks:
            assert b"".join([c async for c in chunks]) == b"#EXTM3U\n"
        assert (await api.get_health()).status == HealthReportStatus.UP
        assert await api.delete("rec-2") is None
        with pytest.raises(NotFoundError, match="Recording not found"):
            await api.delete("rec-2")
        with pytest.raises(NotFoundError, match="File not found"):
            await api.get_content("rec-2", "index.m3u8")
