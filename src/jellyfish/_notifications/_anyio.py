"""The anyio notifier: server notifications over the WebSocket, on asyncio or trio.

The I/O shell around :class:`~jellyfish._notifications._core.NotifierCore`: it opens an
anyio TCP (or TLS) stream, moves bytes between it and the core, sleeps, wakes its tasks
and awaits handlers. Every decision (upgrade, frames, deadlines, verdicts, backoff,
dispatch, flow control) is the core's.

Structured concurrency: ``connect()`` runs its dispatcher in a task group of its own and
``async with`` enters one through an :class:`~contextlib.AsyncExitStack`; a cancel that
lands anywhere (connecting, in the handshake, waiting for an event, in a handler, in the
backoff, while closing) ends the run within the close grace and propagates unchanged.
"""

from __future__ import annotations

import contextlib
import inspect
import threading
from collections.abc import AsyncIterator, Generator
from types import TracebackType
from typing import Any

import anyio
import anyio.abc
import anyio.lowlevel

from jellyfish._notifications._common import NotifierBase, ThreadSafeCall, running_event_loop
from jellyfish._notifications._core import (
    DELIVERED,
    READ_SIZE,
    STATE_CHANGED,
    Event,
    Item,
    logger,
    wrap,
)
from jellyfish._notifications._protocol import Subscription
from jellyfish._routing import Delivery
from jellyfish.errors import JellyfishError

