"""A small HTTP/1.1 server that receives webhooks, on anyio (asyncio and trio).

h11 parses and writes HTTP (the protocol written once, without I/O); this module only moves
bytes and enforces the limits a server facing the network needs:

* at most ``max_connections`` connections at once (the next ones wait in the kernel's
  accept queue);
* a request (head and body) must arrive within ``read_timeout`` seconds of its first byte
  (else ``408`` and the connection is closed); a kept-alive connection with no request for
  ``idle_timeout`` seconds is closed;
* a head over 16 KiB gets ``431``, a body over ``max_body`` bytes ``413``, both announced
  (``Content-Length``) and chunked;
* an answer must be written within ``read_timeout`` seconds.

``POST`` (any path) goes to ``on_post(body, content_type)``; ``GET`` and ``HEAD`` (any path)
to ``on_get()``, a health check for load balancers; other methods get ``405``. Connections
are kept alive (Jellyfish's HTTP client pools them). Used by :class:`jellyfish.redis.Bridge`
(``jellyfish bridge --webhooks``).
"""

from __future__ import annotations

import logging
import math
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus

import anyio
import anyio.abc
import h11

__all__ = ["Answer", "WebhookServer", "accept_socket", "parse_listen_address", "stream_of"]

logger = logging.getLogger("jellyfish.webhooks")

MAX_BODY = 1024 * 1024
"""Bytes a webhook body may have (a notification is a few hundred)."""
MAX_HEAD = 16 * 1024
"""Bytes a request line and headers may have together."""
_READ_SIZE = 65536


@dataclass(frozen=True)
class Answer:
    """A response: its status and a short plain-text explanation (none for ``204``)."""

    status: int
    text: str = ""


PostHandler = Callable[[bytes, "str | None"], Awaitable[Answer]]
GetHandler = Callable[[], Awaitable[Answer]]


def parse_listen_address(text: str) -> tuple[str, int]:
    """``"[HOST]:PORT"`` -> ``(host, port)``; no host (``":8000"``) means every IPv4 interface.

    IPv6 hosts are written in brackets (``"[::1]:8000"``). Port 0 picks a free port.

    Raises:
        ValueError: not ``[HOST]:PORT`` with a port from 0 to 65535.
    """
    host, separator, port_text = text.rpartition(":")
    if not separator or not port_text.isdigit() or int(port_text) > 65535:
        raise ValueError(f"expected [HOST]:PORT (e.g. ':8000' or '127.0.0.1:8000'), got {text!r}")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise ValueError(f"write an IPv6 host in brackets ('[::1]:8000'), got {text!r}")
    return host or "0.0.0.0", int(port_text)  # listening everywhere is asked for


class _Timeout(Exception):
    """A request did not arrive within the read deadline."""


class _TooLarge(Exception):
    """A request's body is over the limit."""


