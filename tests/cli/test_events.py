"""``jellyfish events``: a live tail of the server WebSocket, in a subprocess and in-process."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import IO

import pytest

from jellyfish import RoomApi
from jellyfish.testing import JellyfishServer
from jellyfish.testing.pytest_plugin import RealJellyfish

from .conftest import COMMAND, SETTINGS_VARIABLES, Run, run_in_process

LINE = re.compile(r"^\d\d:\d\d:\d\d\.\d\d\d (?P<readable>\w+\(.*\))$")


class Tail:
    """A running ``jellyfish events``: read its lines, then stop it with Ctrl-C."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process

    def line(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line, f"events ended early: {self.stop()}"
        return line.rstrip("\n")

    def stop(self, signum: int = signal.SIGINT) -> tuple[int, str]:
        """SIGINT (Ctrl-C) by default; returns the exit code and what remained on stderr."""
        if self.process.poll() is None:
            self.process.send_signal(signum)
        _, stderr = self.process.communicate(timeout=10)
        return self.process.returncode, stderr


@contextmanager
def tail(server: JellyfishServer | RealJellyfish, *args: str) -> Iterator[Tail]:
    environ = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    environ.update(JELLYFISH_ADDRESS=server.address, JELLYFISH_TOKEN=server.token)
    process = subprocess.Popen(
        [str(COMMAND), "events", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environ,
    )
    try:
        ready = _readline(process.stderr)
        assert ready.startswith("Listening to ws://"), ready
        yield Tail(process)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def _readline(stream: IO[str] | None) -> str:
    assert stream is not None
    return stream.readline()


@pytest.fixture
def room_ids(jellyfish_shared_server: JellyfishServer | RealJellyfish) -> Iterator[list[str]]:
    created: list[str] = []
    yield created
    with RoomApi(jellyfish_shared_server.address, jellyfish_shared_server.token) as api:
        existing = {room.id for room in api.get_all_rooms()}
        for room_id in created:
            if room_id in existing:
                api.delete_room(room_id)


def _new_room_id(room_ids: list[str]) -> str:
    room_ids.append(f"cli-ev-{uuid.uuid4().hex[:10]}")
    return room_ids[-1]


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_tail_prints_timestamped_readable_lines_and_ctrl_c_exits_0(
    jellyfish_shared_server: JellyfishServer | RealJellyfish, room_ids: list[str], stop_signal: int
) -> None:
    room_id = _new_room_id(room_ids)
    with (
        tail(jellyfish_shared_server, "--room", room_id) as events,
        RoomApi(jellyfish_shared_server.address, jellyfish_shared_server.token) as api,
    ):
        api.create_room(room_id=room_id)
        peer_id = api.add_peer(room_id).peer.id
        api.delete_peer(room_id, peer_id)
        api.delete_room(room_id)
        lines = [events.line() for _ in range(4)]
        readable = [LINE.match(line) for line in lines]
        assert all(readable), lines
        assert [m["readable"] for m in readable if m] == [
            f"ServerMessageRoomCreated(room_id='{room_id}')",
            f"ServerMessagePeerAdded(room_id='{room_id}', peer_id='{peer_id}')",
            f"ServerMessagePeerDeleted(room_id='{room_id}', peer_id='{peer_id}')",
            f"ServerMessageRoomDeleted(room_id='{room_id}')",
        ]
        started = time.monotonic()
        code, stderr = events.stop(stop_signal)
        assert code == 0, stderr
        assert time.monotonic() - started < 3  # "at once": no reconnect or drain wait
        assert "Traceback" not in stderr


def test_room_filter_and_json_lines(
    jellyfish_shared_server: JellyfishServer | RealJellyfish, room_ids: list[str]
) -> None:
    watched, other = _new_room_id(room_ids), _new_room_id(room_ids)
    with (
        tail(jellyfish_shared_server, "--room", watched, "--json") as events,
        RoomApi(jellyfish_shared_server.address, jellyfish_shared_server.token) as api,
    ):
        api.create_room(room_id=other)
        api.create_room(room_id=watched)
        api.delete_room(other)
        api.delete_room(watched)
        first, second = json.loads(events.line()), json.loads(events.line())
        assert events.stop()[0] == 0
    assert (first["type"], first["notification"]) == (
        "ServerMessageRoomCreated",
        {"roomId": watched},
    )
    assert (second["type"], second["notification"]) == (
        "ServerMessageRoomDeleted",
        {"roomId": watched},
    )
    assert datetime.fromisoformat(first["time"]).tzinfo is not None


@pytest.mark.emulator_only
def test_a_dropped_connection_shows_a_reconnected_line(
    jellyfish_server: JellyfishServer, room_ids: list[str]
) -> None:
    with (
        tail(jellyfish_server) as events,
        RoomApi(jellyfish_server.address, jellyfish_server.token) as api,
    ):
        assert jellyfish_server.drop_server_websockets() == 1
        reconnected = events.line()
        assert re.match(r"^\d\d:\d\d:\d\d\.\d\d\d --- reconnected \(", reconnected), reconnected
        assert "Reconnected(" in reconnected
        api.create_room(room_id="after-reconnect")
        assert events.line().endswith("ServerMessageRoomCreated(room_id='after-reconnect')")
        assert events.stop()[0] == 0


def test_metrics_in_process_with_limit(run: Run, env: dict[str, str]) -> None:
    done = run("events", "--metrics", "--json", "--limit", "1", env=env)
    assert done.exit_code == 0, done
    (line,) = done.stdout.splitlines()
    assert json.loads(line)["type"] == "ServerMessageMetricsReport"
    assert done.stderr.startswith("Listening to ws://")


def test_bad_token(run: Run, env: dict[str, str]) -> None:
    failed = run("events", env={**env, "JELLYFISH_TOKEN": "not-the-token"})
    assert (failed.exit_code, failed.stdout) == (1, "")
    assert failed.stderr.startswith("Error: ")
    assert failed.stderr.rstrip().endswith("[InvalidTokenError]")
    assert "not-the-token" not in failed.stderr


def test_unreachable_server(run: Run, unused_port: int) -> None:
    failed = run("--address", f"127.0.0.1:{unused_port}", "events")
    assert (failed.exit_code, failed.stdout) == (1, "")
    assert failed.stderr.startswith("Error: ")
    assert f"ws://127.0.0.1:{unused_port}/" in failed.stderr
    assert "refused" in failed.stderr
    assert len(failed.stderr.splitlines()) == 1


def test_invalid_limit() -> None:
    failed = run_in_process("events", "--limit", "0")
    assert failed.exit_code == 2
    assert "Invalid value for '--limit'" in failed.stderr


def test_a_closed_pipe_ends_the_tail_quietly(env: dict[str, str]) -> None:
    # `jellyfish events --metrics | head -1`: the reader goes away, no traceback follows
    environ = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    process = subprocess.Popen(
        [str(COMMAND), "events", "--metrics"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**environ, **env},
    )
    assert process.stdout is not None
    assert process.stdout.readline()  # the first MetricsReport
    process.stdout.close()
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 1
    assert stderr.startswith("Listening to ws://")
    assert "Traceback" not in stderr
    assert "Error" not in stderr
