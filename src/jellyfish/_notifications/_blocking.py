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
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any

import websocket
from websocket._abnf import continuous_frame, frame_buffer

from jellyfish._notifications._common import NotifierBase, Reconnected, logger
from jellyfish._notifications._core import NotifierCore
from jellyfish._notifications._decoder import Notification
from jellyfish._notifications._protocol import Subscription
from jellyfish.errors import JellyfishError, NotifierTimeoutError

__all__ = ["BlockingNotifier"]

_OPCODE_BINARY = websocket.ABNF.OPCODE_BINARY
_OPCODE_CLOSE = websocket.ABNF.OPCODE_CLOSE
_OPCODE_TEXT = websocket.ABNF.OPCODE_TEXT
_WEBSOCKET_VIOLATIONS = (websocket.WebSocketProtocolException, websocket.WebSocketPayloadException)
# While connecting, how often the notifier looks whether close() was called (seconds).
_CLOSE_CHECK = 0.05


class _Closing(Exception):
    """Internal: the user closed the notifier."""


class _CheckedFrames(frame_buffer):
    """websocket-client's frame reader, refusing masked and oversize frames.

    websocket-client accepts both; this checks the header before the payload is read.
    """

    def __init__(self, recv: Callable[[int], bytes], core: NotifierCore) -> None:
        super().__init__(recv, True)
        self._core = core

    def recv_length(self) -> None:
        super().recv_length()
        if self.has_mask():
            raise self._core.masked_received()
        self._core.check_size(self.length or 0)


class _CheckedMessages(continuous_frame):
    """websocket-client's fragment assembly, bounded by ``max_size``."""

    def __init__(self, core: NotifierCore) -> None:
        super().__init__(False, True)
        self._core = core

    def add(self, frame: websocket.ABNF) -> None:
        super().add(frame)
        if self.cont_data:
            self._core.check_size(len(self.cont_data[1]))


