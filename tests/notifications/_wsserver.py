"""A minimal Jellyfish server-WebSocket stand-in (wsproto over anyio, in its own thread).

Used where the emulator cannot reach: server pings, a silent (dead) peer, hand-made
frames (unknown content, garbage), bursts at loopback speed for benchmarks. It also
answers ``GET /room`` (for catch-up) with the rooms it is given, or with the error
statuses it is told to answer first.
"""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterable
from typing import Any

import anyio
import anyio.abc
import anyio.from_thread
from anyio.streams.tls import TLSStream
from support.websocket import AUTHENTICATED, subscribe_response
from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Ping,
    Pong,
    Request,
    TextMessage,
)
from wsproto.utilities import LocalProtocolError, RemoteProtocolError

from jellyfish._webhook_server import accept_socket, stream_of
from jellyfish.events import ServerMessage as S


class _Client:
    def __init__(self, stream: anyio.abc.ByteStream) -> None:
        self.stream = stream
        self.ws = WSConnection(ConnectionType.SERVER)
        self.subscribed: set[int] = set()
        self.lock = anyio.Lock()
        self.pongs = 0

    async def send(self, event: Any) -> None:
        async with self.lock:
            await self.stream.send(self.ws.send(event))


class FakeServerSocket:
    """``with FakeServerSocket() as server:`` -> ``server.address`` (``host:port``)."""

    def __init__(
        self,
        token: str = "development",
        *,
        silent_after_auth: bool = False,
        pre_subscribe_frames: Iterable[bytes] = (),
        post_subscribe_frames: Iterable[bytes] = (),
        drop_connections: int = 0,
        unacknowledged: Iterable[int] = (),
        ssl_context: ssl.SSLContext | None = None,
        rooms: Iterable[dict[str, Any]] = (),
        room_statuses: Iterable[int] = (),
    ) -> None:
        self.token = token
        self.rooms = list(rooms)
        """What ``GET /room`` answers (the JSON of each room)."""
        self.room_statuses = list(room_statuses)
        """Statuses ``GET /room`` answers first, one per request (e.g. 503; 0: no answer;
        -1: a 200 whose body the connection cuts short)."""
        self.room_requests = 0
        self.ssl_context = ssl_context
        self.silent_after_auth = silent_after_auth
        self.pre_subscribe_frames = list(pre_subscribe_frames)
        self.post_subscribe_frames = list(post_subscribe_frames)
        """Sent to every connection right after it subscribed to server notifications."""
        self.drop_connections = drop_connections
        self.unacknowledged = set(unacknowledged)
        """Subscriptions (event types) this server never acknowledges."""
        """The first this many connections are cut (no close frame) once subscribed."""
        self.clients: list[_Client] = []
        self.connections = 0
        self.subscribed = threading.Event()
        self.frozen = False
        self.pong_received = threading.Event()
        self._portal_cm: Any = None
        self._portal: Any = None
        self._listener: Any = None
        self._group: Any = None

    # -- lifecycle ----------------------------------------------------------------
    def __enter__(self) -> FakeServerSocket:
        self._portal_cm = anyio.from_thread.start_blocking_portal()
        self._portal = self._portal_cm.__enter__()
        self._portal.call(self._start)
        self._serve_future = self._portal.start_task_soon(self._serve)
        return self

    def __exit__(self, *exc: object) -> None:
        self._portal.call(self._stop)
        self._portal_cm.__exit__(None, None, None)

    async def _start(self) -> None:
        listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
        self.port = listener.extra(anyio.abc.SocketAttribute.local_port)
        self._listener = listener
        self._scope = anyio.CancelScope()

    async def _serve(self) -> None:
        # accept_socket, not the listener's accept(): cancelling that leaks sockets (asyncio)
        listening = self._listener.extra(anyio.abc.SocketAttribute.raw_socket)
        with self._scope:
            async with anyio.create_task_group() as group:
                while True:
                    group.start_soon(self._accepted, await accept_socket(listening))

    async def _accepted(self, accepted: Any) -> None:
        stream: anyio.abc.ByteStream | None = await stream_of(accepted)
        if stream is not None and self.ssl_context is not None:
            try:
                stream = await TLSStream.wrap(
                    stream, server_side=True, ssl_context=self.ssl_context,
                    standard_compatible=False,
                )  # fmt: skip
            except BaseException as error:  # a failed TLS handshake ends this connection
                await anyio.aclose_forcefully(stream)
                if not isinstance(error, Exception):
                    raise
                return
        if stream is not None:
            await self._handle(stream)

    async def _stop(self) -> None:
        self._scope.cancel()
        for client in list(self.clients):
            await client.stream.aclose()
        anyio.notify_closing(self._listener.extra(anyio.abc.SocketAttribute.raw_socket))
        await self._listener.aclose()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    # -- controls (from the test thread) -----------------------------------------
    def send(self, frames: Iterable[bytes]) -> None:
        """Send frames to every client subscribed to server notifications."""
        self._portal.call(self._send, list(frames))

    async def _send(self, frames: list[bytes]) -> None:
        for client in list(self.clients):
            if S.EVENT_TYPE_SERVER_NOTIFICATION in client.subscribed:
                data = b"".join(client.ws.send(BytesMessage(data=f)) for f in frames)
                async with client.lock:
                    await client.stream.send(data)

    def send_raw(self, data: bytes) -> None:
        """Send raw bytes (a hand-made, possibly invalid, frame) to every subscribed client."""
        self._portal.call(self._send_raw, data)

    async def _send_raw(self, data: bytes) -> None:
        for client in list(self.clients):
            if client.subscribed:
                async with client.lock:
                    await client.stream.send(data)

    def send_text(self, text: str) -> None:
        """Send a text frame (Jellyfish never does) to every subscribed client."""
        self._portal.call(self._send_text, text)

    async def _send_text(self, text: str) -> None:
        for client in list(self.clients):
            if client.subscribed:
                await client.send(TextMessage(data=text))

    def ping(self) -> None:
        self._portal.call(self._ping)

    async def _ping(self) -> None:
        for client in list(self.clients):
            await client.send(Ping(payload=b"srv"))

    def freeze(self) -> None:
        """Stop answering pings (a dead peer that keeps the TCP connection)."""
        self.frozen = True

    def pongs(self) -> int:
        return sum(c.pongs for c in self.clients)

    def drop(self) -> None:
        """Drop every connection without a close frame."""
        self._portal.call(self._drop)

    async def _drop(self) -> None:
        self.subscribed.clear()
        for client in list(self.clients):
            await client.stream.aclose()
        self.clients.clear()

    def close_all(self, code: int, reason: str) -> None:
        self._portal.call(self._close_all, code, reason)

    async def _close_all(self, code: int, reason: str) -> None:
        for client in list(self.clients):
            await client.send(CloseConnection(code=code, reason=reason))

    # -- per connection -----------------------------------------------------------
    async def _handle(self, stream: anyio.abc.ByteStream) -> None:
        """One connection. A client that goes away (at any moment: tests cancel clients at
        every checkpoint) ends only this connection, never the server."""
        client = _Client(stream)
        try:
            async with stream:
                data = await stream.receive()
                if data.startswith(b"GET ") and b"upgrade" not in data.lower():
                    await self._answer_rest(stream, data)
                    return
                self.connections += 1
                await self._converse(client, self.connections, data)
        except (
            anyio.EndOfStream,
            anyio.ClosedResourceError,
            anyio.BrokenResourceError,
            LocalProtocolError,
            RemoteProtocolError,
            OSError,
        ):
            pass
        finally:
            if client in self.clients:
                self.clients.remove(client)

    async def _answer_rest(self, stream: anyio.abc.ByteStream, head: bytes) -> None:
        """One plain HTTP request (the REST client of a catch-up): ``GET /room``."""
        while b"\r\n\r\n" not in head:
            head += await stream.receive()
        self.room_requests += 1
        if not head.startswith(b"GET /room "):
            status, body = 404, {"errors": "not found"}
        elif f"authorization: bearer {self.token}".encode() not in head.lower():
            status, body = 401, {"errors": "Invalid token"}
        elif self.room_statuses:
            status, body = self.room_statuses.pop(0), {"errors": "try again"}
            if status == 0:  # no answer at all: the client's timeout ends it
                await anyio.sleep_forever()
            if status == -1:  # the connection closes (by the caller) inside the body
                await stream.send(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{")
                return
        else:
            status, body = 200, {"data": self.rooms}
        content = json.dumps(body).encode()
        await stream.send(
            f"HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n"
            f"content-length: {len(content)}\r\nconnection: close\r\n\r\n".encode()
            + content
        )

    async def _converse(self, client: _Client, number: int, data: bytes) -> None:
        stream = client.stream
        authenticated = False
        while True:
            client.ws.receive_data(data)
            for event in client.ws.events():
                if isinstance(event, Request):
                    await client.send(AcceptConnection())
                    self.clients.append(client)
                elif isinstance(event, Pong):
                    client.pongs += 1
                    self.pong_received.set()
                elif isinstance(event, Ping):
                    if not self.frozen:
                        await client.send(event.response())
                elif isinstance(event, CloseConnection):
                    if client.ws.state.name != "CLOSED":
                        await client.send(event.response())
                    return
                elif isinstance(event, BytesMessage):
                    message = S.FromString(bytes(event.data))
                    case = message.WhichOneof("content")
                    if not authenticated:
                        if case == "auth_request" and message.auth_request.token == (self.token):
                            authenticated = True
                            await client.send(BytesMessage(data=AUTHENTICATED))
                        elif case == "auth_request":
                            await client.send(CloseConnection(code=1000, reason="invalid token"))
                            return
                        else:
                            await client.send(
                                CloseConnection(code=1000, reason="invalid auth request")
                            )
                            return
                    elif case == "subscribe_request" and not self.silent_after_auth:
                        kind = message.subscribe_request.event_type
                        if kind in self.unacknowledged:
                            continue
                        for frame in self.pre_subscribe_frames:
                            await client.send(BytesMessage(data=frame))
                        client.subscribed.add(kind)
                        await client.send(BytesMessage(data=subscribe_response(kind)))
                        self.subscribed.set()
                        if kind == S.EVENT_TYPE_SERVER_NOTIFICATION:
                            for frame in self.post_subscribe_frames:
                                await client.send(BytesMessage(data=frame))
                            if number <= self.drop_connections:
                                return  # `async with stream` cuts it
                    elif case != "subscribe_request":
                        await client.send(
                            CloseConnection(code=1003, reason="operation not allowed")
                        )
                        return
            data = await stream.receive()