class WebhookServer:
    """Serves webhooks on a listening socket until cancelled.

    Create it with :meth:`listen` (which binds, so that a port in use fails there), then
    ``await server.serve()`` in a task; :meth:`aclose` closes the socket.
    """

    def __init__(
        self,
        listener: anyio.abc.SocketListener,
        address: tuple[str, int],
        on_post: PostHandler,
        on_get: GetHandler,
        *,
        max_body: int,
        read_timeout: float,
        idle_timeout: float,
        max_connections: int,
    ) -> None:
        self._listener = listener
        self.address = address
        self._on_post = on_post
        self._on_get = on_get
        self._max_body = max_body
        self._read_timeout = read_timeout
        self._idle_timeout = idle_timeout
        self._slots = anyio.Semaphore(max_connections)

    @classmethod
    async def listen(
        cls,
        host: str,
        port: int,
        on_post: PostHandler,
        on_get: GetHandler,
        *,
        max_body: int = MAX_BODY,
        read_timeout: float = 10.0,
        idle_timeout: float = 200.0,
        max_connections: int = 64,
    ) -> WebhookServer:
        """Bind ``host:port`` (``port`` 0: a free one, see :attr:`address`).

        ``idle_timeout`` outlasts the 150 s Jellyfish's HTTP client (hackney) keeps an
        idle connection in its pool, so the client, not the server, closes it: a request
        never races the server's close.

        Raises:
            OSError: the address cannot be bound (in use, not an address of this host).
            ValueError: a limit is not positive.
        """
        for name, value in (
            ("max_body", max_body),
            ("read_timeout", read_timeout),
            ("idle_timeout", idle_timeout),
            ("max_connections", max_connections),
        ):
            if not value > 0 or not math.isfinite(value):
                raise ValueError(f"{name} must be positive, got {value!r}")
        multi = await anyio.create_tcp_listener(local_host=host, local_port=port)
        (listener,) = multi.listeners  # one host: one socket
        assert isinstance(listener, anyio.abc.SocketListener)
        bound = listener.extra(anyio.abc.SocketAttribute.local_address)
        address = (str(bound[0]), int(bound[1]))
        return cls(
            listener,
            address,
            on_post,
            on_get,
            max_body=max_body,
            read_timeout=read_timeout,
            idle_timeout=idle_timeout,
            max_connections=max_connections,
        )

    @property
    def url(self) -> str:
        """``http://host:port`` of the socket."""
        host, port = self.address
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    async def serve(self) -> None:
        """Accept and serve connections until cancelled."""
        async with anyio.create_task_group() as group:
            while True:
                await self._slots.acquire()
                try:
                    accepted = await accept_socket(self._socket)
                except BaseException:
                    self._slots.release()
                    raise
                group.start_soon(self._serve_connection, accepted)

    async def aclose(self) -> None:
        """Stop listening."""
        with anyio.CancelScope(shield=True):
            anyio.notify_closing(self._socket)  # wakes a serve() waiting to accept
            await self._listener.aclose()

    @property
    def _socket(self) -> socket.socket:
        raw: socket.socket = self._listener.extra(anyio.abc.SocketAttribute.raw_socket)
        return raw

    # -- one connection ---------------------------------------------------------------------

    async def _serve_connection(self, accepted: socket.socket) -> None:
        try:
            stream = await stream_of(accepted)
            if stream is None:
                return
            connection = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD)
            async with stream:
                while await self._serve_request(stream, connection):
                    connection.start_next_cycle()
        finally:
            self._slots.release()

    async def _serve_request(
        self, stream: anyio.abc.SocketStream, connection: h11.Connection
    ) -> bool:
        """One request and its answer; whether the connection goes on."""
        try:
            request = await self._read_request(stream, connection)
        except h11.RemoteProtocolError as error:
            await self._send(stream, connection, Answer(error.error_status_hint, str(error)), True)
            return False
        except _Timeout:
            message = f"the request did not arrive within {self._read_timeout} s"
            await self._send(stream, connection, Answer(408, message), True)
            return False
        except _TooLarge:
            message = f"bodies over {self._max_body} bytes are not notifications"
            await self._send(stream, connection, Answer(413, message), True)
            return False
        if request is None:
            return False
        head, body = request
        method = head.method.upper()
        try:
            if method == b"POST":
                answer = await self._on_post(body, _header(head, b"content-type"))
            elif method in (b"GET", b"HEAD"):
                answer = await self._on_get()
            else:
                answer = Answer(405, "webhooks are POSTed here")
        except Exception:  # a bug answers this request, and the server goes on
            logger.exception("answering %s %s failed", method.decode(), head.target.decode())
            answer = Answer(500, "internal error (logged by the receiver)")
        sent = await self._send(stream, connection, answer, False, head_only=method == b"HEAD")
        return sent and connection.our_state is h11.DONE and connection.their_state is h11.DONE

    async def _read_request(
        self, stream: anyio.abc.SocketStream, connection: h11.Connection
    ) -> tuple[h11.Request, bytes] | None:
        """The next request and its body; ``None`` when the client closed or stayed idle."""
        deadline = (
            anyio.current_time() + self._read_timeout if connection.trailing_data[0] else None
        )
        head: h11.Request | None = None
        body = bytearray()
        while True:
            event = connection.next_event()
            if event is h11.NEED_DATA:
                if connection.they_are_waiting_for_100_continue:
                    await self._write(
                        stream,
                        connection.send(h11.InformationalResponse(status_code=100, headers=[])),
                    )
                if deadline is None:  # waiting for a request to begin
                    with anyio.move_on_after(self._idle_timeout):
                        data = await _receive(stream)
                        deadline = anyio.current_time() + self._read_timeout
                    if deadline is None:
                        return None
                else:
                    with anyio.move_on_after(deadline - anyio.current_time()) as scope:
                        data = await _receive(stream)
                    if scope.cancelled_caught:
                        raise _Timeout
                connection.receive_data(data)
            elif isinstance(event, h11.Request):
                head = event
                # h11 bounds a head that arrives in pieces; one that came whole is measured here
                size = len(event.target) + sum(len(k) + len(v) for k, v in event.headers)
                if size > MAX_HEAD:
                    raise h11.RemoteProtocolError("the request's head is too large", 431)
                length = _header(event, b"content-length")
                if length is not None and length.isdigit() and int(length) > self._max_body:
                    raise _TooLarge
            elif isinstance(event, h11.Data):
                body += event.data
                if len(body) > self._max_body:
                    raise _TooLarge
            elif isinstance(event, h11.EndOfMessage):
                assert head is not None  # h11 sends Request, Data..., EndOfMessage
                return head, bytes(body)
            else:  # ConnectionClosed (between requests: mid-request h11 raises)
                return None

    async def _send(
        self,
        stream: anyio.abc.SocketStream,
        connection: h11.Connection,
        answer: Answer,
        close: bool,
        head_only: bool = False,
    ) -> bool:
        """Write an answer; whether it was written."""
        body = answer.text.encode() if answer.status != 204 else b""
        headers = [(b"server", b"jellyfish-bridge")]
        if answer.status != 204:
            headers += [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ]
        if answer.status == 405:
            headers.append((b"allow", b"GET, HEAD, POST"))
        if close:
            headers.append((b"connection", b"close"))
        try:
            response = h11.Response(
                status_code=answer.status, headers=headers, reason=_reason(answer.status)
            )
            data = connection.send(response)
            if body and not head_only:
                data += connection.send(h11.Data(data=body)) or b""
            data += connection.send(h11.EndOfMessage()) or b""
        except h11.LocalProtocolError:  # no answer is possible in this state: just close
            return False
        return await self._write(stream, data or b"")

    async def _write(self, stream: anyio.abc.SocketStream, data: bytes | None) -> bool:
        if not data:
            return True
        with anyio.move_on_after(self._read_timeout):
            try:
                await stream.send(data)
                return True
            except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
                return False
        return False