class BlockingNotifier(NotifierBase):
    """Receives Jellyfish server notifications over the server WebSocket, blocking.

    The same surface as :class:`jellyfish.Notifier`, without an event loop::

        notifier = BlockingNotifier("localhost:5002", "development")

        @notifier.on_server_notification
        def handle(notification):
            print(notification)

        notifier.connect()          # runs the receive loop in this thread, until close()

    or in a background thread::

        with BlockingNotifier() as notifier:
            for event in notifier:  # started, authenticated and subscribed
                ...

    Handlers run in the thread that receives (the caller's for :meth:`connect`, the
    background thread after :meth:`start`); an exception in a handler is logged on the
    ``jellyfish.notifier`` logger. Once ``max_queue`` events wait for the iterator,
    reading pauses (``stats.paused``) until it catches up. Stopping: :meth:`close` or
    leaving ``with``.

    Args:
        server_address: ``host:port`` of Jellyfish, without a scheme (default:
            ``JELLYFISH_ADDRESS``, else ``localhost:5002``).
        server_api_token: the server API token (default: ``JELLYFISH_TOKEN``, else
            ``development``).
        secure: ``True`` for ``wss://`` (default: ``JELLYFISH_SECURE``, else ``False``).
        subscribe: what to subscribe to, e.g. ``("server_notifications", "metrics")``.
        reconnect: the :class:`ReconnectPolicy`; ``NO_RECONNECT`` disables reconnecting.
        timeouts: connect/auth/subscribe/ping :class:`Timeouts`.
        ssl_context: the TLS context for ``secure=True`` (default: system CAs).
        queue_events: whether events go to the iteration queue (``None``: everything
            without handlers; with handlers, the kinds without one once iterated).
        max_queue: events that may wait for the iterator (default 1024).
        max_size: the largest WebSocket message accepted, in bytes (default 1 MiB).
    """

    def _init_shell(self) -> None:
        self._condition = threading.Condition()
        self._ws: websocket.WebSocket | None = None
        self._connecting: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._loop_thread: threading.Thread | None = None

    # -- public API ---------------------------------------------------------------

    def connect(self) -> None:
        """Connect, authenticate, subscribe and run the receive loop in this thread.

        Returns after :meth:`close` (called from another thread or from a handler).
        Raises :class:`jellyfish.errors.InvalidTokenError` for a rejected token,
        :class:`jellyfish.errors.ConnectionFailedError` for a refused or unreachable
        server (the first connection fails fast unless ``ReconnectPolicy.retry_initial``),
        and the last error once the reconnect policy gives up.
        """
        self._closing = False
        self._connect()

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
        closed, or :class:`NotifierTimeoutError` (a ``TimeoutError``) after ``timeout``
        seconds.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._condition:
            while True:
                if self.ready:
                    return True
                if self._finished:
                    raise self._stopped()
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise self._not_ready_in_time(timeout)
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
            frames = self._core.subscribe(kind, time.monotonic(), self._connected)
            ws = self._ws if self._connected else None
        if ws is None:
            return
        for frame in frames:
            ws.send_bytes(frame)
        if threading.current_thread() is self._loop_thread:
            return  # called from a handler: the acknowledgement arrives after it returns
        deadline = time.monotonic() + self._timeouts.subscribe
        with self._condition:
            while kind not in self._protocol.acknowledged:
                if self._finished:
                    raise self._stopped()
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise NotifierTimeoutError(
                        f"no acknowledgement of the {kind.name} subscription"
                    )
                self._condition.wait(remaining)

    def close(self, timeout: float | None = 5.0) -> None:
        """Stop: the receive loop exits, iterators end, the background thread is joined.

        Safe to call from any thread, including a handler. Returns promptly: what was
        still queued for the iterator is dropped, logged and counted in
        ``stats.dropped``; the thread is awaited for the handler running now (at most
        ``timeout`` seconds).
        """
        with self._condition:
            self._closing = True
            self._stop.set()
            self._core.drop_backlog()
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
        self._start_iterating()
        return self

    def __next__(self) -> Notification | Reconnected:
        """The next event, in arrival order; ends when the notifier closes."""
        self._start_iterating()
        queue = self._core.iteration
        with self._condition:
            while not queue:
                if self._closing:
                    raise StopIteration
                if self._finished:
                    if self._failure is not None:
                        raise self._failure
                    raise StopIteration
                self._condition.wait()
            event = queue.popleft()
            self._condition.notify_all()  # the reader may be paused for room
            return event  # type: ignore[no-any-return]

    # -- internals ----------------------------------------------------------------

    def _connect(self) -> None:
        with self._condition:
            self._run_starting()
            self._stop = threading.Event()
            self._loop_thread = threading.current_thread()
        failure: JellyfishError | None = None
        try:
            self._connection_loop()
        except JellyfishError as error:
            failure = error
        finally:
            with self._condition:
                failure = self._run_finished(failure)
                self._condition.notify_all()
        if failure is not None:
            raise failure

    def _run_in_background(self) -> None:
        with contextlib.suppress(JellyfishError):  # recorded: wait_ready/iterators raise it
            self._connect()

    def _connection_loop(self) -> None:
        while not self._closing:
            try:
                self._run_connection()
            except _Closing:
                return
            except JellyfishError as error:
                failure = error
            finally:
                with self._condition:
                    self._connected = False
                    self._condition.notify_all()
            if self._closing:
                return
            self._stop.wait(self._core.connection_failed(failure))

    def _run_connection(self) -> None:
        core = self._core
        deadline = core.attempt_started(time.monotonic())
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
            raise core.connect_timed_out() from None
        except websocket.WebSocketBadStatusException as error:
            sock.close()
            raise core.upgrade_refused(error.status_code) from None
        except BaseException as error:
            sock.close()
            if self._closing:
                raise _Closing from None
            if isinstance(error, OSError | websocket.WebSocketException):
                raise core.connect_failed(error) from None
            raise
        finally:
            self._connecting = None
        ws.frame_buffer = _CheckedFrames(ws._recv, core)
        ws.cont_frame = _CheckedMessages(core)
        try:
            with self._condition:
                if self._closing:
                    raise _Closing
                self._ws = ws
                self._connected = True
            for frame in core.upgraded(time.monotonic()):
                ws.send_bytes(frame)
            self._receive_loop(ws)
        finally:
            with self._condition:
                self._ws = None
                self._connected = False
            with contextlib.suppress(Exception):
                if ws.connected:
                    ws.send_close(core.close_code)
            ws.shutdown()  # type: ignore[no-untyped-call]

    def _open_socket(self, deadline: float) -> socket.socket:
        """A TCP connection to the server that :meth:`close` can interrupt.

        The connect runs non-blocking and is watched in short slices, so a close() during a
        connect to an unreachable host returns promptly and leaves no thread behind.
        """
        last_error: OSError | None = None
        for family, kind, proto, _, address in _addresses(self._host, self._port, self._core):
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
                        raise self._core.connect_timed_out()
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
        raise self._core.connect_failed(last_error or OSError("no address"))

    def _receive_loop(self, ws: websocket.WebSocket) -> None:
        core = self._core
        message_received = core.message_received
        accept = core.accept
        sock = ws.sock
        if sock is None:
            raise core.broken()
        monotonic = time.monotonic
        recv_data_frame = ws.recv_data_frame
        current_timeout: float | None = None
        while True:
            # No select per frame: the socket timeout bounds each read, close() wakes a
            # blocked read with shutdown(SHUT_RD); websocket-client resumes partial frames.
            wanted = core.read_timeout(monotonic())
            if wanted != current_timeout:
                sock.settimeout(max(wanted, 0.001))
                current_timeout = wanted
            try:
                opcode, frame = recv_data_frame(True)
            except websocket.WebSocketTimeoutException:
                if self._closing:
                    raise _Closing from None
                ws.ping(core.read_timed_out(monotonic()))
                continue
            except _WEBSOCKET_VIOLATIONS as error:
                raise core.violation(str(error)) from None
            except (websocket.WebSocketConnectionClosedException, OSError):
                if self._closing:
                    raise _Closing from None
                raise core.end_of_stream() from None
            core.data_received()
            if opcode == _OPCODE_BINARY:
                notification = message_received(frame.data)
                if notification is None:
                    self._handshake_progress(ws)
                elif accept(notification):
                    self._deliver_queued()
            elif opcode == _OPCODE_CLOSE:
                raise core.close_received(*_parse_close(frame.data))
            elif opcode == _OPCODE_TEXT:
                raise core.text_received()
            if self._closing:
                raise _Closing

    def _handshake_progress(self, ws: websocket.WebSocket) -> None:
        with self._condition:
            frames, reconnected = self._core.handshake_progress(time.monotonic())
        for frame in frames:
            ws.send_bytes(frame)
        with self._condition:
            self._condition.notify_all()
        if reconnected is not None and self._core.accept(reconnected):
            self._deliver_queued()

    def _deliver_queued(self) -> None:
        """Run the handlers of what is pending; wake iterators; pause while the queue is full."""
        core = self._core
        pending = core.pending
        while pending and not self._closing:
            event = pending.popleft()
            for handler in core.handlers_for(event):
                try:
                    result = handler(event)
                except Exception:
                    logger.exception("notification handler %r failed", handler)
                else:
                    if result is not None and hasattr(result, "__await__"):
                        getattr(result, "close", lambda: None)()
                        logger.error(
                            "handler %r is async: use jellyfish.Notifier for async handlers",
                            handler,
                        )
            core.handled(event)
        if not core.iteration:
            return
        with self._condition:
            if core.iteration:
                self._condition.notify_all()
            if core.full and not self._closing:
                core.paused(time.monotonic())
                while core.full and not self._closing:
                    self._condition.wait()


def _addresses(host: str, port: int, core: NotifierCore) -> list[Any]:
    try:
        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as error:
        raise core.connect_failed(error) from None


def _parse_close(data: bytes) -> tuple[int | None, str]:
    if len(data) >= 2:
        (code,) = struct.unpack("!H", data[:2])
        return int(code), data[2:].decode("utf-8", "replace")
    return 1005, ""
