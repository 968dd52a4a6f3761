"""``python -m jellyfish.testing`` runs in the foreground and stops on SIGINT."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

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
