"""The blocking notifier: server notifications over the WebSocket without an event loop.

WebSocket framing is websocket-client; the notification protocol is
:class:`~jellyfish._notifications._protocol.NotifierProtocol`.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import ssl
import struct
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import Any

import websocket

from jellyfish._notifications._common import NotifierBase, Reconnected, logger
from jellyfish._notifications._decoder import Notification
from jellyfish._notifications._protocol import ReconnectPolicy, Subscription, Timeouts
from jellyfish.errors import (
    DecodeError,
    NotifierClosedError,
    NotifierError,
    NotifierTimeoutError,
    ProtocolError,
)
from jellyfish.events._protos.jellyfish.server_notifications_pb2 import ServerMessage

__all__ = ["BlockingNotifier"]

_METRICS_REPORT = ServerMessage.MetricsReport
_OPCODE_BINARY = websocket.ABNF.OPCODE_BINARY
_OPCODE_CLOSE = websocket.ABNF.OPCODE_CLOSE
_OPCODE_TEXT = websocket.ABNF.OPCODE_TEXT
# While connecting, how often the notifier looks whether close() was called (seconds).
_CLOSE_CHECK = 0.05


class _Closing(Exception):
    """Internal: the user closed the notifier."""


class BlockingNotifier(NotifierBase):
    """Receives Jellyfish server notifications over the server WebSocket, blocking.

    The same surface as :class:`jellyfish.Notifier`, without an event loop::

        notifier = BlockingNotifier("localhost:5002", "development")

        @notifier.on_server_notification
        def handle(notification):
            print(notification)

        notifier.connect()          # runs the receive loop in this thread, until close()

    or in a background thread::

        with BlockingNotifier("localhost:5002", "development") as notifier:
            for event in notifier:  # started, authenticated and subscribed
                ...

    Handlers run in the thread that receives (the caller's for :meth:`connect`, the
    background thread after :meth:`start`); an exception in a handler is logged on the
    ``jellyfish.notifier`` logger. The arguments are those of :class:`jellyfish.Notifier`.
    """

    def __init__(
        self,
        server_address: str = "localhost:5002",
        server_api_token: str = "development",
        secure: bool = False,
        *,
        subscribe: Iterable[Subscription | int | str] | None = None,
        reconnect: ReconnectPolicy | None = None,
        timeouts: Timeouts | None = None,
        ssl_context: ssl.SSLContext | None = None,
        queue_events: bool | None = None,
    ) -> None:
        super().__init__(
            server_address,
            server_api_token,
            secure,
            subscribe=subscribe,
            reconnect=reconnect,
            timeouts=timeouts,
            ssl_context=ssl_context,
            queue_events=queue_events,
        )
        self._condition = threading.Condition()
        self._queue: deque[Any] = deque()
        self._running = False
        self._closing = False
        self._finished = False
        self._failure: NotifierError | None = None
        self._connected = False
        self._ws: websocket.WebSocket | None = None
        self._connecting: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._loop_thread: threading.Thread | None = None
        self._last_error: NotifierError | None = None
        self._last_ready_connection = 0
        self._handshake_deadline = float("inf")

    # -- public API ---------------------------------------------------------------

    @property
    def ready(self) -> bool:
        """Connected, authenticated and every subscription acknowledged."""
        return self._connected and self._protocol.ready

    def connect(self) -> None:
        """Connect, authenticate, subscribe and run the receive loop in this thread.

        Returns after :meth:`close` (called from another thread or from a handler).
        Raises :class:`jellyfish.errors.InvalidTokenError` for a rejected token, the
        connection error if the first connection fails (unless
        ``ReconnectPolicy.retry_initial``), and the last error once the reconnect policy
        gives up.
        """
        self._closing = False
        self._connect()

    def _connect(self) -> None:
        with self._condition:
            if self._running:
                raise RuntimeError("this BlockingNotifier is already running")
            self._running = True
            self._finished = False
            self._failure = None
            self._last_error = None
            self._stop = threading.Event()
        self._prepare_subscriptions()
        failure: NotifierError | None = None
        try:
            self._connection_loop()
        except NotifierError as error:
            failure = error
        finally:
            with self._condition:
                self._running = False
                self._connected = False
                self._finished = True
                if failure is None and not self._closing:
                    failure = NotifierClosedError("the notifier stopped")
                self._failure = failure
                self._condition.notify_all()
        if failure is not None:
            raise failure

    def start(self) -> BlockingNotifier:
        """Run :meth:`connect` in a background thread; returns ``self`` at once.

        Use :meth:`wait_ready` to wait for the connection and :meth:`close` to stop
        (it joins the thread).
        """
        with self._condition:
            if self._thread is not None and self._thread.is_alive():
                raise RuntimeError("this BlockingNotifier is already started")
            self._finished = False
            self._failure = None
            self._closing = False
            thread = threading.Thread(
                target=self._run_in_background, name="jellyfish-notifier", daemon=True
            )
            self._thread = thread
        thread.start()
        return self

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Block until connected, authenticated and subscribed; returns ``True``.

        Raises the error that stopped the notifier (e.g.
        :class:`jellyfish.errors.InvalidTokenError`), :class:`NotifierClosedError` once
        closed, or ``TimeoutError`` after ``timeout`` seconds.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._condition:
            while True:
                if self.ready:
                    return True
                if self._finished:
                    raise self._failure or NotifierClosedError("the notifier is closed")
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise TimeoutError("the notifier did not become ready in time")
                self._condition.wait(remaining)

    def subscribe_server_notifications(self) -> None:
        """Subscribe to server notifications (waits for the acknowledgement if connected)."""
        self.subscribe(Subscription.SERVER_NOTIFICATIONS)

    def subscribe_metrics(self) -> None:
        """Subscribe to ``MetricsReport`` (waits for the acknowledgement if connected)."""
        self.subscribe(Subscription.METRICS)

    def subscribe(self, subscription: Subscription | int | str) -> None:
        """Add a subscription now and on every reconnect (no unsubscribe exists).

        If connected, sends the request and waits (``timeouts.subscribe``) for the
        acknowledgement; called from a handler, it only sends the request (the
        acknowledgement is received by that same thread once the handler returns).
        """
        kind = Subscription.parse(subscription)
        with self._condition:
            frames = self._protocol.subscribe(kind)
            ws = self._ws if self._connected else None
            if ws is None:
                return
            if frames:
                self._handshake_deadline = min(
                    self._handshake_deadline, time.monotonic() + self._timeouts.subscribe
                )
        for frame in frames:
            ws.send_bytes(frame)
        if threading.current_thread() is self._loop_thread:
            return  # called from a handler: the acknowledgement arrives after it returns
        deadline = time.monotonic() + self._timeouts.subscribe
        with self._condition:
            while kind not in self._protocol.acknowledged:
                if self._finished:
                    raise self._failure or NotifierClosedError("the notifier is closed")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"no acknowledgement of the {kind.name} subscription")
                self._condition.wait(remaining)

    def close(self, timeout: float | None = 5.0) -> None:
        """Stop: the receive loop exits, iterators end, the background thread is joined.

        Safe to call from any thread, including a handler. Returns promptly.
        """
        with self._condition:
            self._closing = True
            self._stop.set()
            ws = self._ws
            connecting = self._connecting
            self._condition.notify_all()
        if connecting is not None:  # ends a blocked TLS handshake or WebSocket upgrade
            with contextlib.suppress(OSError):
                connecting.shutdown(socket.SHUT_RDWR)
        sock = ws.sock if ws is not None else None
        if sock is not None and threading.current_thread() is not self._loop_thread:
            # wakes the receive loop's blocking recv (it then sends a close frame)
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RD)
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
            if not thread.is_alive():
                self._thread = None

    def __enter__(self) -> BlockingNotifier:
        """Start in a background thread and wait until ready."""
        self.start()
        try:
            self.wait_ready()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __iter__(self) -> Iterator[Notification | Reconnected]:
        return self

    def __next__(self) -> Notification | Reconnected:
        """The next event, in arrival order; ends when the notifier closes."""
        with self._condition:
            while not self._queue:
                if self._finished:
                    if self._failure is not None and not self._closing:
                        raise self._failure
                    raise StopIteration
                self._condition.wait()
            return self._queue.popleft()  # type: ignore[no-any-return]

    # -- internals ----------------------------------------------------------------

    def _run_in_background(self) -> None:
        with contextlib.suppress(NotifierError):  # recorded; wait_ready/iterators raise it
            self._connect()

    def _connection_loop(self) -> None:
        attempt = 0
        first_connection = self._protocol.connections + 1
        while not self._closing:
            try:
                self._run_connection()
            except _Closing:
                return
            except NotifierError as error:
                failure = error
                retryable = isinstance(error, NotifierClosedError | NotifierTimeoutError)
            except (OSError, websocket.WebSocketException) as error:
                failure = NotifierClosedError(f"connection to {self.url} failed: {error!r}")
                retryable = True
            with self._condition:
                self._connected = False
                self._condition.notify_all()
            if self._closing:
                return
            if self._last_ready_connection == self._protocol.connections:
                attempt = 0
            self._last_error = failure
            ever_ready = self._last_ready_connection >= first_connection
            if not retryable or not self._reconnect.should_retry(attempt):
                raise failure
            if not ever_ready and not self._reconnect.retry_initial:
                raise failure
            delay = self._reconnect.delay(attempt)
            attempt += 1
            logger.warning("notifier connection lost (%s); reconnecting in %.2fs", failure, delay)
            if self._wait_wakeup(delay):
                return

    def _wait_wakeup(self, delay: float) -> bool:
        """Sleep ``delay`` seconds or until close(); returns whether closing."""
        self._stop.wait(delay)
        return self._closing

    def _run_connection(self) -> None:
        timeouts = self._timeouts
        deadline = time.monotonic() + timeouts.connect
        sock = self._open_socket(deadline)
        with self._condition:
            if self._closing:
                sock.close()
                raise _Closing
            self._connecting = sock  # close() shuts it down to end the TLS/upgrade phase
        try:
            sock.settimeout(max(deadline - time.monotonic(), 0.001))
            if self._secure:
                context = self._ssl_context or ssl.create_default_context()
                sock = context.wrap_socket(sock, server_hostname=self._host)
                self._connecting = sock
            ws = websocket.create_connection(
                self._url,
                timeout=max(deadline - time.monotonic(), 0.001),
                socket=sock,
                enable_multithread=True,
                suppress_origin=True,
                skip_utf8_validation=True,
            )
        except (TimeoutError, websocket.WebSocketTimeoutException):
            sock.close()
            raise NotifierTimeoutError(f"timed out connecting to {self.url}") from None
        except websocket.WebSocketBadStatusException as error:
            sock.close()
            raise NotifierClosedError(
                f"the server refused the WebSocket upgrade (HTTP {error.status_code})"
            ) from None
        except BaseException:
            sock.close()
            if self._closing:
                raise _Closing from None
            raise
        finally:
            self._connecting = None
        try:
            with self._condition:
                if self._closing:
                    raise _Closing
                self._ws = ws
                self._connected = True
                frames = self._protocol.connection_made()
                self._handshake_deadline = time.monotonic() + timeouts.auth
            for frame in frames:
                ws.send_bytes(frame)
            self._receive_loop(ws)
        finally:
            with self._condition:
                self._ws = None
                self._connected = False
            try:
                if ws.connected:
                    ws.close(timeout=0.5)
            except Exception:
                logger.debug("error while closing the WebSocket", exc_info=True)
            ws.shutdown()  # type: ignore[no-untyped-call]

    def _open_socket(self, deadline: float) -> socket.socket:
        """A TCP connection to the server that :meth:`close` can interrupt.

        The connect runs non-blocking and is watched in short slices, so a close() during a
        connect to an unreachable host returns promptly and leaves no thread behind.
        """
        last_error: OSError | None = None
        for family, kind, proto, _, address in socket.getaddrinfo(
            self._host, self._port, type=socket.SOCK_STREAM
        ):
            sock = socket.socket(family, kind, proto)
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                sock.setblocking(False)
                sock.connect_ex(address)
                while True:
                    if self._closing:
                        raise _Closing
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise NotifierTimeoutError(f"timed out connecting to {self.url}")
                    _, writable, _ = select.select([], [sock], [], min(remaining, _CLOSE_CHECK))
                    if writable:
                        break
                error = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if error:
                    raise OSError(error, os.strerror(error))
                sock.setblocking(True)
                return sock
            except OSError as error:
                sock.close()
                last_error = error
            except BaseException:
                sock.close()
                raise
        raise NotifierClosedError(f"connection to {self.url} failed: {last_error!r}")

    def _receive_loop(self, ws: websocket.WebSocket) -> None:
        protocol = self._protocol
        receive = protocol.receive
        timeouts = self._timeouts
        sock = ws.sock
        if sock is None:
            raise NotifierClosedError("the connection broke")
        monotonic = time.monotonic
        recv_data_frame = ws.recv_data_frame
        ping_sent = False
        current_timeout: float | None = None
        while True:
            # No select per frame: the socket timeout bounds each read, close() wakes a
            # blocked read with shutdown(SHUT_RD); websocket-client resumes partial frames.
            if protocol.ready:
                wanted = timeouts.ping_timeout if ping_sent else timeouts.ping_interval
            else:
                wanted = max(0.001, min(self._handshake_deadline - monotonic(), 3600.0))
            if wanted != current_timeout:
                sock.settimeout(wanted)
                current_timeout = wanted
            try:
                opcode, frame = recv_data_frame(True)
            except websocket.WebSocketTimeoutException:
                if self._closing:
                    raise _Closing from None
                if not protocol.authenticated:
                    raise NotifierTimeoutError("timed out waiting for 'authenticated'") from None
                if not protocol.ready:
                    if monotonic() >= self._handshake_deadline:
                        raise NotifierTimeoutError(
                            "timed out waiting for 'subscribe_response'"
                        ) from None
                    continue
                if ping_sent:
                    raise NotifierTimeoutError(
                        "no answer to ping: the connection is dead"
                    ) from None
                ws.ping(b"jf")
                ping_sent = True
                continue
            except (websocket.WebSocketConnectionClosedException, OSError):
                if self._closing:
                    raise _Closing from None
                raise NotifierClosedError("the server closed the TCP connection") from None
            ping_sent = False
            if opcode == _OPCODE_BINARY:
                try:
                    notification = receive(frame.data)
                except DecodeError as error:
                    logger.error("dropping an undecodable frame: %s", error)
                    continue
                if notification is not None:
                    self._deliver(notification)
                else:
                    self._after_handshake_message(ws)
            elif opcode == _OPCODE_CLOSE:
                code, reason = _parse_close(frame.data)
                failure, _ = protocol.connection_lost(code, reason)
                raise failure
            elif opcode == _OPCODE_TEXT:
                raise ProtocolError("the server sent a text frame")
            if self._closing:
                raise _Closing

    def _after_handshake_message(self, ws: websocket.WebSocket) -> None:
        protocol = self._protocol
        with self._condition:
            frames = protocol.data_to_send()
            if frames:
                self._handshake_deadline = time.monotonic() + self._timeouts.subscribe
        for frame in frames:
            ws.send_bytes(frame)
        reconnected: Reconnected | None = None
        with self._condition:
            if protocol.ready:
                self._handshake_deadline = float("inf")
                if self._last_ready_connection != protocol.connections:
                    self._last_ready_connection = protocol.connections
                    if protocol.connections > 1 and self._last_error is not None:
                        reconnected = Reconnected(protocol.connections, self._last_error)
            self._condition.notify_all()
        if reconnected is not None:
            self._deliver(reconnected)

    def _deliver(self, event: Any) -> None:
        kind = type(event)
        if kind is _METRICS_REPORT:
            handlers = self._metrics_handlers
        elif kind is Reconnected:
            handlers = self._reconnected_handlers
        else:
            handlers = self._notification_handlers
        for handler in handlers:
            try:
                result = handler(event)
            except Exception:
                logger.exception("notification handler %r failed", handler)
            else:
                if result is not None and hasattr(result, "__await__"):
                    close = getattr(result, "close", None)
                    if close is not None:
                        close()
                    logger.error(
                        "handler %r is async: use jellyfish.Notifier for async handlers",
                        handler,
                    )
        queue_events = self._queue_events
        if queue_events or (queue_events is None and self._queues(event)):
            with self._condition:
                self._queue.append(event)
                self._condition.notify_all()


def _parse_close(data: bytes) -> tuple[int | None, str]:
    if len(data) >= 2:
        (code,) = struct.unpack("!H", data[:2])
        return int(code), data[2:].decode("utf-8", "replace")
    return 1005, ""
