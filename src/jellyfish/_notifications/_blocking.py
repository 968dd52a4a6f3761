"""The blocking notifier: server notifications over the WebSocket without an event loop.

The I/O shell around :class:`~jellyfish._notifications._core.NotifierCore`, in threads:
it opens the TCP (and TLS) connection, lets websocket-client do the WebSocket upgrade
through its public API (``create_connection`` on the shell's own socket), then moves the
socket's bytes to and from the core, whose sans-I/O frame engine (wsproto's, the same as
the anyio notifier's) takes over. Every decision is the core's.

Threads: the one running :meth:`BlockingNotifier.connect` reads, sends and runs the
handlers; any thread may iterate (one at a time), subscribe or close. Every core call
that another thread can race with happens under ``self._condition``; the handler queue
is only touched by the receiving thread (and cleared by ``close``, atomically).
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import ssl
import threading
import time
import warnings
from collections.abc import Iterator
from types import TracebackType
from typing import TYPE_CHECKING

import websocket

from jellyfish._notifications._common import NotifierBase, logger, running_event_loop
from jellyfish._notifications._core import DELIVERED, READ_SIZE, Event, Item, wrap
from jellyfish._notifications._protocol import Subscription
from jellyfish._routing import Delivery
from jellyfish.errors import JellyfishError

if TYPE_CHECKING:
    from jellyfish.api._sync_io import Hangup

__all__ = ["BlockingNotifier"]

# While connecting, how often the notifier looks whether close() was called (seconds).
_CLOSE_CHECK = 0.05
_UPGRADE_ANSWER_ERRORS = (websocket.WebSocketException, ValueError, IndexError)
"""What websocket-client raises for an answer that is no valid upgrade (after its own
subclasses for a status, a timeout and a closed connection are handled)."""


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

        with BlockingNotifier() as notifier:
            for event in notifier:  # started, authenticated and subscribed
                ...

    Handlers run in the thread that receives (the caller's for :meth:`connect`, the
    background thread after :meth:`start`); an exception in a handler is logged on the
    ``jellyfish.notifier`` logger. Once ``max_queue`` events wait for the iterator,
    reading pauses (``stats.paused``) until it is down to the low-water mark. One thread
    iterates at a time: a second one that would wait alongside it gets a
    ``RuntimeError`` at once. Stopping: :meth:`close` (from any thread) or leaving
    ``with``. Inside a running event loop it warns once: use :class:`jellyfish.Notifier`
    there.

    Args:
        server_address: ``host:port`` of Jellyfish, or a URL without a path
            (``ws://``/``wss://``, ``http://``/``https://``) whose scheme sets ``secure``
            (default: ``JELLYFISH_ADDRESS``, else ``localhost:5002``).
        server_api_token: the server API token (default: ``JELLYFISH_TOKEN``, else
            ``development``).
        secure: ``True`` for ``wss://`` (default: ``JELLYFISH_SECURE``, else ``False``).
        subscribe: what to subscribe to: ``"metrics"``, or
            ``("server_notifications", "metrics")``.
        reconnect: the :class:`ReconnectPolicy`; ``NO_RECONNECT`` disables reconnecting.
        timeouts: connect/auth/subscribe/ping/send deadlines and the close grace.
        ssl_context: the TLS context for ``secure=True`` (default: system CAs).
        queue_events: whether events go to the iteration queue (``None``: everything
            without handlers; with handlers, the kinds without one once iterated).
        max_queue: events that may wait for the iterator (default 1024), or a
            ``(high, low)`` pair of water marks.
        max_size: the largest WebSocket message accepted, in bytes (default 1 MiB).
        catch_up: after each connection gets ready, read ``GET /room`` and deliver what
            changed since the events delivered so far, synthesized (see
            :meth:`deliveries`), before any later notification. Off by default.
        router: a :class:`jellyfish.Router` whose matching handlers run for each event,
            after the ``on_*`` handlers; plain functions only (``connect()`` and
            ``start()`` refuse a router with an ``async def`` handler: use
            :class:`jellyfish.Notifier`).
    """

    def _init_shell(self) -> None:
        self._condition = threading.Condition()
        self._send_lock = threading.Lock()
        self._socket: socket.socket | None = None
        self._catch_up_hangup: Hangup | None = None
        """Ends the connection of the catch-up's ``GET /room`` in flight (close())."""
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._loop_thread: threading.Thread | None = None
        self._iterator_waiting = False
        self._warned_about_event_loop = False

    # -- public API ---------------------------------------------------------------

    def connect(self) -> None:
        """Connect, authenticate, subscribe and run the receive loop in this thread.

        Returns after :meth:`close` (called from another thread or from a handler).
        Raises :class:`jellyfish.errors.InvalidTokenError` for a rejected token,
        :class:`jellyfish.errors.ConnectionFailedError` for a refused or unreachable
        server (the first connection fails fast unless ``ReconnectPolicy.retry_initial``),
        and the last error once the reconnect policy gives up. A :meth:`close` requested
        before it started makes it return at once.
        """
        self._warn_inside_event_loop()
        self._refuse_async_routes()
        self._run()

    def start(self) -> BlockingNotifier:
        """Run :meth:`connect` in a background thread; returns ``self`` at once.

        Use :meth:`wait_ready` to wait for the connection and :meth:`close` to stop
        (it joins the thread).
        """
        self._warn_inside_event_loop()
        self._refuse_async_routes()
        with self._condition:
            if self._thread is not None and self._thread.is_alive():
                raise RuntimeError("this BlockingNotifier is already started")
            self._restart()
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
            while not self.ready:
                if self._finished:
                    raise self._stopped()
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise self._not_ready_in_time(timeout)
                self._condition.wait(remaining)
            return True

    def subscribe_server_notifications(self) -> None:
        """Subscribe to server notifications (waits for the acknowledgement if connected)."""
        self.subscribe(Subscription.SERVER_NOTIFICATIONS)

    def subscribe_metrics(self) -> None:
        """Subscribe to ``MetricsReport`` (waits for the acknowledgement if connected)."""
        self.subscribe(Subscription.METRICS)

    def subscribe(self, subscription: Subscription | int | str) -> None:
        """Add a subscription now and on every reconnect (no unsubscribe exists).

        If connected, sends the request and waits (``timeouts.subscribe``) for the
        acknowledgement, raising :class:`NotifierTimeoutError` without one; called from
        a handler, it only sends the request (the acknowledgement is received by that
        same thread once the handler returns).
        """
        kind = Subscription.parse(subscription)
        core = self._core
        with self._condition:
            deadline = core.request_subscription(kind, time.monotonic())
        try:
            self._flush()
        except _Closing:
            raise self._stopped() from None
        if deadline is None or threading.current_thread() is self._loop_thread:
            return
        with self._condition:
            while not core.subscription_acknowledged(kind, deadline, time.monotonic()):
                if self._finished:
                    raise self._stopped()
                self._condition.wait(deadline - time.monotonic())

    def close(self, timeout: float | None = None) -> None:
        """Stop: the receive loop exits, iterators end, the background thread is joined.

        Safe to call from any thread, including a handler. Returns promptly: what was
        still queued is dropped, counted in ``stats.dropped`` and logged (INFO); the
        thread is awaited for the handler running now, at most ``timeout`` seconds
        (default: the close grace, ``timeouts.close``).
        """
        with self._condition:
            self._closing = True
            self._stop.set()
            self._core.drop_backlog()
            if threading.current_thread() is not self._loop_thread:
                self._interrupt_reading()
            if self._catch_up_hangup is not None:
                self._catch_up_hangup.hang_up()
            self._condition.notify_all()
        thread = self._thread
        if thread is None or thread is threading.current_thread():
            return
        grace = self._core.close_grace if timeout is None else timeout
        thread.join(grace)
        if thread.is_alive():
            logger.warning(
                "close(): %s is still running after %.1f s; the notifier thread exits once "
                "it returns",
                "the catch-up's GET /room" if self._core.catching_up else "a handler",
                grace,
            )
        else:
            self._thread = None

    def __enter__(self) -> BlockingNotifier:
        """Start in a background thread and wait until ready."""
        self.start()
        try:
            self.wait_ready()
        except BaseException:
            self._leave()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._leave()

    def _leave(self) -> None:
        """Leaving ``with``: close, unless the run has already ended (then only join)."""
        if not self._finished:
            self.close()
        elif self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(self._core.close_grace)

    def __iter__(self) -> Iterator[Event]:
        self._start_iterating()
        return self

    def __next__(self) -> Event:
        """The next event, in arrival order; ends when the notifier closes."""
        item = self._next_item()
        return item.event if isinstance(item, Delivery) else item

    def deliveries(self) -> Iterator[Delivery]:
        """Iterate the events in their :class:`jellyfish.Delivery` envelopes.

        The same events as ``for event in notifier`` (they share the queue), each
        wrapped: ``delivery.synthetic`` is ``True`` for an event a catch-up synthesized
        (``source="catch_up"``), ``False`` for one Jellyfish sent (``"websocket"``).
        """
        self._start_iterating()
        # _next_item raises StopIteration once the notifier closed: that ends iter()
        items: Iterator[Item] = iter(self._next_item, None)
        return map(wrap, items)

    def _next_item(self) -> Item:
        self._start_iterating()
        core = self._core
        with self._condition:
            if self._iterator_waiting:
                raise core.concurrent_iteration("BlockingNotifier")
            while True:
                item = core.next_for_iteration()
                if item is not None:
                    if core.paused and core.resume_due:
                        self._condition.notify_all()
                    return item
                if self._iteration_over():
                    raise StopIteration
                self._iterator_waiting = True
                try:
                    self._condition.wait()
                finally:
                    self._iterator_waiting = False

    # -- the run --------------------------------------------------------------------

    def _warn_inside_event_loop(self) -> None:
        loop = running_event_loop()
        if loop is None or self._warned_about_event_loop:
            return
        self._warned_about_event_loop = True
        warnings.warn(
            f"a BlockingNotifier was started inside a running {loop[0]} event loop: "
            "waiting for it (wait_ready, iteration, close, with) blocks the loop; "
            "use jellyfish.Notifier, which runs on asyncio and trio",
            RuntimeWarning,
            stacklevel=3,
        )

    def _refuse_async_routes(self) -> None:
        router = self._core.router
        handlers = router.async_handlers() if router is not None else []
        if handlers:
            raise TypeError(
                f"the router's handler {handlers[0]!r} is async: a BlockingNotifier runs "
                "plain functions; use jellyfish.Notifier for async handlers"
            )

    def _run_in_background(self) -> None:
        with contextlib.suppress(JellyfishError):  # recorded: wait_ready/iterators raise it
            self._run()

    def _run(self) -> None:
        with self._condition:
            proceed = self._run_starting()
            if proceed:
                self._stop.clear()
            self._loop_thread = threading.current_thread()
        failure: JellyfishError | None = None
        try:
            if proceed:
                self._connection_loop()
        except JellyfishError as error:
            failure = error
        except BaseException:
            self._closing = True  # interrupted (KeyboardInterrupt in connect()): closed
            raise
        finally:
            with self._condition:
                failure = self._run_finished(failure)
                self._loop_thread = None
                self._condition.notify_all()
        if failure is not None:
            raise failure

    def _interrupt_reading(self) -> None:
        """Wake the receiving thread from a blocking read (under the condition).

        Shuts down the reading side through a duplicate of the socket's descriptor: the
        socket object itself (an ``SSLSocket`` with ``secure=True``) stays usable for
        sending the close frame.
        """
        sock = self._socket
        if sock is None:
            return
        with contextlib.suppress(OSError):
            alias = socket.fromfd(sock.fileno(), sock.family, sock.type)
            with alias:
                alias.shutdown(socket.SHUT_RD)

    def _connection_loop(self) -> None:
        core = self._core
        while not self._closing:
            try:
                self._connection()
            except _Closing:
                return
            except JellyfishError as error:
                if self._closing:
                    return
                with self._condition:
                    delay = core.connection_failed(error)
                if self._stop.wait(delay):
                    return

    def _connection(self) -> None:
        """One connection; it ends by raising (``_Closing`` when closed by the user)."""
        core = self._core
        with self._condition:
            deadline = core.attempt_started(time.monotonic())
        sock = self._register(self._open_socket(deadline))
        try:
            sock = self._upgrade(sock, deadline)
            self._receive_loop(sock)
        finally:
            with self._condition:
                self._socket = None
                farewell = core.closing_frame()
                self._condition.notify_all()
            if farewell:
                with contextlib.suppress(OSError):
                    sock.settimeout(core.close_grace)
                    sock.sendall(farewell)
            sock.close()

    def _register(self, sock: socket.socket) -> socket.socket:
        """Make ``sock`` the one :meth:`close` interrupts; raise if closing already."""
        with self._condition:
            if self._closing:
                sock.close()
                raise _Closing
            self._socket = sock
        return sock

    def _open_socket(self, deadline: float) -> socket.socket:
        """A TCP connection to the server that :meth:`close` can interrupt.

        The connect runs non-blocking and is watched in short slices, so a close() during a
        connect to an unreachable host returns promptly and leaves no thread behind.
        """
        core = self._core
        try:
            addresses = socket.getaddrinfo(self._host, self._port, type=socket.SOCK_STREAM)
        except OSError as error:
            raise core.connect_failed(error) from None
        last_error: OSError | None = None
        for family, kind, proto, _, address in addresses:
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
                        raise core.connect_timed_out()
                    _, writable, _ = select.select([], [sock], [], min(remaining, _CLOSE_CHECK))
                    if writable:
                        break
                status = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if status:
                    raise OSError(status, os.strerror(status))
                sock.setblocking(True)
                return sock
            except OSError as error:
                sock.close()
                last_error = error
            except BaseException:
                sock.close()
                raise
        raise core.connect_failed(last_error or OSError("no address"))

    def _upgrade(self, sock: socket.socket, deadline: float) -> socket.socket:
        """TLS (if secure), then websocket-client's upgrade; returns the socket to use."""
        core = self._core
        try:
            sock.settimeout(max(deadline - time.monotonic(), 0.001))
            if self._secure:
                context = self._ssl_context or ssl.create_default_context()
                sock = self._register(context.wrap_socket(sock, server_hostname=self._host))
            upgraded = websocket.create_connection(
                self._url,
                timeout=max(deadline - time.monotonic(), 0.001),
                socket=sock,
                suppress_origin=True,
                skip_utf8_validation=True,
            )
            headers = upgraded.getheaders() or {}
        except (TimeoutError, websocket.WebSocketTimeoutException):
            raise core.connect_timed_out() from None
        except websocket.WebSocketBadStatusException as error:
            raise core.upgrade_refused(error.status_code) from None
        except (websocket.WebSocketConnectionClosedException, OSError) as error:
            if self._closing:
                raise _Closing from None
            if isinstance(error, OSError):
                raise core.connect_failed(error) from None
            raise core.end_of_stream() from None
        except _UPGRADE_ANSWER_ERRORS as error:
            raise core.upgrade_violation(f"{type(error).__name__}: {error}") from None
        with self._condition:
            progress = core.upgrade_accepted(headers, time.monotonic())
        self._after(sock, progress)
        return sock

    # -- moving bytes -----------------------------------------------------------------

    def _receive_loop(self, sock: socket.socket) -> None:
        core = self._core
        condition = self._condition
        monotonic = time.monotonic
        while True:
            if core.catching_up:
                progress = self._catch_up()
            elif core.paused:
                progress = self._wait_for_room()
            else:
                data = self._read(sock)
                with condition:
                    if data is None:
                        core.read_timed_out(monotonic())
                        progress = 0
                    else:
                        progress = core.receive(data, monotonic())
            self._after(sock, progress)
            if self._closing:
                raise _Closing

    def _read(self, sock: socket.socket) -> bytes | None:
        """The next bytes (``None``: the read timed out), within ``core.read_timeout``."""
        core = self._core
        # No select per read: the socket timeout bounds it, close() wakes it up.
        wanted = max(core.read_timeout(time.monotonic()), 0.001)
        if sock.gettimeout() != wanted:
            sock.settimeout(wanted)
        try:
            data = sock.recv(READ_SIZE)
        except TimeoutError:
            if self._closing:
                raise _Closing from None
            return None
        except OSError as error:
            if self._closing:
                raise _Closing from None
            raise core.broken(error) from None
        if not data:
            if self._closing:
                raise _Closing
            raise core.end_of_stream()
        return data

    def _catch_up(self) -> int:
        """``GET /room`` for a catch-up, tried again as the core says (reading waits).

        A :meth:`close` meanwhile shuts the call's connection down: the call fails at once
        (a connect or TLS handshake in progress first ends at its timeout).
        """
        from jellyfish.api import RoomApi  # catch_up=True only: it loads httpx
        from jellyfish.api._sync_io import Hangup

        core = self._core
        while True:
            hangup = Hangup()
            with self._condition:
                if self._closing:
                    raise _Closing
                self._catch_up_hangup = hangup
            try:
                with (
                    hangup.calls(),
                    RoomApi(
                        server_api_token=self._settings.server_api_token,
                        **self._room_api_options(),
                    ) as room_api,
                ):
                    rooms = room_api.get_all_rooms()
            except JellyfishError as error:
                if self._closing:
                    raise _Closing from None
                with self._condition:
                    delay = core.catch_up_failed(error)
                if self._stop.wait(delay):
                    raise _Closing from None
                continue
            finally:
                with self._condition:
                    self._catch_up_hangup = None
            with self._condition:
                if self._closing:
                    raise _Closing
                return core.caught_up(rooms, time.monotonic())

    def _wait_for_room(self) -> int:
        core = self._core
        with self._condition:
            while not core.resume_due and not self._closing:
                self._condition.wait()
            if self._closing:
                raise _Closing
            return core.resume(time.monotonic())

    def _after(self, sock: socket.socket, progress: int) -> None:
        """Wake the waiting threads, send what the core wants sent, run the handlers."""
        if progress:
            with self._condition:
                self._condition.notify_all()
        self._flush(sock)
        if progress & DELIVERED and self._core.handlers_waiting:
            self._run_handlers()

    def _flush(self, sock: socket.socket | None = None) -> None:
        with self._condition:
            data = self._core.data_to_send()
            sock = sock or self._socket
        if data and sock is not None:
            self._send(sock, data)

    def _send(self, sock: socket.socket, data: bytes) -> None:
        """Write within ``timeouts.send``; past it the connection is dropped (it is dead)."""
        core = self._core
        with self._send_lock:
            sock.settimeout(core.send_timeout)
            try:
                sock.sendall(data)
            except TimeoutError:
                with self._condition:
                    self._interrupt_reading()
                raise core.send_timed_out() from None
            except OSError as error:
                if self._closing:
                    raise _Closing from None
                raise core.broken(error) from None

    def _run_handlers(self) -> None:
        core = self._core
        handlers_for = core.handlers_for
        while not self._closing:
            item = core.next_for_handlers()
            if item is None:
                return
            event = item.event if isinstance(item, Delivery) else item
            for handler in handlers_for(item):
                try:
                    result = handler(event)
                except Exception:
                    core.handler_failed(handler)
                else:
                    if result is not None:
                        core.handler_returned(handler, result)
            if core.handled(item):
                with self._condition:
                    self._condition.notify_all()