__all__ = ["Notifier"]


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
    events wait, reading pauses (``stats.paused``) until they are down to the low-water
    mark. One task iterates at a time: a second one that would wait alongside it gets a
    ``RuntimeError`` at once.

    Stopping: ``await notifier.aclose()`` or leaving ``async with``; ``close()`` also
    works from a synchronous handler and from another thread (the stop is requested at
    once; awaiting its result, as 0.4.0 code does, is optional). A cancel of the
    surrounding scope closes the notifier too.

    Catch-up (``catch_up=True``): once a connection is ready, the first and after every
    reconnect, the notifier reads ``GET /room`` and delivers what changed since the last
    events it delivered, as synthesized events (``synthetic`` in :meth:`deliveries` and
    in a router handler's :class:`jellyfish.Delivery`), before any later notification.

    The arguments are those of :class:`jellyfish.BlockingNotifier` (see
    ``NotifierBase``): ``server_address``, ``server_api_token``, ``secure``,
    ``subscribe``, ``reconnect``, ``timeouts``, ``ssl_context``, ``queue_events``,
    ``max_queue``, ``max_size``, ``catch_up``, ``router`` (whose ``async def`` handlers
    are awaited).
    """

    def _init_shell(self) -> None:
        self._stack: contextlib.AsyncExitStack | None = None
        self._scope: anyio.CancelScope | None = None
        self._dispatch_scope: anyio.CancelScope | None = None
        self._stream: anyio.abc.ByteStream | None = None
        self._send_lock: anyio.Lock | None = None
        self._state_event: anyio.Event | None = None
        self._handlers_wakeup: anyio.Event | None = None
        self._iterator_wakeup: anyio.Event | None = None
        self._reader_wakeup: anyio.Event | None = None
        self._receiving = False
        self._loop_thread: int | None = None
        self._call_soon_threadsafe: ThreadSafeCall | None = None

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
        A :meth:`close` requested before it started makes it return at once.
        """
        await self._run()

    async def wait_ready(self, timeout: float | None = None) -> bool:  # noqa: ASYNC109
        """Wait until connected, authenticated and subscribed; returns ``True``.

        Raises instead of hanging: the error that made :meth:`connect` fail (e.g.
        :class:`jellyfish.errors.InvalidTokenError`), :class:`NotifierClosedError` if
        the notifier was closed, :class:`NotifierTimeoutError` (a ``TimeoutError``)
        after ``timeout`` seconds.
        """
        try:
            with anyio.fail_after(timeout):
                while not self.ready:
                    if self._finished or self._failure is not None:
                        raise self._stopped()
                    await self._state_changed()
                return True
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
        server's acknowledgement, raising :class:`NotifierTimeoutError` without one. The
        server has no unsubscribe: a subscription lasts for the life of the notifier.
        """
        kind = Subscription.parse(subscription)
        core = self._core
        deadline = core.request_subscription(kind, anyio.current_time())
        await self._flush()
        if deadline is None:
            return
        while not core.subscription_acknowledged(kind, deadline, anyio.current_time()):
            if self._finished:
                raise self._stopped()
            with anyio.move_on_after(deadline - anyio.current_time()):
                await self._state_changed()

    def close(self) -> _CloseRequest:
        """Stop: :meth:`connect` returns, iterators end, queued events are dropped.

        Usable from synchronous code (e.g. a handler) and from any thread: the stop is
        requested at once (from another thread: handed to the notifier's event loop).
        The result may be awaited (``await notifier.close()``, as in 0.4.0). What was
        still queued is dropped, counted in ``stats.dropped`` and logged (INFO).
        """
        call_soon_threadsafe = self._call_soon_threadsafe
        if call_soon_threadsafe is not None and threading.get_ident() != self._loop_thread:
            try:
                call_soon_threadsafe(self._request_close)
            except RuntimeError:  # the event loop has just finished: nothing runs any more
                self._closing = True
        else:
            self._request_close()
        return _CloseRequest()

    async def aclose(self) -> None:
        """Stop (see :meth:`close`)."""
        await self.close()

    async def __aenter__(self) -> Notifier:
        """Start :meth:`connect` in a background task group and wait until ready."""
        if self._stack is not None:
            raise RuntimeError("this Notifier is already open (async with)")
        self._restart()
        stack = contextlib.AsyncExitStack()
        group = await stack.enter_async_context(anyio.create_task_group())
        self._stack = stack
        try:
            group.start_soon(self._run_in_background)
            await self.wait_ready()
        except BaseException as error:
            self._stack = None
            if await self._exit(stack, error):
                raise self._stopped() from error
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        stack, self._stack = self._stack, None
        if stack is None:
            return False
        return await self._exit(stack, exc)

    def __aiter__(self) -> AsyncIterator[Event]:
        self._start_iterating()
        return self

    async def __anext__(self) -> Event:
        """The next event, in arrival order; ends when the notifier closes."""
        item = await self._next_item()
        return item.event if isinstance(item, Delivery) else item

    def deliveries(self) -> AsyncIterator[Delivery]:
        """Iterate the events in their :class:`jellyfish.Delivery` envelopes.

        The same events as ``async for event in notifier`` (they share the queue), each
        wrapped: ``delivery.synthetic`` is ``True`` for an event a catch-up synthesized
        (``source="catch_up"``), ``False`` for one Jellyfish sent (``"websocket"``).
        """
        self._start_iterating()
        return _Deliveries(self)

    async def _next_item(self) -> Item:
        self._start_iterating()
        core = self._core
        if self._iterator_wakeup is not None:
            raise core.concurrent_iteration("Notifier")
        await anyio.lowlevel.checkpoint_if_cancelled()
        while True:
            item = core.next_for_iteration()
            if item is not None:
                if core.paused and core.resume_due:
                    self._wake(self._reader_wakeup)
                return item
            if self._iteration_over():
                raise StopAsyncIteration
            wakeup = self._iterator_wakeup = anyio.Event()
            try:
                await wakeup.wait()
            finally:
                self._iterator_wakeup = None

    # -- the run ------------------------------------------------------------------

    async def _exit(self, stack: contextlib.AsyncExitStack, error: BaseException | None) -> bool:
        """Leave the task group of ``async with``; the notifier is already closing.

        A cancel goes in, so that its scope sees it; any other error of the body goes
        on as it is once the run has ended (not wrapped in an exception group). A run
        that has already ended (it failed) leaves no close request behind.
        """
        if not self._finished:
            self.close()
        if isinstance(error, anyio.get_cancelled_exc_class()):
            return bool(await stack.__aexit__(type(error), error, error.__traceback__))
        return bool(await stack.__aexit__(None, None, None))

    async def _run_in_background(self) -> None:
        with contextlib.suppress(JellyfishError):  # recorded: wait_ready and iterators raise it
            await self._run()

    async def _run(self) -> None:
        if not self._run_starting():  # closed before it began
            self._run_finished(None)
            self._wake_all()
            return
        self._loop_thread = threading.get_ident()
        loop = running_event_loop()
        self._call_soon_threadsafe = None if loop is None else loop[1]
        self._send_lock = anyio.Lock()
        failure: JellyfishError | None = None
        try:
            async with anyio.create_task_group() as group:
                self._receiving = True
                group.start_soon(self._dispatch_loop)
                try:
                    with anyio.CancelScope() as self._scope:  # what close() cancels
                        await self._connection_loop()
                except JellyfishError as error:
                    failure = error
                finally:
                    self._scope = None
                    self._receiving = False
                    self._end_dispatch()
        except BaseException:
            self._closing = True  # cancelled from outside or interrupted: closed
            raise
        finally:
            self._call_soon_threadsafe = None
            failure = self._run_finished(failure)
            self._wake_all()
        if failure is not None:
            raise failure

    def _request_close(self) -> None:
        self._closing = True
        self._core.drop_backlog()
        if self._scope is not None:
            self._scope.cancel()
        self._wake_all()

    # -- waking ---------------------------------------------------------------------

    async def _state_changed(self) -> None:
        if self._state_event is None:
            self._state_event = anyio.Event()
        await self._state_event.wait()

    def _notify_state(self) -> None:
        event, self._state_event = self._state_event, None
        if event is not None:
            event.set()

    @staticmethod
    def _wake(wakeup: anyio.Event | None) -> None:
        if wakeup is not None:
            wakeup.set()

    def _wake_all(self) -> None:
        self._notify_state()
        for wakeup in (self._handlers_wakeup, self._iterator_wakeup, self._reader_wakeup):
            self._wake(wakeup)

    # -- connections ------------------------------------------------------------------

    async def _connection_loop(self) -> None:
        while True:
            try:
                await self._connection()
            except JellyfishError as error:
                await anyio.sleep(self._core.connection_failed(error))

    async def _connection(self) -> None:
        """One connection; it ends by raising (or by the cancel of :meth:`close`)."""
        core = self._core
        stream = await self._open_stream(core.attempt_started(anyio.current_time()))
        self._stream = stream
        try:
            await self._send(core.upgrade_request())
            await self._receive_loop(stream)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError) as error:
            raise core.broken(error) from None
        finally:
            self._stream = None
            farewell = core.closing_frame()
            self._notify_state()
            with anyio.CancelScope(shield=True):
                with anyio.move_on_after(core.close_grace), contextlib.suppress(Exception):
                    if farewell:
                        await stream.send(farewell)
                    await stream.aclose()
                await anyio.aclose_forcefully(stream)

    async def _open_stream(self, deadline: float) -> anyio.abc.ByteStream:
        core = self._core
        try:
            with anyio.fail_after(max(0.0, deadline - anyio.current_time())):
                if not self._secure:
                    return await anyio.connect_tcp(self._host, self._port)
                return await anyio.connect_tcp(
                    self._host,
                    self._port,
                    ssl_context=self._ssl_context,
                    tls_hostname=self._host,
                    tls=True,
                )
        except TimeoutError:
            raise core.connect_timed_out() from None
        except OSError as error:
            raise core.connect_failed(error) from None

    async def _receive_loop(self, stream: anyio.abc.ByteStream) -> None:
        core = self._core
        now = anyio.current_time
        while True:
            if core.catching_up:
                progress = core.caught_up(await self._read_rooms(), now())
            elif core.paused:
                while not core.resume_due:
                    wakeup = self._reader_wakeup = anyio.Event()
                    await wakeup.wait()
                self._reader_wakeup = None
                progress = core.resume(now())
            else:
                with anyio.move_on_after(core.read_timeout(now())) as waited:
                    try:
                        data = await stream.receive(READ_SIZE)
                    except anyio.EndOfStream:
                        raise core.end_of_stream() from None
                if waited.cancelled_caught:
                    core.read_timed_out(now())
                    progress = 0
                else:
                    progress = core.receive(data, now())
            if progress & DELIVERED:
                self._wake(self._handlers_wakeup)
                self._wake(self._iterator_wakeup)
            if progress & STATE_CHANGED:
                self._notify_state()
            await self._flush()

    async def _read_rooms(self) -> list[Any]:
        """``GET /room`` for a catch-up, tried again as the core says (reading waits)."""
        from jellyfish.api import AsyncRoomApi  # catch_up=True only: it loads httpx

        core = self._core
        while True:
            room_api = AsyncRoomApi(
                server_api_token=self._settings.server_api_token, **self._room_api_options()
            )
            try:
                return await room_api.get_all_rooms()
            except JellyfishError as error:
                delay = core.catch_up_failed(error)
            finally:
                with anyio.CancelScope(shield=True), anyio.move_on_after(core.close_grace):
                    await room_api.aclose()
            await anyio.sleep(delay)

    async def _flush(self) -> None:
        data = self._core.data_to_send()
        if data:
            await self._send(data)

    async def _send(self, data: bytes) -> None:
        """Write within ``timeouts.send``; past it the connection is dropped (it is dead)."""
        stream, lock = self._stream, self._send_lock
        if stream is None or lock is None:
            return  # no connection: what subscriptions need is sent after the next one
        try:
            with anyio.fail_after(self._core.send_timeout):
                async with lock:
                    await stream.send(data)
        except TimeoutError:
            await anyio.aclose_forcefully(stream)
            raise self._core.send_timed_out() from None

    # -- handlers -------------------------------------------------------------------------

    async def _dispatch_loop(self) -> None:
        with anyio.CancelScope() as scope:
            self._dispatch_scope = scope
            await self._dispatch()
        self._dispatch_scope = None
        if scope.cancelled_caught:
            logger.warning(
                "a handler still running %.1f s after close() was cancelled",
                self._core.close_grace,
            )
        self._wake(self._iterator_wakeup)

    def _end_dispatch(self) -> None:
        """Receiving ended: the dispatcher finishes (within the close grace, if closing)."""
        self._wake(self._handlers_wakeup)
        scope = self._dispatch_scope
        if self._closing and scope is not None:
            scope.deadline = anyio.current_time() + self._core.close_grace

    async def _dispatch(self) -> None:
        core = self._core
        handlers_for, isawaitable = core.handlers_for, inspect.isawaitable
        while True:
            item = core.next_for_handlers()
            if item is None:
                if not self._receiving or self._closing:
                    return
                wakeup = self._handlers_wakeup = anyio.Event()
                try:
                    await wakeup.wait()
                finally:
                    self._handlers_wakeup = None
                continue
            event = item.event if isinstance(item, Delivery) else item
            for handler in handlers_for(item):
                try:
                    result = handler(event)
                    if result is not None and isawaitable(result):
                        await result
                except Exception:
                    core.handler_failed(handler)
            if core.handled(item):
                self._wake(self._iterator_wakeup)
            if core.paused and core.resume_due:
                self._wake(self._reader_wakeup)


class _Deliveries:
    """What :meth:`Notifier.deliveries` returns: the notifier's queue, items wrapped."""

    __slots__ = ("_notifier",)

    def __init__(self, notifier: Notifier) -> None:
        self._notifier = notifier

    def __aiter__(self) -> _Deliveries:
        return self

    async def __anext__(self) -> Delivery:
        return wrap(await self._notifier._next_item())
