"""Bad input the emulator must survive like the real server (issue 11's four fixes)."""

from __future__ import annotations

import contextlib
import json
import socket
from typing import Any

import pytest
import websocket

from jellyfish.events._protos.jellyfish.server_notifications_pb2 import ServerMessage
from jellyfish.testing import JellyfishServer
from jellyfish.testing._json import decode_deep_json, decode_json

from .helpers import Rest, server_ws

pytestmark = pytest.mark.emulator_only


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def test_oversized_body_gets_413_and_the_connection_closes(jellyfish_server: Any) -> None:
    host, port = jellyfish_server.address.split(":")
    body = b"x" * 8_500_000
    head = (
        f"POST /room HTTP/1.1\r\nhost: {host}\r\nauthorization: Bearer {jellyfish_server.token}\r\n"
        f"content-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n"
    ).encode()
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head)
        # the server may close while we are still sending: fine
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(body)
        answer = _read_all(sock)
    assert answer.startswith(b"HTTP/1.1 413")
    assert answer.count(b"HTTP/1.1") == 1  # no spurious "400 Invalid HTTP request" after it
    assert b"Request Entity Too Large" in answer


def test_deeply_nested_json_is_parsed_like_jason(jellyfish_server: Any) -> None:
    depth = 1_000
    nested = "[" * depth + "]" * depth
    body = '{"roomId": "deep-room", "maxPeers": 3, "extra": ' + nested + "}"
    with Rest(jellyfish_server) as rest:
        response = rest.request(
            "POST", "/room", content=body, headers={"content-type": "application/json"}
        )
        assert response.status_code == 201, response.text
        assert response.json()["data"]["room"]["config"]["maxPeers"] == 3
        broken = rest.request(
            "POST", "/room", content="[" * depth, headers={"content-type": "application/json"}
        )
        assert (broken.status_code, broken.json()) == (400, {"errors": {"detail": "Bad Request"}})


def test_deep_json_decoder_matches_json_module() -> None:
    samples = [
        '{"a": [1, 2.5, -3e2, true, false, null, "s\\u00e9"], "b": {}}',
        "[]",
        ' {"k": {"k": [{"x": "y"}]}} ',
    ]
    for text in samples:
        assert decode_deep_json(text) == json.loads(text)
    deep = decode_json("[" * 5000 + "]" * 5000)
    for _ in range(4999):
        deep = deep[0]
    assert deep == []
    for bad in ["[1,]", '{"a" 1}', "[1] x", "tru", "NaN"]:
        with pytest.raises(ValueError):  # noqa: PT011 (each bad input has its own message)
            decode_deep_json(bad)


def test_a_client_that_does_not_read_is_dropped(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr("jellyfish.testing._websocket.MAX_QUEUED_BYTES", 256 * 1024)
    with JellyfishServer() as server, Rest(server) as rest:
        slow = websocket.create_connection(
            server.server_websocket_url,
            timeout=5,
            sockopt=((socket.SOL_SOCKET, socket.SO_RCVBUF, 4096),),
        )
        slow.send_binary(
            ServerMessage(
                auth_request=ServerMessage.AuthRequest(token=server.token)
            ).SerializeToString()
        )
        slow.recv()
        subscribe = ServerMessage.SubscribeRequest(event_type=1)
        slow.send_binary(ServerMessage(subscribe_request=subscribe).SerializeToString())
        slow.recv()
        room_id, _ = rest.create_room()
        peer_id, _, _ = rest.add_peer(room_id)
        big = "x" * 100_000
        for _ in range(120):  # 12 MB: more than the kernel buffers and the queue hold
            server.set_peer_metadata(room_id, peer_id, big)
        received = 0
        dropped = False
        while not dropped:
            try:
                slow.recv()
                received += 1
            except (websocket.WebSocketException, OSError):
                dropped = True
        assert received < 122  # RoomCreated, PeerAdded and 120 updates were never all sent
        assert "is not reading" in caplog.text
        slow.close()
        with server_ws(server.address, server.token) as fresh:  # the server is fine
            rest.create_room()
            assert fresh.next_kind()[0] == "room_created"
