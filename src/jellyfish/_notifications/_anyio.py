"""The anyio notifier: server notifications over the WebSocket, on asyncio or trio.

The I/O shell around :class:`~jellyfish._notifications._core.NotifierCore`: it opens an
anyio TCP (or TLS) stream, moves bytes through wsproto, sleeps and calls handlers.
Everything else (handshake, deadlines, verdicts, backoff, flow control) is the core's.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import AsyncIterator, Generator
from types import TracebackType
from typing import Any

import anyio
import anyio.abc
import anyio.lowlevel
from wsproto import ConnectionType, WSConnection
from wsproto.connection import ConnectionState as WebSocketState
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Ping,
    RejectConnection,
    RejectData,
    Request,
    TextMessage,
)
from wsproto.utilities import LocalProtocolError, RemoteProtocolError

from jellyfish._notifications._common import NotifierBase, Reconnected, logger
from jellyfish._notifications._decoder import Notification
from jellyfish._notifications._protocol import SERVER_WEBSOCKET_PATH, Subscription
from jellyfish.errors import JellyfishError

__all__ = ["Notifier"]

_BYTES_MESSAGE = BytesMessage
# How long close() lets a running handler finish before cancelling it (seconds).
_GRACE = 0.5


class _Closing(Exception):
    """Internal: the user closed the notifier."""


class _CloseRequest:
    """What :meth:`Notifier.close` returns: the stop is already requested.

    Awaiting it (0.4.0 style) yields to the event loop once; not awaiting it is fine (no
    "coroutine was never awaited" warning).
    """

    __slots__ = ()

    def __await__(self) -> Generator[Any, None, None]:
        return anyio.lowlevel.checkpoint().__await__()


class Notifier(NotifierBase):
    """Receives Jellyfish server notifications over the server WebSocket (asyncio or trio).

    A drop-in for jellyfish-server-sdk 0.4.0's ``Notifier``::

        notifier = Notifier(server_address="localhost:5002", server_api_token="development")

        @notifier.on_server_notification
        def handle(notification):
            print(notification)

        task = asyncio.create_task(notifier.connect())
        await notifier.wait_ready()

    or, with structured concurrency and iteration::

        async with Notifier() as notifier:
            async for event in notifier:
                ...

    Delivery: every notification received while connected reaches every matching
    handler, in order, and (see ``queue_events``) the iterator. Handlers run in a
    dispatcher task, so a slow handler does not stall ping answers; once ``max_queue``
    events wait, reading pauses (``stats.paused``) until they catch up.

    Stopping: ``await notifier.aclose()`` or leaving ``async with``; ``close()`` also
    works from a synchronous handler (the stop is requested at once; awaiting its
    result, as 0.4.0 code does, is optional).

    The arguments are those of :class:`jellyfish.BlockingNotifier` (see
    ``NotifierBase``): ``server_address``, ``server_api_token``, ``secure``,
    ``subscribe``, ``reconnect``, ``timeouts``, ``ssl_context``, ``queue_events``,
    ``max_queue``, ``max_size``.
    """

    def _init_shell(self) -> None:
        self._state_event: anyio.Event | None = None
        self._pending_wakeup: anyio.Event | None = None
        self._queue_wakeup: anyio.Event | None = None
        self._room_wakeup: anyio.Event | None = None
        self._receiving = False
        self._ws: WSConnection | None = None
        self._stream: anyio.abc.ByteStream | None = None
        self._send_lock: anyio.Lock | None = None
        self._scope: anyio.CancelScope | None = None
        self._task_group: anyio.abc.TaskGroup | None = None
        self._dispatch_scope: anyio.CancelScope | None = None

    # -- public API ---------------------------------------------------------------

    async def connect(self) -> None:
        """Connect, authenticate, subscribe, and deliver notifications until closed.

        Runs until :meth:`aclose` (then returns) or until the connection fails for good
        (then raises): a rejected token raises :class:`jellyfish.errors.InvalidTokenError`
        at once; a refused or unreachable server
        :class:`jellyfish.errors.ConnectionFailedError` (the first connection fails fast
        unless ``ReconnectPolicy.retry_initial``); later drops are retried by the
        reconnect policy, and the last error is raised once it gives up. Run it as a
        task (``asyncio.create_task(notifier.connect())`` or ``task_group.start_soon``).
        """
        self._closing = False
        await self._connect()

    async def wait_ready(self, timeout: float | None = None) -> bool:  # noqa: ASYNC109
        """Wait until connected, authenticated and subscribed; returns ``True``.

        Raises instead of hanging: the error that made :meth:`connect` fail (e.g.
        :class:`jellyfish.errors.InvalidTokenError`), :class:`NotifierClosedError` if
        the notifier was closed, :class:`NotifierTimeoutError` (a ``TimeoutError``)
        after ``timeout`` seconds.
        """
        try:
            with anyio.fail_after(timeout):
                while True:
                    if self.ready:
                        return True
                    if self._finished or self._failure is not None:
                        raise self._stopped()
                    await self._state_changed()
        except TimeoutError as error:
            if isinstance(error, JellyfishError):
                raise
            raise self._not_ready_in_time(timeout) from None

    async def subscribe_server_notifications(self) -> None:
        """Subscribe to server notifications (waits for the acknowledgement if connected)."""
        await self.subscribe(Subscription.SERVER_NOTIFICATIONS)

    async def subscribe_metrics(self) -> None:
        """Subscribe to ``MetricsReport`` (waits for the acknowledgement if connected)."""
        await self.subscribe(Subscription.METRICS)

    async def subscribe(self, subscription: Subscription | int | str) -> None:
        """Add a subscription now and on every reconnect.

        If connected, sends the request and waits (``timeouts.subscribe``) for the
        server's acknowledgement. The server has no unsubscribe: a subscription lasts
        for the life of the notifier.
        """
        kind = Subscription.parse(subscription)
        frames = self._core.subscribe(kind, anyio.current_time(), self._connected)
        if not self._connected:
            return
        await self._send_frames(frames)
        with anyio.fail_after(self._timeouts.subscribe):
            while kind not in self._protocol.acknowledged:
                if self._finished:
                    raise self._stopped()
                await self._state_changed()

    def close(self) -> _CloseRequest:
        """Stop: :meth:`connect` returns, iterators end, queued events are dropped.

        Usable from synchronous code (e.g. a handler): the stop is requested at once.
        The result may be awaited (``await notifier.close()``, as in 0.4.0). What was
        still queued is dropped, logged and counted in ``stats.dropped``.
        """
        self._closing = True
        self._core.drop_backlog()
        if self._scope is not None:
            self._scope.cancel()
        self._notify_state()
        self._wake_dispatcher()
        self._wake_iterator()
        self._wake_reader()
        return _CloseRequest()

    async def aclose(self) -> None:
        """Stop (see :meth:`close`)."""
        await self.close()

    async def __aenter__(self) -> Notifier:
        """Start :meth:`connect` in a background task and wait until ready."""
        self._closing = False
        self._finished = False
        self._failure = None
        group = anyio.create_task_group()
        await group.__aenter__()
        self._task_group = group
        group.start_soon(self._run_in_background)
        try:
            await self.wait_ready()
        except BaseException:
            await self._exit_group()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._exit_group()

    def __aiter__(self) -> AsyncIterator[Notification | Reconnected]:
        self._start_iterating()
        return self

    async def __anext__(self) -> Notification | Reconnected:
        """The next event, in arrival order; ends when the notifier closes."""
        self._start_iterating()
        queue = self._core.iteration
        while not queue:
            if self._closing:
                raise StopAsyncIteration
            if self._finished and not self._receiving and not self._core.pending:
                if self._failure is not None:
                    raise self._failure
                raise StopAsyncIteration
            wakeup = self._queue_wakeup = anyio.Event()
            await wakeup.wait()
        await anyio.lowlevel.checkpoint_if_cancelled()
        event = queue.popleft()
        self._wake_reader()
        return event  # type: ignore[no-any-return]

    # -- internals ----------------------------------------------------------------

    async def _connect(self) -> None:
        self._run_starting()
        self._send_lock = anyio.Lock()
        failure: JellyfishError | None = None
        try:
            async with anyio.create_task_group() as group:
                self._receiving = True
                group.start_soon(self._dispatch_loop)
                try:
                    with anyio.CancelScope() as self._scope:
                        if self._closing:
                            self._scope.cancel()
                        await self._connection_loop()
                except JellyfishError as error:
                    failure = error
                finally:
                    self._scope = None
                    self._receiving = False
                    self._wake_dispatcher()
                    if self._closing and self._dispatch_scope is not None:
                        self._dispatch_scope.deadline = anyio.current_time() + _GRACE
        finally:
            failure = self._run_finished(failure)
            self._notify_state()
            self._wake_iterator()
        if failure is not None:
            raise failure

    async def _exit_group(self) -> None:
        group, self._task_group = self._task_group, None
        await self.aclose()
        if group is not None:
            await group.__aexit__(None, None, None)

    async def _run_in_background(self) -> None:
        with contextlib.suppress(JellyfishError):  # recorded: wait_ready and iterators raise it
            await self._connect()

    async def _state_changed(self) -> None:
        if self._state_event is None:
            self._state_event = anyio.Event()
        await self._state_event.wait()

    def _notify_state(self) -> None:
        event, self._state_event = self._state_event, None
        if event is not None:
            event.set()

    def _wake_dispatcher(self) -> None:
        wakeup, self._pending_wakeup = self._pending_wakeup, None
        if wakeup is not None:
            wakeup.set()

    def _wake_iterator(self) -> None:
        wakeup, self._queue_wakeup = self._queue_wakeup, None
        if wakeup is not None:
            wakeup.set()

    def _wake_reader(self) -> None:
        wakeup, self._room_wakeup = self._room_wakeup, None
        if wakeup is not None:
            wakeup.set()

    async def _connection_loop(self) -> None:
        while not self._closing:
            try:
                await self._run_connection()
            except _Closing:
                return
            except JellyfishError as error:
                failure = error
            finally:
                self._connected = False
                self._notify_state()
            if self._closing:
                return
            await anyio.sleep(self._core.connection_failed(failure))

    async def _run_connection(self) -> None:
        """One connection; always ends by raising (``_Closing`` when closed by the user)."""
        core = self._core
        deadline = core.attempt_started(anyio.current_time())
        stream: anyio.abc.ByteStream
        try:
            with anyio.fail_after(deadline - anyio.current_time()):
                if self._secure:
                    import ssl  # here: ssl costs ~10 ms at import, and only TLS needs it

                    context = self._ssl_context or ssl.create_default_context()
                    stream = await anyio.connect_tcp(
                        self._host, self._port, ssl_context=context, tls_hostname=self._host
                    )
                else:
                    stream = await anyio.connect_tcp(self._host, self._port)
        except TimeoutError:
            raise core.connect_timed_out() from None
        except OSError as error:
            raise core.connect_failed(error) from None
        ws = WSConnection(ConnectionType.CLIENT)
        self._stream = stream
        self._ws = ws
        try:
            await stream.send(
                ws.send(Request(host=self._host_header, target=SERVER_WEBSOCKET_PATH))
            )
            await self._receive_loop(stream, ws)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError) as error:
            raise core.broken(f"the connection broke: {error!r}") from None
        finally:
            self._stream = None
            with anyio.CancelScope(shield=True), anyio.move_on_after(1.0):
                with contextlib.suppress(Exception):
                    if ws.state is WebSocketState.OPEN:
                        await stream.send(ws.send(CloseConnection(code=core.close_code)))
                with contextlib.suppress(Exception):  # e.g. TLS close_notify on a dead socket
                    await stream.aclose()

    async def _receive_loop(self, stream: anyio.abc.ByteStream, ws: WSConnection) -> None:
        core = self._core
        message_received = core.message_received
        accept = core.accept
        pending, iteration, max_queue = core.pending, core.iteration, core.max_queue
        now = anyio.current_time
        fragments: list[bytes | bytearray] = []
        size = 0
        # Frames already read but not parsed while the queue is full stay in wsproto's
        # buffer, so the queue never holds more than max_queue events.
        buffered = False
        while True:
            if core.full:
                await self._wait_for_room()
            if not buffered:
                with anyio.move_on_after(core.read_timeout(now())) as scope:
                    try:
                        data = await stream.receive(65536)
                    except anyio.EndOfStream:
                        raise core.end_of_stream() from None
                if scope.cancelled_caught:
                    if self._closing:
                        raise _Closing
                    await self._send_raw(ws.send(Ping(payload=core.read_timed_out(now()))))
                    continue
                core.data_received()
                ws.receive_data(data)
            buffered = False
            queued = False
            try:
                for event in ws.events():
                    if type(event) is _BYTES_MESSAGE:
                        payload = event.data
                        if not event.message_finished or fragments:
                            size += len(payload)
                            core.check_size(size)
                            fragments.append(payload)
                            if not event.message_finished:
                                continue
                            payload = b"".join(fragments)
                            fragments.clear()
                            size = 0
                        notification = message_received(payload)
                        if notification is not None:
                            queued = accept(notification) or queued
                            if len(pending) + len(iteration) >= max_queue:
                                buffered = True
                                break
                        else:
                            await self._handshake_progress()
                    elif isinstance(event, Ping):
                        await self._send_raw(ws.send(event.response()))
                    elif isinstance(event, CloseConnection):
                        if ws.state is WebSocketState.OPEN:  # wsproto found a violation
                            raise core.violation(event.reason or f"code {event.code}", event.code)
                        with contextlib.suppress(Exception):
                            await self._send_raw(ws.send(event.response()))
                        raise core.close_received(event.code, event.reason or "")
                    elif isinstance(event, AcceptConnection):
                        self._connected = True
                        await self._send_frames(core.upgraded(now()))
                    elif isinstance(event, RejectConnection | RejectData):
                        raise core.upgrade_refused(getattr(event, "status_code", 0))
                    elif isinstance(event, TextMessage):
                        raise core.text_received()
            except (LocalProtocolError, RemoteProtocolError) as error:
                raise core.violation(str(error)) from None
            finally:
                if queued:
                    self._wake_dispatcher()
                    self._wake_iterator()

    async def _wait_for_room(self) -> None:
        core = self._core
        core.paused(anyio.current_time())
        while core.full and not self._closing:
            wakeup = self._room_wakeup = anyio.Event()
            await wakeup.wait()
        if self._closing:
            raise _Closing

    async def _handshake_progress(self) -> None:
        frames, reconnected = self._core.handshake_progress(anyio.current_time())
        await self._send_frames(frames)
        if reconnected is not None and self._core.accept(reconnected):
            self._wake_dispatcher()
            self._wake_iterator()
        self._notify_state()

    async def _send_frames(self, frames: list[bytes]) -> None:
        ws = self._ws
        if ws is None:
            return
        for frame in frames:
            await self._send_raw(ws.send(BytesMessage(data=frame)))

    async def _send_raw(self, data: bytes) -> None:
        stream = self._stream
        if stream is None or self._send_lock is None:
            return
        async with self._send_lock:
            await stream.send(data)

    async def _dispatch_loop(self) -> None:
        with anyio.CancelScope() as self._dispatch_scope:
            await self._dispatch()
        if self._dispatch_scope.cancelled_caught:
            logger.warning("a handler still running %.1f s after close() was cancelled", _GRACE)
        self._wake_iterator()

    async def _dispatch(self) -> None:
        core = self._core
        pending = core.pending
        handlers_for = core.handlers_for
        isawaitable = inspect.isawaitable
        while True:
            while pending and not self._closing:
                event = pending.popleft()
                for handler in handlers_for(event):
                    try:
                        result = handler(event)
                        if result is not None and isawaitable(result):
                            await result
                    except Exception:
                        logger.exception("notification handler %r failed", handler)
                if core.queue_events and core.handled(event):
                    self._wake_iterator()
                if self._room_wakeup is not None:
                    self._wake_reader()
            if not self._receiving or self._closing:
                break
            wakeup = self._pending_wakeup = anyio.Event()
            if pending:
                continue
            await wakeup.wait()
