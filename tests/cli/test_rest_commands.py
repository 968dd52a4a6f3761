"""Every REST command, end to end against the emulator (or a real server), in both ways."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from jellyfish import ComponentOptionsHLS, RoomApi
from jellyfish.testing import JellyfishServer
from jellyfish.testing.pytest_plugin import RealJellyfish

from .conftest import Run


@pytest.fixture
def api(jellyfish_shared_server: JellyfishServer | RealJellyfish) -> Iterator[RoomApi]:
    with RoomApi(jellyfish_shared_server.address, jellyfish_shared_server.token) as room_api:
        yield room_api


@pytest.fixture
def room_id(api: RoomApi) -> Iterator[str]:
    """A unique id for a room the test creates; the room is deleted afterwards."""
    room_id = f"cli-{uuid.uuid4().hex[:12]}"
    yield room_id
    if room_id in {room.id for room in api.get_all_rooms()}:
        api.delete_room(room_id)


@pytest.fixture
def h264_room(api: RoomApi, room_id: str) -> str:
    api.create_room(room_id=room_id, video_codec="h264")
    return room_id


def test_health(run: Run, env: dict[str, str]) -> None:
    text = run("health", env=env)
    assert text.exit_code == 0, text
    assert text.stdout.splitlines()[0].split() == ["status:", "UP"]
    assert "version:" in text.stdout
    as_json = run("health", "--json", env=env)
    assert json.loads(as_json.stdout)["status"] == "UP"


def test_room_create_show_list_delete(run: Run, env: dict[str, str], room_id: str) -> None:
    created = run(
        "room", "create", "--room-id", room_id, "--video-codec", "h264", "--max-peers", "3",
        "--webhook-url", "http://127.0.0.1:9/hook", env=env,
    )  # fmt: skip
    assert created.exit_code == 0, created
    assert created.stdout.startswith(f"Created room {room_id} on ")

    listed = run("rooms", env=env)
    assert listed.exit_code == 0, listed
    header, *rows = listed.stdout.splitlines()
    assert header.split() == ["ID", "CODEC", "PEERS", "COMPONENTS", "WEBHOOK"]
    assert [room_id, "h264", "0", "-", "http://127.0.0.1:9/hook"] in [r.split() for r in rows]
    as_json = json.loads(run("rooms", "--json", env=env).stdout)
    assert room_id in [room["id"] for room in as_json]

    shown = run("room", "show", room_id, env=env)
    assert shown.exit_code == 0, shown
    assert shown.stdout.splitlines() == [
        f"room {room_id} (max peers 3, video codec h264, webhook url http://127.0.0.1:9/hook)",
        "├── peers: 0",
        "└── components: 0",
    ]
    shown_json = json.loads(run("room", "show", room_id, "--json", env=env).stdout)
    assert shown_json["config"]["maxPeers"] == 3

    deleted = run("room", "delete", room_id, env=env)
    assert (deleted.exit_code, deleted.stdout) == (0, f"Deleted room {room_id}\n")
    assert room_id not in [r["id"] for r in json.loads(run("rooms", "--json", env=env).stdout)]


def test_room_create_json_and_timeouts(
    run: Run, env: dict[str, str], room_id: str, api: RoomApi
) -> None:
    created = run(
        "room", "create", "--room-id", room_id, "--peerless-purge-timeout", "60",
        "--peer-disconnected-timeout", "30", "--json", env=env,
    )  # fmt: skip
    assert created.exit_code == 0, created
    data = json.loads(created.stdout)
    assert data["room"]["id"] == room_id
    assert data["jellyfish_address"]
    config = api.get_room(room_id).config
    assert (config.peerless_purge_timeout, config.peer_disconnected_timeout) == (60, 30)


def test_peer_add_prints_what_a_client_needs(
    run: Run, env: dict[str, str], h264_room: str, api: RoomApi
) -> None:
    added = run("peer", "add", h264_room, env=env)
    assert added.exit_code == 0, added
    fields = dict(line.split(":", 1) for line in added.stdout.splitlines())
    peer_id, token = fields["peer"].strip(), fields["token"].strip()
    assert fields["websocket url"].strip().startswith("ws://")
    assert fields["websocket url"].strip().endswith("/socket/peer/websocket")
    assert [peer.id for peer in api.get_room(h264_room).peers] == [peer_id]
    assert token

    shown = run("room", "show", h264_room, env=env).stdout
    assert f"peer {peer_id} (webrtc, disconnected)" in shown

    as_json = json.loads(run("peer", "add", h264_room, "--simulcast", "--json", env=env).stdout)
    assert set(as_json) == {"peer", "token", "peer_websocket_url"}
    assert as_json["peer"]["type"] == "webrtc"

    deleted = run("peer", "delete", h264_room, peer_id, env=env)
    assert (deleted.exit_code, deleted.stdout) == (
        0,
        f"Deleted peer {peer_id} from room {h264_room}\n",
    )
    assert peer_id not in [peer.id for peer in api.get_room(h264_room).peers]


def test_component_add_hls_and_delete(
    run: Run, env: dict[str, str], h264_room: str, api: RoomApi
) -> None:
    added = run(
        "component", "add", h264_room, "hls", "--low-latency", "--subscribe-mode", "manual",
        "--target-window-duration", "30", "--json", env=env,
    )  # fmt: skip
    assert added.exit_code == 0, added
    component = json.loads(added.stdout)
    assert component["type"] == "hls"
    assert component["properties"]["lowLatency"] is True
    assert component["properties"]["subscribeMode"] == "manual"

    shown = run("room", "show", h264_room, env=env).stdout
    assert f"component {component['id']} (hls): low latency true" in shown

    subscribed = run("subscribe", h264_room, component["id"], "peer-a", "peer-b", env=env)
    assert subscribed.exit_code == 0, subscribed
    assert subscribed.stdout == f"Subscribed component {component['id']} to peer-a, peer-b\n"

    deleted = run("component", "delete", h264_room, component["id"], env=env)
    assert deleted.exit_code == 0, deleted
    assert api.get_room(h264_room).components == []


@pytest.mark.emulator_only
def test_component_add_file(
    run: Run, env: dict[str, str], h264_room: str, jellyfish_shared_server: JellyfishServer
) -> None:
    (jellyfish_shared_server.file_sources_dir / "cli-audio.ogg").write_bytes(b"OggS")
    added = run("component", "add", h264_room, "file", "--file-path", "cli-audio.ogg", env=env)
    assert added.exit_code == 0, added
    assert added.stdout.startswith("Added file component ")
    assert added.stdout.endswith(f" to room {h264_room}\n")


def test_component_add_rtsp_and_recording(
    run: Run, env: dict[str, str], h264_room: str, api: RoomApi
) -> None:
    rtsp = run(
        "component", "add", h264_room, "rtsp", "--source-uri", "rtsp://127.0.0.1:9/stream",
        "--rtp-port", "20010", "--reconnect-delay", "100", "--keep-alive-interval", "1000",
        "--no-pierce-nat", "--json", env=env,
    )  # fmt: skip
    assert rtsp.exit_code == 0, rtsp
    properties = json.loads(rtsp.stdout)["properties"]
    assert properties["rtpPort"] == 20010
    assert properties["pierceNat"] is False

    recording = run(
        "component", "add", h264_room, "recording", "--path-prefix", "cli",
        "--s3-access-key-id", "id", "--s3-secret-access-key", "secret-key-value",
        "--s3-region", "eu-central-1", "--s3-bucket", "bucket", env=env,
    )  # fmt: skip
    assert recording.exit_code == 0, recording
    types = sorted(c.to_dict()["type"] for c in api.get_room(h264_room).components)
    assert types == ["recording", "rtsp"]
    assert "secret-key-value" not in run("room", "show", h264_room, env=env).stdout


@pytest.mark.emulator_only
def test_component_add_sip_never_prints_the_password(
    run: Run, jellyfish_shared_server: JellyfishServer, room_id: str
) -> None:
    with JellyfishServer(sip_enabled=True) as sip_server:
        env = {"JELLYFISH_ADDRESS": sip_server.address, "JELLYFISH_TOKEN": sip_server.token}
        assert run("room", "create", "--room-id", room_id, env=env).exit_code == 0
        added = run(
            "component", "add", room_id, "sip", "--sip-address", "127.0.0.1:5061",
            "--sip-username", "user", "--sip-password", "s3cret-pw", env=env,
        )  # fmt: skip
        assert added.exit_code == 0, added
        component_id = added.stdout.split()[3]
        shown = run("room", "show", room_id, env=env)
        assert f"component {component_id} (sip)" in shown.stdout
        assert "s3cret-pw" not in shown.stdout

        dialled = run("sip", "dial", room_id, component_id, "+48123456789", env=env)
        assert (dialled.exit_code, dialled.stdout) == (
            0,
            f"Dialling +48123456789 from component {component_id}\n",
        )
        hung_up = run("sip", "hangup", room_id, component_id, env=env)
        assert (hung_up.exit_code, hung_up.stdout) == (
            0,
            f"Ending the call of component {component_id}\n",
        )


def test_recordings_list_and_missing_recording(run: Run, env: dict[str, str]) -> None:
    listed = run("recordings", "--json", env=env)
    assert listed.exit_code == 0, listed
    assert isinstance(json.loads(listed.stdout), list)

    missing = run("recording", "delete", "no-such-recording", env=env)
    assert missing.exit_code == 1
    assert missing.stderr.startswith("Error: 404 Not Found: ")
    assert missing.stderr.rstrip().endswith("(DELETE /recording/no-such-recording)")

    download = run("recording", "get", "no-such-recording", "index.m3u8", "-o", "x.m3u8", env=env)
    assert download.exit_code == 1
    assert "404 Not Found" in download.stderr


@pytest.mark.emulator_only
def test_recording_get_streams_to_disk_and_delete(
    run: Run, env: dict[str, str], jellyfish_shared_server: JellyfishServer, tmp_path: Path
) -> None:
    recording = jellyfish_shared_server.recordings_dir / "cli-recording"
    recording.mkdir(parents=True)
    payload = bytes(range(256)) * 4096  # 1 MiB: several chunks
    (recording / "segment.m4s").write_bytes(payload)
    (recording / "index.m3u8").write_text("#EXTM3U\n")

    listed = run("recordings", env=env)
    assert "cli-recording" in listed.stdout.splitlines()

    target = tmp_path / "out.m4s"
    saved = run("recording", "get", "cli-recording", "segment.m4s", "-o", str(target), env=env)
    assert saved.exit_code == 0, saved
    assert saved.stdout == f"Saved {target} ({len(payload)} bytes)\n"
    assert target.read_bytes() == payload
    assert not (tmp_path / "out.m4s.part").exists()

    default_name = run("recording", "get", "cli-recording", "index.m3u8", env=env, cwd=tmp_path)
    assert default_name.exit_code == 0, default_name
    assert (tmp_path / "index.m3u8").read_text() == "#EXTM3U\n"

    to_stdout = run("recording", "get", "cli-recording", "index.m3u8", "-o", "-", env=env)
    assert to_stdout.stdout == "#EXTM3U\n"

    deleted = run("recording", "delete", "cli-recording", env=env)
    assert (deleted.exit_code, deleted.stdout) == (0, "Deleted recording cli-recording\n")
    assert "cli-recording" not in run("recordings", env=env).stdout


@pytest.mark.emulator_only
def test_hls_get_streams_to_disk(
    run: Run,
    env: dict[str, str],
    jellyfish_shared_server: JellyfishServer,
    h264_room: str,
    api: RoomApi,
    tmp_path: Path,
) -> None:
    api.add_component(h264_room, ComponentOptionsHLS())
    directory = jellyfish_shared_server.hls_directory(h264_room)
    assert directory is not None
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "index.m3u8").write_text("#EXTM3U\n#EXT-X-VERSION:6\n")

    target = tmp_path / "playlist.m3u8"
    saved = run("hls", "get", h264_room, "index.m3u8", "-o", str(target), env=env)
    assert saved.exit_code == 0, saved
    assert target.read_text() == "#EXTM3U\n#EXT-X-VERSION:6\n"

    missing = run("hls", "get", h264_room, "nothing.m4s", "-o", str(tmp_path / "n"), env=env)
    assert missing.exit_code == 1
    assert missing.stderr.startswith("Error: 404 Not Found")
    assert not (tmp_path / "n").exists()
    assert not (tmp_path / "n.part").exists()


# -- failures: one line, the right exit code, no traceback --------------------------------------


def test_unknown_room(run: Run, env: dict[str, str]) -> None:
    shown = run("room", "show", "no-such-room", env=env)
    assert shown.exit_code == 1
    assert shown.stdout == ""
    assert shown.stderr == (
        "Error: 404 Not Found: Room no-such-room does not exist (GET /room/no-such-room)\n"
    )
    for args in (
        ("room", "delete", "no-such-room"),
        ("peer", "add", "no-such-room"),
        ("peer", "delete", "no-such-room", "p"),
        ("component", "add", "no-such-room", "hls"),
        ("component", "delete", "no-such-room", "c"),
        ("subscribe", "no-such-room", "c", "p"),
        ("sip", "dial", "no-such-room", "c", "123"),
        ("sip", "hangup", "no-such-room", "c"),
        ("hls", "get", "no-such-room", "index.m3u8"),
    ):
        failed = run(*args, env=env)
        assert failed.exit_code == 1, (args, failed)
        assert failed.stderr.startswith("Error: 404 Not Found: "), (args, failed)
        assert len(failed.stderr.splitlines()) == 1, (args, failed)
        assert "Traceback" not in failed.stderr


def test_bad_token_is_reported_and_never_printed(run: Run, env: dict[str, str]) -> None:
    bad = {**env, "JELLYFISH_TOKEN": "wrong-token-value"}
    failed = run("rooms", env=bad)
    assert (failed.exit_code, failed.stdout) == (1, "")
    assert failed.stderr == "Error: 401 Unauthorized: Invalid token (GET /room)\n"
    by_option = run("--token", "another-wrong-token", "health", env=env)
    assert by_option.exit_code == 1
    assert "401 Unauthorized" in by_option.stderr
    for outcome in (failed, by_option):
        assert "wrong-token" not in outcome.stdout + outcome.stderr


def test_unreachable_server(run: Run, unused_port: int) -> None:
    failed = run("--address", f"127.0.0.1:{unused_port}", "--timeout", "5", "rooms")
    assert (failed.exit_code, failed.stdout) == (1, "")
    assert failed.stderr.startswith("Error: connection failed")
    assert failed.stderr.rstrip().endswith("[ConnectionFailedError]")
    assert len(failed.stderr.splitlines()) == 1


def test_options_beat_the_environment(run: Run, env: dict[str, str], unused_port: int) -> None:
    wrong_env = {"JELLYFISH_ADDRESS": f"127.0.0.1:{unused_port}", "JELLYFISH_TOKEN": "wrong"}
    done = run(
        "--address",
        env["JELLYFISH_ADDRESS"],
        "--token",
        env["JELLYFISH_TOKEN"],
        "health",
        env=wrong_env,
    )
    assert done.exit_code == 0, done


def test_invalid_jellyfish_secure_is_a_usage_error(run: Run, env: dict[str, str]) -> None:
    failed = run("health", env={**env, "JELLYFISH_SECURE": "maybe"})
    assert failed.exit_code == 2
    assert "JELLYFISH_SECURE must be true or false" in failed.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("room", "create", "--max-peers", "0"), "Invalid value for '--max-peers'"),
        (("room", "create", "--video-codec", "av1"), "Invalid value for '--video-codec'"),
        (("room", "create", "--peerless-purge-timeout", "soon"), "'soon' is not a valid integer"),
        (("component", "add", "r", "webrtc"), "Invalid value for 'TYPE'"),
        (("component", "add", "r", "file"), "a file component needs --file-path"),
        (("component", "add", "r", "hls", "--file-path", "x"), "--file-path applies to file"),
        (("component", "add", "r", "hls", "--s3-bucket", "b"), "give all of --s3-access-key-id"),
        (("component", "add", "r", "sip", "--sip-address", "a"), "needs --sip-username"),
        (("room", "delete"), "Missing argument 'ROOM...'"),
        (("--timeout", "0", "rooms"), "Invalid value for '--timeout'"),
        (("no-such-command",), "No such command 'no-such-command'"),
    ],
)
def test_invalid_usage_exits_2(
    run: Run, env: dict[str, str], args: tuple[str, ...], message: str
) -> None:
    failed = run(*args, env=env)
    assert failed.exit_code == 2, failed
    assert message in failed.stderr
    assert failed.stdout == ""


def test_server_rejection_of_an_option_value(run: Run, env: dict[str, str], room_id: str) -> None:
    failed = run("room", "create", "--room-id", "not a valid id!", env=env)
    assert failed.exit_code == 1
    assert failed.stderr.startswith("Error: 400 Bad Request: ")
    assert failed.stderr.rstrip().endswith("(POST /room)")


@pytest.mark.emulator_only
def test_writing_the_download_fails_cleanly(
    run: Run, env: dict[str, str], tmp_path: Path, jellyfish_shared_server: JellyfishServer
) -> None:
    recording = jellyfish_shared_server.recordings_dir / "cli-unwritable"
    recording.mkdir(parents=True, exist_ok=True)
    (recording / "index.m3u8").write_text("#EXTM3U\n")
    target = tmp_path / "missing-dir" / "index.m3u8"
    failed = run("recording", "get", "cli-unwritable", "index.m3u8", "-o", str(target), env=env)
    assert failed.exit_code == 1
    assert failed.stderr.startswith("Error: No such file or directory: ")
    assert "Traceback" not in failed.stderr
