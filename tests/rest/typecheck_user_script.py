"""A user's script that calls every REST method, blocking and async; checked with
``mypy --strict`` by test_typing.py (it is never collected by pytest).

It also runs: ``python tests/rest/typecheck_user_script.py`` starts an emulator and calls
everything against it.
"""

from __future__ import annotations

import contextlib
import sys

import anyio
import httpx

from jellyfish import (
    AsyncRecordingApi,
    AsyncRoomApi,
    Component,
    ComponentHLS,
    ComponentOptions,
    ComponentOptionsFile,
    ComponentOptionsHLS,
    ComponentOptionsHLSSubscribeMode,
    ComponentOptionsRecording,
    ComponentOptionsRTSP,
    ComponentOptionsSIP,
    ComponentOptionsSIPSIPCredentials,
    HealthReport,
    Peer,
    PeerDetails,
    PeerDetailsResponseData,
    PeerOptionsWebRTC,
    RecordingApi,
    Room,
    RoomApi,
    RoomConfigVideoCodec,
    S3Credentials,
)
from jellyfish.errors import HTTPError, JellyfishError, NotFoundError, TransportError

if sys.version_info >= (3, 11):
    from typing import assert_type
else:
    from typing_extensions import assert_type


def blocking(address: str, token: str) -> None:
    with RoomApi(address, token, timeout=5.0) as room_api:
        jellyfish_address, room = room_api.create_room(
            room_id=None,
            max_peers=10,
            video_codec="h264",
            webhook_url=None,
            peerless_purge_timeout=None,
            peer_disconnected_timeout=None,
            timeout=2.5,
        )
        assert_type(jellyfish_address, str)
        assert_type(room, Room)
        assert_type(room_api.get_all_rooms(), list[Room])
        assert_type(room_api.get_room(room.id, timeout=None), Room)

        details = room_api.add_peer(room.id, PeerOptionsWebRTC(enable_simulcast=True))
        assert_type(details, PeerDetails)
        legacy: PeerDetailsResponseData = details
        peer: Peer = legacy.peer
        token_str: str = details.token
        print(token_str[:4], details.peer_websocket_url)
        room_api.delete_peer(room.id, peer.id)

        options: ComponentOptions = ComponentOptionsHLS(
            subscribe_mode=ComponentOptionsHLSSubscribeMode.MANUAL
        )
        component = room_api.add_component(room.id, options)
        assert_type(component, Component)
        if isinstance(component, ComponentHLS):
            playable: bool = component.properties.playable
            print(playable)
        room_api.subscribe(room.id, component.id, [peer.id])
        room_api.add_component(room.id, ComponentOptionsRTSP(source_uri="rtsp://x"))
        room_api.delete_component(room.id, component.id)
        try:
            room_api.sip_dial(room.id, component.id, "+48123456789")
            room_api.sip_end_call(room.id, component.id)
        except HTTPError as error:
            status: int = error.status_code
            print(status, error.message, error.method, error.path)

        health = room_api.get_health(node=address)
        assert_type(health, HealthReport)
        try:
            hls: bytes = room_api.get_hls_content(room.id, "index.m3u8", hls_msn=1, hls_part=0)
            print(len(hls))
            with room_api.stream_hls_content(room.id, "segment.m4s", chunk_size=1024) as chunks:
                for chunk in chunks:
                    assert_type(chunk, bytes)
        except NotFoundError:
            pass
        room_api.remember_room(room.id, jellyfish_address)
        assert_type(room_api.room_address(room.id), str)
        room_api.forget_room(room.id)
        room_api.delete_room(room.id)

    with RecordingApi(address, token, verify=True) as recording_api:
        recordings = recording_api.get_list()
        assert_type(recordings, list[str])
        for recording_id in recordings:
            content: bytes = recording_api.get_content(recording_id, "index.m3u8")
            with recording_api.stream_content(recording_id, "index.m3u8") as stream:
                print(len(content), sum(len(chunk) for chunk in stream))
            recording_api.delete(recording_id)
        assert_type(recording_api.get_health(), HealthReport)

    with httpx.Client() as client:
        shared = RoomApi(address, token, http_client=client, cluster_routing=False)
        try:
            shared.get_all_rooms()
        except JellyfishError as error:
            if isinstance(error, TransportError):
                print(error.url)
        finally:
            shared.close()


async def asynchronous(address: str, token: str) -> None:
    async with AsyncRoomApi(address, token) as room_api:
        jellyfish_address, room = await room_api.create_room(
            video_codec=RoomConfigVideoCodec.H264, max_peers=None
        )
        assert_type(jellyfish_address, str)
        assert_type(room, Room)
        assert_type(await room_api.get_all_rooms(), list[Room])
        assert_type(await room_api.get_room(room.id), Room)
        details = await room_api.add_peer(room.id)
        assert_type(details, PeerDetails)
        await room_api.delete_peer(room.id, details.peer.id)
        file_options = ComponentOptionsFile(file_path="missing.ogg")
        sip = ComponentOptionsSIP(
            registrar_credentials=ComponentOptionsSIPSIPCredentials(
                address="127.0.0.1", username="u", password="p"
            )
        )
        recording = ComponentOptionsRecording(
            credentials=S3Credentials(
                access_key_id="a", secret_access_key="s", region="r", bucket="b"
            )
        )
        for options in (file_options, recording, sip):
            try:
                component = await room_api.add_component(room.id, options, timeout=3)
                assert_type(component, Component)
                await room_api.subscribe(room.id, component.id, [])
                await room_api.sip_dial(room.id, component.id, "123")
                await room_api.sip_end_call(room.id, component.id)
                await room_api.delete_component(room.id, component.id)
            except HTTPError as error:
                print(error.status_code, error)
        assert_type(await room_api.get_health(), HealthReport)
        try:
            assert_type(await room_api.get_hls_content(room.id, "index.m3u8"), bytes)
            async with room_api.stream_hls_content(room.id, "segment.m4s") as chunks:
                async for chunk in chunks:
                    assert_type(chunk, bytes)
        except NotFoundError:
            pass
        with contextlib.suppress(NotFoundError):
            await room_api.delete_room(room.id)

    async with AsyncRecordingApi(address, token) as recording_api:
        for recording_id in await recording_api.get_list():
            assert_type(await recording_api.get_content(recording_id, "index.m3u8"), bytes)
            async with recording_api.stream_content(recording_id, "index.m3u8") as stream:
                async for piece in stream:
                    assert_type(piece, bytes)
            await recording_api.delete(recording_id)
        assert_type(await recording_api.get_health(), HealthReport)


def main() -> None:
    from jellyfish.testing import JellyfishServer

    with JellyfishServer() as server:
        blocking(server.address, server.token)
        anyio.run(asynchronous, server.address, server.token)
        anyio.run(asynchronous, server.address, server.token, backend="trio")
    print("ok")


if __name__ == "__main__":
    main()