async def accept_socket(listening: socket.socket) -> socket.socket:
    """The next connection to ``listening``, owned by the caller from the moment it exists.

    Not an anyio listener's ``accept()``: on asyncio, a cancellation that lands while the
    event loop completes its ``sock_accept`` leaves the accepted socket to the garbage
    collector, unclosed (CPython's ``_sock_accept`` accepts for a future already
    cancelled). Here no await separates the ``accept`` from the socket being returned.
    Close ``listening`` after :func:`anyio.notify_closing`, so that a waiting call ends.
    """
    while True:
        await anyio.wait_readable(listening)
        try:
            accepted, _ = listening.accept()
        except (BlockingIOError, InterruptedError):  # another process took it first
            continue
        return accepted


async def stream_of(accepted: socket.socket) -> anyio.abc.SocketStream | None:
    """An accepted socket as a stream; ``None`` (the socket closed) if the client left."""
    try:
        accepted.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as anyio's accept()
        return await anyio.abc.SocketStream.from_socket(accepted)
    except (OSError, ValueError):  # ValueError: no longer connected
        accepted.close()
        return None
    except BaseException:
        accepted.close()
        raise


async def _receive(stream: anyio.abc.SocketStream) -> bytes:
    """The next bytes, ``b""`` once the client closed (h11 then says what that means)."""
    try:
        return await stream.receive(_READ_SIZE)
    except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
        return b""


def _reason(status: int) -> bytes:
    try:
        return HTTPStatus(status).phrase.encode()
    except ValueError:
        return b""


def _header(request: h11.Request, name: bytes) -> str | None:
    for key, value in request.headers:
        if key == name:
            return value.decode("latin-1")
    return None
