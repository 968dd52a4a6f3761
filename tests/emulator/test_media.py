"""The media simulation (issue 11): file, HLS, recording and RTSP components on their own.

``test_why_*`` runs unchanged against the emulator and in ``tests_remote`` mode; the rest use
a manual clock (``server.advance``) so every step is deterministic.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import m3u8
import pytest

from jellyfish import (
    AsyncRoomApi,
    ComponentOptionsFile,
    ComponentOptionsHLS,
    ComponentOptionsHLSSubscribeMode,
    Notifier,
)
from jellyfish.events import ServerMessage
from jellyfish.testing import JellyfishServer
from jellyfish.testing.media_files import (
    h264_access_units,
    h264_duration,
    ogg_opus_duration,
    write_h264,
    write_ogg_opus,
)
from jellyfish.testing.pytest_plugin import RealJellyfish

from .helpers import Rest, ServerWs, server_ws

S3 = {"accessKeyId": "id", "secretAccessKey": "secret", "region": "eu", "bucket": "ok"}
#: The file the "Why" flow plays; tests/run_against_remote.py puts it on the remote emulator.
VIDEO = "video.h264"


@pytest.fixture
def jellyfish_media_speed() -> float:
    return 20.0


def provide_video(server: Any) -> str:
    """The file for the "Why" flow: written here, or already on a server we do not control."""
    if not isinstance(server, RealJellyfish):
        assert server.media_speed == 20  # the jellyfish_media_speed fixture above
        write_h264(server.file_sources_dir / VIDEO, seconds=2)
    return VIDEO


# --- the flow of "Why" ------------------------------------------------------------------------


@pytest.mark.anyio
async def test_why_hls_playable_from_a_file(jellyfish_server: Any) -> None:
    """h264 room, HLS manual, File video.h264, subscribe, wait for HlsPlayable."""
    server = jellyfish_server
    file_path = provide_video(server)
    notifier = Notifier(server.address, server.token, queue_events=True)
    async with notifier, AsyncRoomApi(server.address, server.token) as api:
        await notifier.wait_ready()
        _, room = await api.create_room(video_codec="h264")
        hls = await api.add_component(
            room.id, ComponentOptionsHLS(subscribe_mode=ComponentOptionsHLSSubscribeMode.MANUAL)
        )
        file = await api.add_component(room.id, ComponentOptionsFile(file_path=file_path))
        assert file.tracks == []  # the real server publishes the track a moment later
        await api.subscribe(room.id, hls.id, [file.id])
        seen: list[Any] = []
        with anyio.fail_after(60):  # a real Jellyfish needs one 6 s segment
            async for event in notifier:
                if getattr(event, "room_id", None) != room.id:
                    continue
                seen.append(event)
                if isinstance(event, ServerMessage.HlsPlayable):
                    break
        names = [type(event).DESCRIPTOR.name for event in seen]
        assert names[0] == "RoomCreated"
        assert names.index("TrackAdded") < names.index("HlsPlayable")
        added = seen[names.index("TrackAdded")]
        assert (added.component_id, added.track.metadata) == (file.id, "null")
        assert added.track.type == ServerMessage.TRACK_TYPE_VIDEO
        assert seen[-1].component_id == hls.id
        after = await api.get_room(room.id)
        hls_now = next(c for c in after.components if c.id == hls.id)
        assert hls_now.properties.playable is True
        playlist = m3u8.loads((await api.get_hls_content(room.id, "index.m3u8")).decode())
        assert playlist.is_variant
        await api.delete_room(room.id)


# --- helpers ----------------------------------------------------------------------------------


@pytest.fixture
def manual() -> Iterator[JellyfishServer]:
    with JellyfishServer(manual_clock=True, webhook_loopback_only=True) as server:
        yield server


@pytest.fixture
def rest(manual: JellyfishServer) -> Iterator[Rest]:
    with Rest(manual) as client:
        yield client


@pytest.fixture
def ws(manual: JellyfishServer) -> Iterator[ServerWs]:
    with server_ws(manual.address, manual.token) as client:
        yield client


def add_component(rest: Rest, room_id: str, kind: str, **options: Any) -> dict[str, Any]:
    response = rest.request(
        "POST", f"/room/{room_id}/component", json={"type": kind, "options": options}
    )
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def hls(manual: JellyfishServer, room_id: str, name: str) -> httpx.Response:
    return httpx.get(f"{manual.http_url}/hls/{room_id}/{name}", timeout=5)


def nothing_pending(client: ServerWs) -> bool:
    return client.messages.empty()


# --- file component ---------------------------------------------------------------------------


def test_durations_from_the_files(tmp_path: Path) -> None:
    write_h264(tmp_path / "a.h264", seconds=3, framerate=30)
    data = (tmp_path / "a.h264").read_bytes()
    assert h264_access_units(data) == 90
    assert h264_duration(data, 30) == 3.0
    assert h264_duration(data, 10) == 9.0
    with_delimiters = b"".join(b"\x00\x00\x00\x01\x09\xf0\x00\x00\x01\x41\x9a" for _ in range(7))
    assert h264_access_units(with_delimiters) == 7
    write_ogg_opus(tmp_path / "a.ogg", seconds=1.5)
    assert ogg_opus_duration((tmp_path / "a.ogg").read_bytes()) == 1.5
    assert ogg_opus_duration(b"OggS") == 0.0
    assert h264_access_units(b"\x00") == 0


@pytest.mark.parametrize(
    ("name", "framerate", "seconds", "track_type"),
    [
        ("clip.h264", None, 3.0, ServerMessage.TRACK_TYPE_VIDEO),
        ("clip.h264", 10, 9.0, ServerMessage.TRACK_TYPE_VIDEO),
        ("clip.ogg", None, 1.5, ServerMessage.TRACK_TYPE_AUDIO),
    ],
)
def test_file_plays_for_its_duration_then_removes_itself(
    manual: JellyfishServer,
    rest: Rest,
    ws: ServerWs,
    name: str,
    framerate: int | None,
    seconds: float,
    track_type: int,
) -> None:
    if name.endswith(".h264"):
        write_h264(manual.file_sources_dir / name, seconds=3, framerate=30)
    else:
        write_ogg_opus(manual.file_sources_dir / name, seconds=1.5)
    room_id, _ = rest.create_room()
    options: dict[str, Any] = {"filePath": name}
    if framerate is not None:
        options["framerate"] = framerate
    component = add_component(rest, room_id, "file", **options)
    assert component["tracks"] == []
    kinds_and_bodies = ws.until("track_added")
    assert [kind for kind, _ in kinds_and_bodies] == ["room_created", "track_added"]
    added = kinds_and_bodies[-1][1]
    assert (added.room_id, added.component_id) == (room_id, component["id"])
    assert (added.track.type, added.track.metadata) == (track_type, "null")
    shown = rest.room(room_id)["components"][0]["tracks"]
    assert shown == [{"id": added.track.id, "type": shown[0]["type"], "metadata": None}]
    manual.advance(seconds - 0.01)
    assert nothing_pending(ws)
    manual.advance(0.02)
    kind, removed = ws.next_kind()
    assert (kind, removed.component_id, removed.track.id) == (
        "track_removed",
        component["id"],
        added.track.id,
    )
    assert rest.room(room_id)["components"] == []
    rest.request("DELETE", f"/room/{room_id}")
    assert ws.next_kind()[0] == "room_deleted"  # nothing else came in between


@pytest.mark.anyio
async def test_file_notifications_reach_an_async_notifier(anyio_backend: str) -> None:
    async with JellyfishServer(manual_clock=True) as server:
        write_ogg_opus(server.file_sources_dir / "a.ogg", seconds=2)
        notifier = Notifier(server.address, server.token, queue_events=True)
        async with notifier, AsyncRoomApi(server.address, server.token) as api:
            await notifier.wait_ready()
            _, room = await api.create_room()
            file = await api.add_component(room.id, ComponentOptionsFile(file_path="a.ogg"))
            events = []
            with anyio.fail_after(10):
                async for event in notifier:
                    events.append(event)
                    if isinstance(event, ServerMessage.TrackAdded):
                        await anyio.to_thread.run_sync(server.advance, 2.0)
                    if isinstance(event, ServerMessage.TrackRemoved):
                        break
            assert [type(e).DESCRIPTOR.name for e in events] == [
                "RoomCreated",
                "TrackAdded",
                "TrackRemoved",
            ]
            assert {e.component_id for e in events[1:]} == {file.id}
            assert (await api.get_room(room.id)).components == []


# --- HLS --------------------------------------------------------------------------------------


def start_hls(
    manual: JellyfishServer, rest: Rest, *, seconds: float = 600, **options: Any
) -> tuple[str, str, str]:
    """An h264 room with an hls component fed by a file; (room_id, hls_id, file_id)."""
    write_h264(manual.file_sources_dir / "long.h264", seconds=seconds)
    room_id, _ = rest.create_room(videoCodec="h264")
    hls_component = add_component(rest, room_id, "hls", **options)
    file = add_component(rest, room_id, "file", filePath="long.h264")
    return room_id, hls_component["id"], file["id"]


def test_hls_manual_mode_waits_for_a_subscription(
    manual: JellyfishServer, rest: Rest, ws: ServerWs
) -> None:
    room_id, hls_id, file_id = start_hls(manual, rest, subscribeMode="manual")
    ws.until("track_added")
    manual.advance(12)
    assert nothing_pending(ws)
    assert hls(manual, room_id, "index.m3u8").status_code == 404
    response = rest.request(
        "POST", f"/room/{room_id}/component/{hls_id}/subscribe", json={"origins": [file_id]}
    )
    assert response.status_code == 201
    manual.advance(5.99)
    assert nothing_pending(ws)
    manual.advance(0.02)
    kind, body = ws.next_kind()
    assert (kind, body.room_id, body.component_id) == ("hls_playable", room_id, hls_id)
    properties = rest.room(room_id)["components"]
    assert next(c for c in properties if c["id"] == hls_id)["properties"]["playable"] is True


def test_hls_playlists_and_segments(manual: JellyfishServer, rest: Rest, ws: ServerWs) -> None:
    room_id, _hls_id, _ = start_hls(manual, rest)
    ws.until("track_added")
    manual.advance(6)
    assert ws.next_kind()[0] == "hls_playable"
    manual.advance(12)
    master = hls(manual, room_id, "index.m3u8")
    assert master.headers["content-type"] == "application/vnd.apple.mpegurl"
    variant = m3u8.loads(master.text)
    assert variant.is_variant
    assert [p.uri for p in variant.playlists] == ["video.m3u8"]
    assert variant.playlists[0].stream_info.resolution == (1920, 1080)
    assert [(m.type, m.uri) for m in variant.media] == [("AUDIO", "audio.m3u8")]
    for rendition in ("video", "audio"):
        playlist = m3u8.loads(hls(manual, room_id, f"{rendition}.m3u8").text)
        assert playlist.target_duration == 6
        assert playlist.media_sequence == 0
        assert [s.duration for s in playlist.segments] == [6.0, 6.0, 6.0]
        assert not playlist.is_endlist
        assert playlist.segment_map[0].uri == f"{rendition}_header.mp4"
        for segment in playlist.segments:
            assert hls(manual, room_id, segment.uri).status_code == 200
    directory = manual.hls_directory(room_id)
    assert directory is not None
    assert directory == manual.resources_dir / "temporary_hls" / room_id
    rest.request("DELETE", f"/room/{room_id}")
    ws.until("room_deleted")
    assert not directory.exists()  # non-persistent output is deleted with the room
    assert hls(manual, room_id, "index.m3u8").status_code == 404


def test_ll_hls_parts_and_blocking_playlist_requests(
    manual: JellyfishServer, rest: Rest, ws: ServerWs
) -> None:
    room_id, _, _ = start_hls(manual, rest, lowLatency=True)
    ws.until("track_added")
    manual.advance(1.1 * 2)
    playlist = m3u8.loads(hls(manual, room_id, "video.m3u8").text)
    assert playlist.server_control.can_block_reload == "YES"
    assert playlist.part_inf.part_target == 1.1
    parts = [part.uri for segment in playlist.segments for part in segment.parts]
    assert parts == ["video_segment_0_0_part.m4s", "video_segment_0_1_part.m4s"]
    assert playlist.preload_hint.uri == "video_segment_0_2_part.m4s"
    assert hls(manual, room_id, parts[0]).status_code == 200
    answer: list[httpx.Response] = []
    blocked = threading.Thread(
        target=lambda: answer.append(
            httpx.get(
                f"{manual.http_url}/hls/{room_id}/video.m3u8",
                params={"_HLS_msn": 0, "_HLS_part": 3},
                timeout=10,
            )
        )
    )
    blocked.start()
    blocked.join(0.3)
    assert answer == []  # held until part 3 exists
    manual.advance(1.1 * 2)
    blocked.join(10)
    assert answer[0].status_code == 200
    held = m3u8.loads(answer[0].text)
    assert "video_segment_0_3_part.m4s" in [p.uri for s in held.segments for p in s.parts]
    manual.advance(6 * 7)  # past DELTA_MIN_SEGMENTS: delta playlists appear
    delta = hls(manual, room_id, "video.m3u8?_HLS_skip=YES")
    skipped = m3u8.loads(delta.text)
    assert skipped.skip.skipped_segments >= 1
    old_part = hls(manual, room_id, "video_segment_0_0_part.m4s")
    assert old_part.status_code == 404  # parts are kept for 4 segments only


def test_hls_target_window(manual: JellyfishServer, rest: Rest, ws: ServerWs) -> None:
    room_id, _, _ = start_hls(manual, rest, targetWindowDuration=12)
    ws.until("track_added")
    manual.advance(6 * 5)
    playlist = m3u8.loads(hls(manual, room_id, "video.m3u8").text)
    assert playlist.media_sequence == 3
    assert [s.uri for s in playlist.segments] == ["video_segment_3.m4s", "video_segment_4.m4s"]
    assert hls(manual, room_id, "video_segment_0.m4s").status_code == 404


def test_persistent_hls_becomes_a_recording(
    manual: JellyfishServer, rest: Rest, ws: ServerWs
) -> None:
    room_id, _, _ = start_hls(manual, rest, persistent=True, targetWindowDuration=6)
    ws.until("track_added")
    manual.advance(6 * 3)
    assert rest.request("GET", "/recording").json() == {"data": []}  # live: not listed
    rest.request("DELETE", f"/room/{room_id}")
    ws.until("room_deleted")
    assert rest.request("GET", "/recording").json() == {"data": [room_id]}
    manifest = httpx.get(f"{manual.http_url}/recording/{room_id}/video.m3u8", timeout=5)
    assert manifest.status_code == 200
    playlist = m3u8.loads(manifest.text)
    assert playlist.is_endlist
    assert playlist.media_sequence == 0
    assert len(playlist.segments) == 3  # every segment is back once the stream has ended
    master = httpx.get(f"{manual.http_url}/recording/{room_id}/index.m3u8", timeout=5)
    assert m3u8.loads(master.text).is_variant


@pytest.mark.parametrize(
    ("bucket", "result"), [("ok", "hls_uploaded"), ("broken", "hls_upload_crashed")]
)
def test_s3_upload_result_after_room_deleted(bucket: str, result: str) -> None:
    with (
        JellyfishServer(manual_clock=True, failing_s3_buckets={"broken"}) as server,
        Rest(server) as rest,
        server_ws(server.address, server.token) as client,
    ):
        room_id, _, _ = start_hls(server, rest, s3={**S3, "bucket": bucket})
        client.until("track_added")
        server.advance(6)
        client.until("hls_playable")
        rest.request("DELETE", f"/room/{room_id}")
        kinds = [kind for kind, _ in client.until(result)]
        assert kinds == ["track_removed", "room_deleted", result]


def test_peer_tracks_feed_hls(manual: JellyfishServer, rest: Rest, ws: ServerWs) -> None:
    from jellyfish.testing import FakePeer

    room_id, _ = rest.create_room(videoCodec="h264")
    hls_component = add_component(rest, room_id, "hls")
    peer_id, token, url = rest.add_peer(room_id)
    with FakePeer(url, token):
        manual.add_track(room_id, peer_id, "audio")
        manual.advance(6)
        _kind, body = ws.until("hls_playable")[-1]
        assert body.component_id == hls_component["id"]


def test_rooms_without_media_components_run_no_simulation(
    manual: JellyfishServer, rest: Rest
) -> None:
    room_id, _ = rest.create_room()
    rest.add_peer(room_id)
    core = manual.core
    assert core is not None
    assert manual.host.call_on_loop(core.media.active_media_rooms) == 0
    # the MetricsReport timer and the Prometheus room gauges' timer, nothing per room
    assert manual.host.call_on_loop(core.scheduler.pending) == 2


# --- recording and RTSP -----------------------------------------------------------------------


def test_recording_component_writes_raw_parts(
    manual: JellyfishServer, rest: Rest, ws: ServerWs
) -> None:
    write_h264(manual.file_sources_dir / "clip.h264", seconds=2)
    room_id, _ = rest.create_room(videoCodec="h264")
    add_component(rest, room_id, "recording", credentials=S3)
    file = add_component(rest, room_id, "file", filePath="clip.h264")
    _kind, added = ws.until("track_added")[-1]
    manual.advance(2)
    ws.until("track_removed")
    parts = list((manual.resources_dir / "raw_recordings" / room_id).iterdir())
    assert len(parts) == 1
    assert parts[0].name.startswith("part_")
    report = json.loads((parts[0] / "report.json").read_text())
    entry = report["tracks"][added.track.id]
    assert (entry["type"], entry["encoding"]) == ("video", "H264")
    assert entry["end"] - entry["offset"] == 2_000_000_000
    assert file["id"] not in report["tracks"]
    # §2.12: "recordings" are persistent HLS outputs; the recording component's are not
    assert rest.request("GET", "/recording").json() == {"data": []}


def test_rtsp_sources(manual: JellyfishServer, rest: Rest, ws: ServerWs) -> None:
    room_id, _ = rest.create_room(videoCodec="h264")
    manual.register_rtsp_source("rtsp://camera/1")
    up = add_component(rest, room_id, "rtsp", sourceUri="rtsp://camera/1")
    kind, body = ws.until("track_added")[-1]
    assert (body.component_id, body.track.type) == (up["id"], ServerMessage.TRACK_TYPE_VIDEO)
    down = add_component(rest, room_id, "rtsp", sourceUri="rtsp://camera/2", reconnectDelay=500)
    manual.advance(60)  # retried every 0.5 s, forever (max_reconnect_attempts: infinity)
    assert nothing_pending(ws)
    assert (
        next(c for c in rest.room(room_id)["components"] if c["id"] == down["id"])["tracks"] == []
    )
    manual.register_rtsp_source("rtsp://camera/2")
    manual.advance(0.5)
    kind, body = ws.next_kind()
    assert (kind, body.component_id) == ("track_added", down["id"])


# --- the clock --------------------------------------------------------------------------------


def test_timers_and_metrics_follow_the_manual_clock(manual: JellyfishServer, rest: Rest) -> None:
    with server_ws(manual.address, manual.token, subscribe=(1, 2)) as client:
        room_id, _ = rest.create_room(peerlessPurgeTimeout=10)
        assert client.next_kind()[0] == "room_created"
        manual.advance(9.5)
        kinds = [client.next_kind()[0] for _ in range(9)]
        assert kinds == ["metrics_report"] * 9
        assert rest.request("GET", f"/room/{room_id}").status_code == 200
        manual.advance(0.5)  # the purge timer was set before the 10th report's: it fires first
        assert [client.next_kind()[0] for _ in range(2)] == ["room_deleted", "metrics_report"]
    assert manual.now() == 10.0


def test_clock_options_and_repr() -> None:
    with pytest.raises(ValueError, match="media_speed"):
        JellyfishServer(media_speed=0)
    with pytest.raises(TypeError, match="unknown JellyfishServer option"):
        JellyfishServer(media_sped=2)
    server = JellyfishServer(token="s3cret-token", media_speed=20)
    assert repr(server) == "JellyfishServer(address='127.0.0.1:0', stopped, media_speed=20)"
    with server:
        assert "running" in repr(server)
        assert "s3cret" not in repr(server)
        with pytest.raises(RuntimeError, match="manual clock"):
            server.advance(1)


@pytest.mark.anyio
async def test_media_notifications_reach_async_consumers(anyio_backend: str) -> None:
    """RTSP, HLS, recording and the S3 upload, seen by a Notifier on asyncio and trio."""
    async with JellyfishServer(manual_clock=True, failing_s3_buckets={"broken"}) as server:
        server.register_rtsp_source("rtsp://camera")
        notifier = Notifier(server.address, server.token, queue_events=True)
        async with notifier:
            await notifier.wait_ready()
            with Rest(server) as rest:
                room_id, _ = rest.create_room(videoCodec="h264")
                hls_component = add_component(rest, room_id, "hls", s3={**S3, "bucket": "broken"})
                add_component(rest, room_id, "recording", credentials=S3)
                rtsp = add_component(rest, room_id, "rtsp", sourceUri="rtsp://camera")
                events: list[Any] = []
                with anyio.fail_after(10):
                    async for event in notifier:
                        events.append(event)
                        if isinstance(event, ServerMessage.TrackAdded):
                            await anyio.to_thread.run_sync(server.advance, 6)
                        elif isinstance(event, ServerMessage.HlsPlayable):
                            await anyio.to_thread.run_sync(
                                rest.request, "DELETE", f"/room/{room_id}"
                            )
                        elif isinstance(event, ServerMessage.HlsUploadCrashed):
                            break
        assert [type(e).DESCRIPTOR.name for e in events] == [
            "RoomCreated",
            "TrackAdded",
            "HlsPlayable",
            "TrackRemoved",
            "RoomDeleted",
            "HlsUploadCrashed",
        ]
        assert events[1].component_id == rtsp["id"]
        assert events[2].component_id == hls_component["id"]
        assert events[3].track.id == events[1].track.id
        assert {e.room_id for e in events} == {room_id}
        report = next((server.resources_dir / "raw_recordings" / room_id).iterdir())
        recorded = json.loads((report / "report.json").read_text())
        assert recorded["finished"] is True
        assert list(recorded["tracks"]) == [events[1].track.id]


def test_deleted_hls_component_is_no_longer_served(
    manual: JellyfishServer, rest: Rest, ws: ServerWs
) -> None:
    room_id, hls_id, _ = start_hls(manual, rest, persistent=True)
    ws.until("track_added")
    manual.advance(6)
    ws.until("hls_playable")
    assert hls(manual, room_id, "video.m3u8").status_code == 200
    assert rest.request("DELETE", f"/room/{room_id}/component/{hls_id}").status_code == 204
    assert hls(manual, room_id, "video.m3u8").status_code == 404
    manual.advance(60)  # no segment is written any more
    assert sorted(p.name for p in (manual.recordings_dir / room_id).iterdir()) == [
        "audio.m3u8",
        "audio_header.mp4",
        "audio_segment_0.m4s",
        "index.m3u8",
        "video.m3u8",
        "video_header.mp4",
        "video_segment_0.m4s",
    ]
    assert rest.request("GET", "/recording").json() == {"data": [room_id]}  # not live any more
    assert nothing_pending(ws)


def test_forced_playable_is_not_announced_twice(
    manual: JellyfishServer, rest: Rest, ws: ServerWs
) -> None:
    room_id, hls_id, _ = start_hls(manual, rest)
    ws.until("track_added")
    assert manual.hls_playable(room_id) == hls_id
    assert ws.next_kind()[0] == "hls_playable"
    manual.advance(12)
    assert nothing_pending(ws)


def test_a_new_hls_component_starts_from_an_empty_directory(
    manual: JellyfishServer, rest: Rest
) -> None:
    room_id, _ = rest.create_room(videoCodec="h264")
    stale = manual.recordings_dir / room_id
    stale.mkdir(parents=True)
    (stale / "old.m3u8").write_text("#EXTM3U\n")
    add_component(rest, room_id, "hls", persistent=True)
    assert list(stale.iterdir()) == []
