"""Connection reaping with Cowboy's timeouts, as Jellyfish's HTTP layer (plug_cowboy) does it.

``cowboy_http`` runs one timer per connection:

* ``request_timeout`` (5 s) while no request is in progress: from the connection's start, and
  again from the end of each response. Data does not extend it, so a client that trickles a
  request (slowloris) is closed too. If the request line had arrived, Cowboy answers
  ``408 Request Timeout`` first; otherwise it just closes.
* ``idle_timeout`` (60 s) while a request is in progress: every byte received extends it.

``cowboy_websocket`` closes a WebSocket after ``idle_timeout`` (60 s, Phoenix's socket
``timeout``) without data from the client, with a close frame ``1000``. Pongs are data, so
a client that answers the server's pings stays.

The timeouts are real time (not the media clock). ``None`` disables one, like ``infinity``.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.websockets.wsproto_impl import WSProtocol

#: Cowboy's defaults (``cowboy_http`` and ``cowboy_websocket``).
REQUEST_TIMEOUT = 5.0
IDLE_TIMEOUT = 60.0

#: What ``cowboy_http:error_terminate(408, ...)`` writes before closing.
REQUEST_TIMEOUT_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-length: 0\r\n\r\n"
)
#: An unmasked close frame, code 1000, no reason (``cow_ws:frame({close, 1000, <<>>})``).
WEBSOCKET_TIMEOUT_CLOSE = b"\x88\x02\x03\xe8"
#: Bytes kept to tell whether a request line has arrived (Cowboy's request-line limit).
_MAX_PENDING = 8000

Peer = tuple[str, int]


def peer_of(address: Any) -> Peer | None:
    """``(host, port)`` of a socket peer address or an ASGI ``client``, None if unknown."""
    if type(address) is tuple and len(address) == 2:
        return address  # the common case: an IPv4 peer, or uvicorn's ``client``
    if isinstance(address, tuple | list) and len(address) >= 2:
        return str(address[0]), int(address[1])
    return None


class _Connection:
    __slots__ = ("active", "deadline", "pending", "timer", "timer_at", "transport", "websocket")

    def __init__(self, transport: asyncio.Transport, websocket: bool) -> None:
        self.transport = transport
        self.websocket = websocket
        self.active = 0  # requests in progress
        self.pending = b""  # bytes of a request that has not started yet
        self.deadline: float | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.timer_at = 0.0


class ConnectionReaper:
    """Cowboy's per-connection timers for every connection of one node's listeners."""

    def __init__(
        self,
        request_timeout: float | None = REQUEST_TIMEOUT,
        idle_timeout: float | None = IDLE_TIMEOUT,
    ) -> None:
        self.request_timeout = request_timeout
        self.idle_timeout = idle_timeout
        self._connections: dict[Peer, _Connection] = {}
        self.reaped = 0

    # --- what the protocols report ---------------------------------------------------------

    def opened(self, transport: asyncio.Transport, websocket: bool) -> _Connection | None:
        """A new connection, or an HTTP connection that became a WebSocket; its record."""
        peer = peer_of(transport.get_extra_info("peername"))
        if peer is None:
            return None
        old = self._connections.get(peer)
        if old is not None and old.timer is not None:
            old.timer.cancel()
        connection = _Connection(transport, websocket)
        self._connections[peer] = connection
        self._set_deadline(connection, self.idle_timeout if websocket else self.request_timeout)
        return connection

    def received(self, connection: _Connection | None, data: bytes) -> None:
        """Bytes from the client: they extend an idle timeout, never a request timeout."""
        if connection is None:
            return
        if connection.websocket or connection.active:
            self._set_deadline(connection, self.idle_timeout)
        elif len(connection.pending) < _MAX_PENDING:
            connection.pending += data[: _MAX_PENDING - len(connection.pending)]

    def closed(self, transport: asyncio.Transport) -> None:
        """The connection is gone."""
        peer = peer_of(transport.get_extra_info("peername"))
        connection = None if peer is None else self._connections.get(peer)
        if connection is not None and connection.transport is transport:
            del self._connections[peer]  # type: ignore[arg-type]
            if connection.timer is not None:
                connection.timer.cancel()

    # --- what the application reports ------------------------------------------------------

    def request_started(self, client: Any) -> None:
        """The request of ``client`` (the ASGI scope's ``client``) has arrived."""
        peer = peer_of(client)
        connection = None if peer is None else self._connections.get(peer)
        if connection is not None:
            connection.active += 1
            connection.pending = b""
            self._set_deadline(connection, self.idle_timeout)

    def request_finished(self, client: Any) -> None:
        """The response to ``client`` has been sent: the request timeout runs again."""
        peer = peer_of(client)
        connection = None if peer is None else self._connections.get(peer)
        if connection is not None and connection.active:
            connection.active -= 1
            if not connection.active:
                self._set_deadline(connection, self.request_timeout)

    # --- timers ----------------------------------------------------------------------------

    def _set_deadline(self, connection: _Connection, timeout: float | None) -> None:
        if timeout is None:
            connection.deadline = None
            return
        loop = asyncio.get_running_loop()
        connection.deadline = loop.time() + timeout
        # One timer per connection, moved only when the deadline comes earlier; a later
        # deadline is picked up when the timer fires.
        if connection.timer is None or connection.deadline < connection.timer_at:
            if connection.timer is not None:
                connection.timer.cancel()
            connection.timer_at = connection.deadline
            connection.timer = loop.call_at(connection.deadline, self._expire, connection)

    def _expire(self, connection: _Connection) -> None:
        connection.timer = None
        deadline = connection.deadline
        if deadline is None or connection.transport.is_closing():
            return
        loop = asyncio.get_running_loop()
        if loop.time() < deadline:
            connection.timer_at = deadline
            connection.timer = loop.call_at(deadline, self._expire, connection)
            return
        transport = connection.transport
        if connection.websocket:
            transport.write(WEBSOCKET_TIMEOUT_CLOSE)
        elif not connection.active and b"\n" in connection.pending.lstrip(b"\r\n"):
            transport.write(REQUEST_TIMEOUT_RESPONSE)
        self.reaped += 1
        transport.close()

    def open_connections(self) -> int:
        """Connections currently tracked."""
        return len(self._connections)

    # --- the protocols -----------------------------------------------------------------------

    def protocol_classes(self) -> tuple[type[asyncio.Protocol], type[asyncio.Protocol]]:
        """Uvicorn's h11 and wsproto protocols, reporting to this reaper."""
        http = type("ReapedHttp", (_Reporting, H11Protocol), {"reaper": self, "websocket": False})
        ws = type("ReapedWebSocket", (_Reporting, WSProtocol), {"reaper": self, "websocket": True})
        return http, ws


class _Reporting(asyncio.Protocol):
    """Put before a uvicorn protocol class: tells the reaper what happens on the connection."""

    reaper: ConnectionReaper
    websocket: bool
    reaped_transport: asyncio.Transport
    reaped_connection: _Connection | None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self.reaped_transport = cast(asyncio.Transport, transport)
        self.reaped_connection = self.reaper.opened(self.reaped_transport, self.websocket)

    def data_received(self, data: bytes) -> None:
        self.reaper.received(self.reaped_connection, data)
        super().data_received(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.reaper.closed(self.reaped_transport)
        super().connection_lost(exc)
