"""Test clients for the emulator: a blocking server-WebSocket client and a webhook receiver."""

from __future__ import annotations

import queue
import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import websocket

from jellyfish.events._protos.jellyfish.server_notifications_pb2 import ServerMessage

TIMEOUT = 5.0
NOTIFICATIONS = ServerMessage.EVENT_TYPE_SERVER_NOTIFICATION
METRICS = ServerMessage.EVENT_TYPE_METRICS


class ServerWs:
    """A server-WebSocket client with a reader thread (answers pings, queues frames)."""

    def __init__(self, address: str) -> None:
        self.ws = websocket.create_connection(
            f"ws://{address}/socket/server/websocket", timeout=TIMEOUT
        )
        self.ws.settimeout(None)
        self.messages: queue.Queue[ServerMessage] = queue.Queue()
        self.close_code: int | None = None
        self.close_reason: str | None = None
        self.pings = 0
        self.closed = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        try:
            while True:
                opcode, data = self.ws.recv_data(control_frame=True)
                if opcode == websocket.ABNF.OPCODE_CLOSE:
                    if len(data) >= 2:
                        self.close_code = struct.unpack("!H", data[:2])[0]
                        self.close_reason = data[2:].decode()
                    return
                if opcode == websocket.ABNF.OPCODE_PING:
                    self.pings += 1
                    self.messages.put(ServerMessage())  # a marker: empty message = ping
                elif opcode == websocket.ABNF.OPCODE_BINARY:
                    self.messages.put(ServerMessage.FromString(data))
        except Exception:
            if self.close_code is None:
                self.close_code = 1006
        finally:
            self.closed.set()

    def send(self, message: ServerMessage) -> None:
        self.ws.send_binary(message.SerializeToString())

    def auth(self, token: str) -> None:
        self.send(ServerMessage(auth_request=ServerMessage.AuthRequest(token=token)))

    def subscribe(self, event_type: int = NOTIFICATIONS) -> None:
        self.send(
            ServerMessage(subscribe_request=ServerMessage.SubscribeRequest(event_type=event_type))
        )

    def next(self, timeout: float = TIMEOUT, skip_pings: bool = True) -> ServerMessage:
        while True:
            message = self.messages.get(timeout=timeout)
            if message.WhichOneof("content") is None and skip_pings:
                continue
            return message

    def next_kind(self, timeout: float = TIMEOUT) -> tuple[str, Any]:
        message = self.next(timeout)
        kind = message.WhichOneof("content")
        assert kind is not None
        return kind, getattr(message, kind)

    def until(self, kind: str, timeout: float = TIMEOUT) -> list[tuple[str, Any]]:
        """Every message up to and including the first of ``kind``."""
        seen = []
        while True:
            item = self.next_kind(timeout)
            seen.append(item)
            if item[0] == kind:
                return seen

    def wait_closed(self) -> tuple[int | None, str | None]:
        assert self.closed.wait(TIMEOUT), "server did not close the socket"
        return self.close_code, self.close_reason

    def close(self) -> None:
        with suppress(Exception):
            self.ws.close(timeout=1)
        if self.ws.sock is not None:
            with suppress(OSError):
                self.ws.sock.shutdown(socket.SHUT_RDWR)
        self.ws.shutdown()
        self._reader.join(TIMEOUT)


@contextmanager
def server_ws(
    address: str, token: str, subscribe: tuple[int, ...] = (NOTIFICATIONS,)
) -> Iterator[ServerWs]:
    client = ServerWs(address)
    try:
        client.auth(token)
        assert client.next_kind()[0] == "authenticated"
        for event_type in subscribe:
            client.subscribe(event_type)
            kind, body = client.next_kind()
            assert kind == "subscribe_response"
            assert body.event_type == event_type
        yield client
    finally:
        client.close()


class WebhookReceiver:
    """Collects webhook POSTs (content type and raw body) on a local HTTP server."""

    def __init__(self, status: int = 200) -> None:
        self.requests: queue.Queue[tuple[str, bytes]] = queue.Queue()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                receiver.requests.put((self.headers.get("content-type", ""), body))
                self.send_response(status)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"OK")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhook"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)

    def __enter__(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def __exit__(self, *args: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(TIMEOUT)

    def next(self) -> tuple[str, ServerMessage]:
        content_type, body = self.requests.get(timeout=TIMEOUT)
        return content_type, ServerMessage.FromString(body)

    def next_kind(self) -> str:
        return str(self.next()[1].WhichOneof("content"))


class Rest:
    """A tiny REST client for the tests (the SDK's own client is tested elsewhere)."""

    def __init__(self, server: Any) -> None:
        self.client = httpx.Client(
            base_url=server.http_url,
            headers={"authorization": f"Bearer {server.token}"},
            timeout=TIMEOUT,
        )

    def __enter__(self) -> Rest:
        return self

    def __exit__(self, *args: object) -> None:
        self.client.close()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.request(method, path, **kwargs)

    def create_room(self, **config: Any) -> tuple[str, dict[str, Any]]:
        response = self.client.post("/room", json=config)
        assert response.status_code == 201, response.text
        data = response.json()["data"]
        return data["room"]["id"], data

    def add_peer(self, room_id: str) -> tuple[str, str, str]:
        response = self.client.post(f"/room/{room_id}/peer", json={"type": "webrtc"})
        assert response.status_code == 201, response.text
        data = response.json()["data"]
        return data["peer"]["id"], data["token"], data["peer_websocket_url"]

    def add_component(self, room_id: str, kind: str, **options: Any) -> dict[str, Any]:
        """``POST /room/:id/component`` of type ``kind``; the component (``data``)."""
        body = {"type": kind, "options": options}
        response = self.client.post(f"/room/{room_id}/component", json=body)
        assert response.status_code == 201, response.text
        data: dict[str, Any] = response.json()["data"]
        return data

    def room(self, room_id: str) -> dict[str, Any]:
        response = self.client.get(f"/room/{room_id}")
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()["data"]
        return data
