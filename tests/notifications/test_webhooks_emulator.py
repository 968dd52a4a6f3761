"""Webhook decoding of real emulator webhook requests, both formats."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from jellyfish import PeerOptionsWebRTC, RoomApi, receive_binary, receive_json, receive_webhook
from jellyfish.events import ServerMessage as S
from jellyfish.testing import FakePeer, JellyfishServer

from ._scenario import ALL_TYPES, describe, matches, run_scenario

pytestmark = pytest.mark.emulator_only


class Receiver:
    """A webhook endpoint on 127.0.0.1 that records (Content-Type, body) per request."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, bytes]] = []
        self.condition = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.condition:
                    receiver.requests.append((self.headers.get("Content-Type", ""), body))
                    receiver.condition.notify_all()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"OK")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/webhook"

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    def wait_for(self, count: int, timeout: float = 10) -> list[tuple[str, bytes]]:
        with self.condition:
            assert self.condition.wait_for(lambda: len(self.requests) >= count, timeout), (
                f"only {len(self.requests)} of {count} webhooks arrived"
            )
            return list(self.requests)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as receiver:
        yield receiver


def test_v05_protobuf_webhooks_of_every_type(jellyfish_server: Any, receiver: Receiver) -> None:
    expected = run_scenario(jellyfish_server, webhook_url=receiver.url)
    requests = receiver.wait_for(len(expected))
    assert {content_type for content_type, _ in requests} == {"application/x-protobuf"}
    decoded = [receive_webhook(body, content_type) for content_type, body in requests]
    assert matches(decoded, expected), describe(decoded, expected)
    assert {kind for kind, _ in expected} == ALL_TYPES
    assert [receive_binary(body) for _, body in requests] == decoded


def test_v03_json_webhooks(receiver: Receiver) -> None:
    with JellyfishServer(webhook_format="json") as server:
        with RoomApi(server_address=server.address, server_api_token=server.token) as api:
            _, room = api.create_room(webhook_url=receiver.url)
            token, peer = api.add_peer(room.id, PeerOptionsWebRTC())
            with FakePeer(server.address, token):
                receiver.wait_for(2)
            receiver.wait_for(3)
            api.delete_room(room.id)
        requests = receiver.wait_for(4)
    assert {content_type for content_type, _ in requests} == {"application/json"}
    decoded = [receive_webhook(body, content_type) for content_type, body in requests]
    # PeerAdded/PeerDeleted (fields 20, 21: two-byte tags >= 0x80) are not valid UTF-8,
    # so the v0.3 JSON format cannot carry them (and v0.3 had no such notifications)
    assert decoded == [
        S.RoomCreated(room_id=room.id),
        S.PeerConnected(room_id=room.id, peer_id=peer.id),
        S.PeerDisconnected(room_id=room.id, peer_id=peer.id),
        S.RoomDeleted(room_id=room.id),
    ]
    # receive_json takes the parsed body, as in the notifications guide
    assert [receive_json(json.loads(body)) for _, body in requests] == decoded
