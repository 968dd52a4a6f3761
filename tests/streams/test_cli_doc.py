"""docs/cli.md's `jellyfish bridge` session is real: the commands run, as a user runs them,
against an emulator (with one room) and a local redis-server, and print what the page shows
(timestamps aside); Ctrl-C stops each one with exit status 0."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from jellyfish import RoomApi
from jellyfish.testing import JellyfishServer

from ._redis_server import RedisServer

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"
SECTION = re.compile(r"### `jellyfish bridge`.*?```console\n(?P<body>.*?)^```", re.S | re.M)
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ", re.M)

pytestmark = pytest.mark.emulator_only


def sessions() -> list[tuple[str, list[str]]]:
    """``(command, expected lines before ^C)`` for each command of the session."""
    match = SECTION.search(DOC.read_text(encoding="utf-8"))
    assert match, "docs/cli.md has no `jellyfish bridge` console session"
    found: list[tuple[str, list[str]]] = []
    for line in match["body"].splitlines():
        if line.startswith("$ "):
            found.append((line[2:], []))
        elif line not in ("^C", "Stopped."):
            found[-1][1].append(line)
    return found


def test_bridge_session_runs_as_documented(redis_server: RedisServer) -> None:
    with JellyfishServer(external_address="localhost:5002") as server:
        RoomApi(f"127.0.0.1:{server.port}", server.token).create_room(room_id="demo")
        env = {
            **os.environ,
            "JELLYFISH_ADDRESS": f"127.0.0.1:{server.port}",
            "JELLYFISH_TOKEN": server.token,
        }
        for command, expected in sessions():
            argv = command.replace("redis://127.0.0.1:6379", redis_server.url).split()
            assert argv[0] == "jellyfish"
            process = subprocess.Popen(
                [sys.executable, "-m", "jellyfish", *argv[1:]],
                env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            )  # fmt: skip
            assert process.stdout is not None
            lines = []
            deadline = time.monotonic() + 20
            while len(lines) < len(expected) and time.monotonic() < deadline:
                lines.append(process.stdout.readline().rstrip("\n"))
            process.send_signal(signal.SIGINT)
            rest, _ = process.communicate(timeout=10)
            assert process.returncode == 0, rest
            shown = [
                TIMESTAMP.sub("", line).replace(redis_server.url, "redis://127.0.0.1:6379")
                for line in lines
            ]
            shown = [line.replace(f"127.0.0.1:{server.port}", "localhost:5002") for line in shown]
            assert shown == [TIMESTAMP.sub("", line) for line in expected], command
            assert rest.strip().endswith("Stopped."), rest
