"""``jellyfish webhooks listen``: a local receiver printing what a Jellyfish POSTs to it."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from click.testing import CliRunner

from jellyfish import RoomApi
from jellyfish._cli import cli
from jellyfish.events import ServerMessage
from jellyfish.testing import JellyfishServer

from .conftest import COMMAND, SETTINGS_VARIABLES

LISTENING = re.compile(r"^Listening for webhooks on (?P<url>http://\S+) \(Ctrl-C to stop\)$")


@contextmanager
def listener(*args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    environ = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    process = subprocess.Popen(
        [str(COMMAND), "webhooks", "listen", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environ,
    )
    try:
        assert process.stderr is not None
        match = LISTENING.match(process.stderr.readline().rstrip("\n"))
        assert match, "no listening line"
        yield process, match["url"]
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()


@pytest.mark.emulator_only
@pytest.mark.parametrize("webhook_format", ["protobuf", "json"])
def test_prints_what_the_server_sends_in_either_format(webhook_format: str) -> None:
    room_id = f"cli-wh-{uuid.uuid4().hex[:8]}"
    with (
        JellyfishServer(webhook_format=webhook_format) as server,
        listener() as (
            process,
            url,
        ),
        RoomApi(server.address, server.token) as api,
    ):  # type: ignore[arg-type]
        api.create_room(room_id=room_id, webhook_url=f"{url}/webhook")
        api.delete_room(room_id)
        assert process.stdout is not None
        lines = [process.stdout.readline().rstrip("\n") for _ in range(2)]
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    assert re.match(
        rf"^\d\d:\d\d:\d\d\.\d\d\d ServerMessageRoomCreated\(room_id='{room_id}'\)$", lines[0]
    )
    assert lines[1].endswith(f" ServerMessageRoomDeleted(room_id='{room_id}')")


def test_json_lines_room_filter_and_limit_in_process(unused_port: int) -> None:
    wanted = ServerMessage(room_created=ServerMessage.RoomCreated(room_id="wanted"))
    other = ServerMessage(room_created=ServerMessage.RoomCreated(room_id="other"))
    legacy = {"notification": wanted.SerializeToString().decode("utf-8")}
    answers: list[int] = []

    def post_when_listening() -> None:
        url = f"http://127.0.0.1:{unused_port}/hook"
        for _ in range(200):  # the listener binds moments after the runner starts it
            try:
                httpx.get(url, timeout=1)
                break
            except httpx.TransportError:
                threading.Event().wait(0.02)
        protobuf = {"content-type": "application/x-protobuf"}
        answers.append(
            httpx.post(url, content=other.SerializeToString(), headers=protobuf).status_code
        )
        answers.append(httpx.post(url, content=b"\xff\xff", headers=protobuf).status_code)
        answers.append(
            httpx.post(url, content=b"hello", headers={"content-type": "text/plain"}).status_code
        )
        answers.append(
            httpx.post(url, content=wanted.SerializeToString(), headers=protobuf).status_code
        )
        answers.append(httpx.post(url, json=legacy).status_code)

    poster = threading.Thread(target=post_when_listening)
    poster.start()
    result = CliRunner().invoke(
        cli,
        [
            "webhooks",
            "listen",
            "--port",
            str(unused_port),
            "--room",
            "wanted",
            "--json",
            "--limit",
            "2",
        ],
    )
    poster.join(timeout=30)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(line["type"], line["notification"]) for line in lines] == [
        ("ServerMessageRoomCreated", {"roomId": "wanted"}),
        ("ServerMessageRoomCreated", {"roomId": "wanted"}),
    ]
    assert answers == [204, 400, 400, 204, 204]
    assert "Rejected a webhook to /hook: " in result.stderr


def test_oversized_and_lengthless_bodies_are_refused(unused_port: int) -> None:
    with listener("--limit", "1") as (process, url):
        too_big = httpx.post(
            url,
            content=b"x" * (1024 * 1024 + 1),
            headers={"content-type": "application/x-protobuf"},
        )
        assert too_big.status_code == 413
        chunked = httpx.post(
            url, content=iter([b"ab"]), headers={"content-type": "application/x-protobuf"}
        )
        assert chunked.status_code == 411
        assert process.poll() is None  # still listening


def test_port_in_use_is_a_one_line_error(unused_port: int) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["webhooks", "listen", "--port", str(port)])
    assert result.exit_code == 1
    assert result.stderr == "Error: Address already in use\n"


def test_invalid_port() -> None:
    result = CliRunner().invoke(cli, ["webhooks", "listen", "--port", "70000"])
    assert result.exit_code == 2
    assert "Invalid value for '--port'" in result.stderr
