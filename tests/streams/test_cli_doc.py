"""docs/cli.md's `jellyfish bridge` sessions are real: the commands run, as a user runs them,
against an emulator (with the rooms the page names) and a local redis-server, and print what
the page shows (timestamps aside); Ctrl-C stops each one with exit status 0."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import ClassVar

import pytest

from jellyfish import RoomApi
from jellyfish.testing import JellyfishServer

from ._redis_server import RedisServer

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"
SECTION = re.compile(r"^### `jellyfish bridge`\n(?P<section>.*?)(?=^#|\Z)", re.S | re.M)
CONSOLE = re.compile(r"^```console\n(?P<body>.*?)^```", re.S | re.M)
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ", re.M)
WEBHOOKS = "127.0.0.1:8001"  # the webhook address the page shows (the test uses a free port)

pytestmark = pytest.mark.emulator_only


def sessions() -> list[tuple[str, list[str]]]:
    """``(command, expected lines before ^C)`` for each command of the sessions."""
    section = SECTION.search(DOC.read_text(encoding="utf-8"))
    assert section, "docs/cli.md has no `jellyfish bridge` section"
    found: list[tuple[str, list[str]]] = []
    for block in CONSOLE.finditer(section["section"]):
        for line in block["body"].splitlines():
            if line.startswith("$ "):
                found.append((line[2:], []))
            elif line not in ("^C", "Stopped."):
                found[-1][1].append(line)
    assert len(found) == 3, found  # two bridges on the WebSocket, one on webhooks
    return found


def test_bridge_sessions_run_as_documented(redis_server: RedisServer) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        webhooks = f"127.0.0.1:{sock.getsockname()[1]}"
    with (
        JellyfishServer(external_address="localhost:5002") as server,
        RoomApi(f"127.0.0.1:{server.port}", server.token) as api,
    ):
        api.create_room(room_id="demo")
        env = {
            **os.environ,
            "JELLYFISH_ADDRESS": f"127.0.0.1:{server.port}",
            "JELLYFISH_TOKEN": server.token,
        }
        for command, expected in sessions():
            if "--webhooks" in command:  # the room the page says was created meanwhile
                api.create_room(room_id="hooked", webhook_url=f"http://{webhooks}/jellyfish")
            argv = command.replace("redis://127.0.0.1:6379", redis_server.url)
            argv = argv.replace(WEBHOOKS, webhooks).split()
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
            shown = [line.replace(webhooks, WEBHOOKS) for line in shown]
            assert shown == [TIMESTAMP.sub("", line) for line in expected], command
            assert rest.strip().endswith("Stopped."), rest


class RecordedBridge:
    """Stands in for jellyfish.redis.Bridge: records what the command made of its options."""

    made: ClassVar[list[dict[str, object]]] = []

    def __init__(self, redis_url: str, **options: object) -> None:
        self.made.append(options)

    async def run(self) -> None:
        """Returns at once: the command then stops as after Ctrl-C."""


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ([], {"webhooks": None, "catch_up_interval": 60.0}),
        (["--webhooks", ":8000"], {"webhooks": ":8000", "catch_up_interval": 60.0}),
        (["--catch-up-interval", "0"], {"webhooks": None, "catch_up_interval": None}),
        (["--catch-up-interval", "2.5"], {"webhooks": None, "catch_up_interval": 2.5}),
    ],
)
def test_bridge_options(
    monkeypatch: pytest.MonkeyPatch, arguments: list[str], expected: dict[str, object]
) -> None:
    from click.testing import CliRunner

    import jellyfish.redis
    from jellyfish._cli import cli

    monkeypatch.setattr(jellyfish.redis, "Bridge", RecordedBridge)
    RecordedBridge.made.clear()
    result = CliRunner().invoke(cli, ["bridge", "-q", *arguments])  # -q: the log level stays
    assert result.exit_code == 0, result.output
    (options,) = RecordedBridge.made
    assert {key: options[key] for key in expected} == expected


def test_bridge_refuses_a_bad_or_busy_webhook_address() -> None:
    from click.testing import CliRunner

    from jellyfish._cli import cli

    bad = CliRunner().invoke(cli, ["bridge", "--webhooks", "8000"])
    assert bad.exit_code == 2
    assert "Invalid value for '--webhooks': expected [HOST]:PORT" in bad.output
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        address = f"127.0.0.1:{busy.getsockname()[1]}"
        in_use = CliRunner().invoke(cli, ["bridge", "-q", "--webhooks", address])
    assert in_use.exit_code == 1
    assert f"Error: cannot receive webhooks on {address}: " in in_use.output
