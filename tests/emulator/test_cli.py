"""``python -m jellyfish.testing`` runs in the foreground and stops on SIGINT."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import websocket

from jellyfish.events._protos.jellyfish.server_notifications_pb2 import ServerMessage

pytestmark = pytest.mark.emulator_only


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_cli_serves_and_logs_like_jellyfish() -> None:
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jellyfish.testing",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--token",
            "cli-token",
            "--media-speed",
            "20",
            "--metrics-port",
            "0",
        ],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    try:
        assert process.stderr is not None
        lines = []
        for line in process.stderr:  # the banner says it is listening
            lines.append(line)
            if "Running Jellyfish emulator" in line:
                break
        assert f"127.0.0.1:{port}" in lines[-1]
        response = httpx.get(
            f"http://127.0.0.1:{port}/room", headers={"authorization": "Bearer cli-token"}
        )
        assert response.json() == {"data": []}
        ws = websocket.create_connection(
            f"ws://127.0.0.1:{port}/socket/server/websocket", timeout=5
        )
        ws.send_binary(
            ServerMessage(
                auth_request=ServerMessage.AuthRequest(token="cli-token")
            ).SerializeToString()
        )
        assert ServerMessage.FromString(ws.recv()).WhichOneof("content") == "authenticated"
        ws.close()
        process.send_signal(signal.SIGINT)
        _, rest = process.communicate(timeout=10)
        log = "".join(lines) + rest
        assert "New incoming server WebSocket connection, accepting" in log
        assert "Server WS authenticated." in log
        assert "media speed 20x" in lines[-1]
        assert "cli-token" not in log  # the token never reaches the logs
        assert process.returncode == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def _help(*command: str) -> str:
    done = subprocess.run(
        [*command, "--help"], capture_output=True, text=True, check=True, env=_clean_env()
    )
    return done.stdout


def _clean_env() -> dict[str, str]:
    """The environment without JF_* variables (the help shows the documented defaults)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("JF_")}


def _options_with_help(text: str) -> dict[str, str]:
    """``--option`` -> its help paragraph, from argparse's --help output."""
    options: dict[str, str] = {}
    current = None
    for line in text.split("options:", 1)[1].splitlines():
        stripped = line.strip()
        if stripped.startswith("-"):
            current = stripped.split()[0].rstrip(",")
            if current == "-h":
                current = "--help"
            options[current] = stripped
        elif current is not None and stripped:
            options[current] += " " + stripped
    return options


def test_help_shows_every_option_with_its_default_and_a_sentence() -> None:
    from jellyfish.testing.__main__ import _parser

    text = _help(sys.executable, "-m", "jellyfish.testing")
    assert text.startswith("usage: python -m jellyfish.testing ")
    options = _options_with_help(text)
    declared = {
        option
        for option in _parser("x").format_usage().replace("[", " ").replace("]", " ").split()
        if option.startswith("--")
    }
    assert declared <= set(options)  # every option is listed
    for option, paragraph in options.items():
        if option == "--help":
            continue
        assert "(default: " in paragraph, option  # with its default
        assert "." in paragraph.split("(default: ")[0] or paragraph.endswith(")."), option
    # the Jellyfish defaults where the Python API uses free ports
    assert "$JF_PORT or 5002" in options["--port"]
    assert "$JF_METRICS_PORT or 9568" in options["--metrics-port"]
    assert "$JF_METRICS_IP or 127.0.0.1" in options["--metrics-host"]
    assert "(default: 5)" in options["--request-timeout"]
    assert "(default: 60)" in options["--idle-timeout"]


def test_jellyfish_emulator_help_names_itself() -> None:
    command = Path(sys.executable).with_name("jellyfish")
    text = _help(str(command), "emulator")
    assert text.startswith("usage: jellyfish emulator ")
    assert "python -m jellyfish.testing" not in text


def test_command_line_options_reach_the_server() -> None:
    from jellyfish.testing.__main__ import _parser, _server_options

    def options(*argv: str) -> dict[str, object]:
        return _server_options(_parser("x").parse_args(list(argv)))

    assert options("--no-metrics-listener")["metrics_port"] is None
    assert options()["metrics_port"] == 9568 or "JF_METRICS_PORT" in os.environ
    assert options("--request-timeout", "never", "--idle-timeout", "2.5")["request_timeout"] is None
    assert options("--idle-timeout", "2.5")["idle_timeout"] == 2.5
    assert options("--manual-clock", "--failing-s3-bucket", "a", "--failing-s3-bucket", "b")[
        "failing_s3_buckets"
    ] == frozenset({"a", "b"})
    with pytest.raises(SystemExit):
        _parser("x").parse_args(["--request-timeout", "0"])
