"""The anyio notifier: server notifications over the WebSocket, on asyncio or trio.

WebSocket framing is wsproto, driven over an anyio TCP (or TLS) stream; the
notification protocol is :class:`~jellyfish._notifications._protocol.NotifierProtocol`.
"""

from __future__ import annotations

import contextlib
import inspect
import math
import ssl
from collections import deque
from collections.abc import AsyncIterator, Iterable
from types import TracebackType
from typing import Any

import anyio
import anyio.abc
import anyio.lowlevel
from wsproto import ConnectionType, WSConnection
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
from jellyfish._notifications._protocol import (
    SERVER_WEBSOCKET_PATH,
    ReconnectPolicy,
    Subscription,
    Timeouts,
)
from jellyfish.errors import (
    DecodeError,
    NotifierClosedError,
    NotifierError,
    NotifierTimeoutError,
    ProtocolError,
)
from jellyfish.events._protos.jellyfish.server_notifications_pb2 import ServerMessage

__all__ = ["Notifier"]

_METRICS_REPORT = ServerMessage.MetricsReport
_BYTES_MESSAGE = BytesMessage


class _Closing(Exception):
    """Internal: the user closed the notifier."""


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

        async with Notifier("localhost:5002", "development") as notifier:
            async for event in notifier:
                ...

    Delivery: every notification received while connected reaches every matching
    handler, in order, and (see ``queue_events``) the iterator. Handlers run in a
    dispatcher task, so a slow handler does not stall ping answers.

    Args:
        server_address: ``host:port`` of Jellyfish, without a scheme.
        server_api_token: the server API token (``JF_SERVER_API_TOKEN``).
        secure: ``True`` for ``wss://``.
        subscribe: what to subscribe to, e.g. ``("server_notifications", "metrics")``.
            By default: the kinds that have handlers when connecting (as in 0.4.0), or
            server notifications when there are none.
        reconnect: the :class:`ReconnectPolicy` (default: exponential backoff with
            jitter, forever, after a first successful connection). ``NO_RECONNECT``
            disables reconnecting.
        timeouts: connect/auth/subscribe/ping :class:`Timeouts`.
        ssl_context: the TLS context for ``secure=True`` (default: system CAs).
        queue_events: whether events go to the ``async for`` queue: ``None`` (default)
            queues the kinds that have no handler; ``True`` all; ``False`` none. The
            queue is unbounded: iterate it if you enable it.
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
        self._running = False
        self._closing = False
        self._failure: BaseException | None = None
        self._finished = False
        self._state_event: anyio.Event | None = None
        self._pending: deque[Any] = deque()
        self._pending_wakeup: anyio.Event | None = None
        self._receiving = False
        self._queue: deque[Any] = deque()
        self._queue_wakeup: anyio.Event | None = None
        self._connected = False
        self._ws: WSConnection | None = None
        self._stream: anyio.abc.ByteStream | None = None
        self._send_lock: anyio.Lock | None = None
        self._scope: anyio.CancelScope | None = None
        self._task_group: anyio.abc.TaskGroup | None = None
        self._handshake_deadline = math.inf
        self._last_error: NotifierError | None = None

    # -- public API ---------------------------------------------------------------

    @property
    def ready(self) -> bool:
        """Connected, authenticated and every subscription acknowledged."""
        return self._connected and self._protocol.ready

    async def connect(self) -> None:
        """Connect, authenticate, subscribe, and deliver notifications until closed.

        Runs until :meth:`close` (then returns) or until the connection fails for good
        (then raises): a rejected token raises :class:`jellyfish.errors.InvalidTokenError`
        at once; a failing first connection raises (unless
        ``ReconnectPolicy.retry_initial``); later drops are retried by the reconnect
        policy, and raise once it gives up. Run it as a task
        (``asyncio.create_task(notifier.connect())`` or ``task_group.start_soon``).
        """
        self._closing = False
        await self._connect()

    async def _connect(self) -> None:
        if self._running:
            raise RuntimeError("this Notifier is already connecting or connected")
        self._running = True
        self._failure = None
        self._finished = False
        self._last_error = None
        self._send_lock = anyio.Lock()
        self._prepare_subscriptions()
        failure: NotifierError | None = None
        try:
            async with anyio.create_task_group() as group:
                self._receiving = True
                group.start_soon(self._dispatch_loop)
                try:
                    with anyio.CancelScope() as self._scope:
                        if self._closing:
                            self._scope.cancel()
                        await self._connection_loop()
                except NotifierError as error:
                    failure = error
                finally:
                    self._scope = None
                    self._receiving = False
                    self._wake_dispatcher()
        finally:
            self._running = False
            self._connected = False
            self._finished = True
            if failure is None and not self._closing:
                failure = NotifierClosedError("the notifier stopped")
            self._failure = failure
            self._notify_state()
            self._wake_iterator()
        if failure is not None:
            raise failure

    async def wait_ready(self, timeout: float | None = None) -> bool:  # noqa: ASYNC109
        """Wait until connected, authenticated and subscribed; returns ``True``.

        Raises instead of hanging: the error that made :meth:`connect` fail (e.g.
        :class:`jellyfish.errors.InvalidTokenError`), :class:`NotifierClosedError` if
        the notifier was closed, ``TimeoutError`` after ``timeout`` seconds.
        """
        with anyio.fail_after(timeout):
            while True:
                if self.ready:
                    return True
                if self._finished or self._failure is not None:
                    raise self._failure or NotifierClosedError("the notifier is closed")
                if self._state_event is None:
                    self._state_event = anyio.Event()
                await self._state_event.wait()

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
        frames = self._protocol.subscribe(kind)
        if not self._connected:
            return
        if frames:
            self._handshake_deadline = min(
                self._handshake_deadline, anyio.current_time() + self._timeouts.subscribe
            )
            await self._send_frames(frames)
        with anyio.fail_after(self._timeouts.subscribe):
            while kind not in self._protocol.acknowledged:
                if self._finished:
                    raise self._failure or NotifierClosedError("the notifier is closed")
                if self._state_event is None:
                    self._state_event = anyio.Event()
                await self._state_event.wait()

    async def close(self) -> None:
        """Close the connection and stop: :meth:`connect` returns, iterators end.

        Notifications already received are still delivered first.
        """
        self._closing = True
        if self._scope is not None:
            self._scope.cancel()
        self._notify_state()
        await anyio.lowlevel.checkpoint()

    aclose = close

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
        return self

    async def __anext__(self) -> Notification | Reconnected:
        """The next event, in arrival order; ends when the notifier closes."""
        queue = self._queue
        while not queue:
            if self._finished and not self._receiving and not self._pending:
                if self._failure is not None and not self._closing:
                    raise self._failure
                raise StopAsyncIteration
            wakeup = self._queue_wakeup = anyio.Event()
            await wakeup.wait()
        await anyio.lowlevel.checkpoint_if_cancelled()
        return queue.popleft()  # type: ignore[no-any-return]

    # -- internals ----------------------------------------------------------------

    async def _exit_group(self) -> None:
        group, self._task_group = self._task_group, None
        await self.close()
        if group is not None:
            await group.__aexit__(None, None, None)

    async def _run_in_background(self) -> None:
        with contextlib.suppress(NotifierError):  # recorded; wait_ready and iterators raise it
            await self._connect()

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

    async def _connection_loop(self) -> None:
        attempt = 0
        self._last_ready_connection = 0
        first_connection = self._protocol.connections + 1
        while not self._closing:
            try:
                await self._run_connection()
            except _Closing:
                return
            except NotifierError as error:
                failure: NotifierError = error
                retryable = isinstance(error, NotifierClosedError | NotifierTimeoutError)
            except OSError as error:
                failure = NotifierClosedError(f"connection to {self.url} failed: {error!r}")
                retryable = True
            else:  # pragma: no cover - _run_connection only ends by raising
                return
            finally:
                self._connected = False
                self._notify_state()
            if self._closing:
                return
            if self._last_ready_connection == self._protocol.connections:
                attempt = 0  # this connection had been ready: start the backoff afresh
            self._last_error = failure
            ever_ready = self._last_ready_connection >= first_connection
            if not retryable or not self._reconnect.should_retry(attempt):
                raise failure
            if not ever_ready and not self._reconnect.retry_initial:
                raise failure
            delay = self._reconnect.delay(attempt)
            attempt += 1
            logger.warning("notifier connection lost (%s); reconnecting in %.2fs", failure, delay)
            await anyio.sleep(delay)

    _last_ready_connection = 0

    async def _run_connection(self) -> None:
        """One connection; always ends by raising (``_Closing`` when closed by the user)."""
        stream: anyio.abc.ByteStream
        try:
            with anyio.fail_after(self._timeouts.connect):
                if self._secure:
                    context = self._ssl_context or ssl.create_default_context()
                    stream = await anyio.connect_tcp(
                        self._host, self._port, ssl_context=context, tls_hostname=self._host
                    )
                else:
                    stream = await anyio.connect_tcp(self._host, self._port)
        except TimeoutError:
            raise NotifierTimeoutError(f"timed out connecting to {self.url}") from None
        ws = WSConnection(ConnectionType.CLIENT)
        self._stream = stream
        self._ws = ws
        try:
            await stream.send(
                ws.send(Request(host=self._host_header, target=SERVER_WEBSOCKET_PATH))
            )
            await self._receive_loop(stream, ws)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError) as error:
            raise NotifierClosedError(f"the connection broke: {error!r}") from None
        finally:
            self._stream = None
            with anyio.CancelScope(shield=True), anyio.move_on_after(1.0):
                try:
                    if ws.state.name == "OPEN":
                        await stream.send(ws.send(CloseConnection(code=1000, reason="")))
                except Exception:
                    pass
                await stream.aclose()

    async def _receive_loop(self, stream: anyio.abc.ByteStream, ws: WSConnection) -> None:
        protocol = self._protocol
        receive = protocol.receive
        pending = self._pending
        timeouts = self._timeouts
        now = anyio.current_time
        deadline = now() + timeouts.connect
        self._handshake_deadline = math.inf
        accepted = False
        ping_sent = False
        fragments: list[bytes | bytearray] = []
        while True:
            # How long may the next read take?
            if not accepted:
                limit = deadline
            elif not protocol.ready:
                limit = self._handshake_deadline
            else:
                limit = math.inf
            if accepted:
                idle = timeouts.ping_timeout if ping_sent else timeouts.ping_interval
                limit = min(limit, now() + idle)
            with anyio.move_on_after(max(0.0, limit - now())) as scope:
                try:
                    data = await stream.receive(65536)
                except anyio.EndOfStream:
                    raise NotifierClosedError("the server closed the TCP connection") from None
                except anyio.BrokenResourceError as error:
                    raise NotifierClosedError(f"the connection broke: {error!r}") from None
            if scope.cancelled_caught:
                if self._closing:
                    raise _Closing
                if not accepted:
                    raise NotifierTimeoutError("timed out waiting for the WebSocket upgrade")
                if not protocol.authenticated:
                    raise NotifierTimeoutError("timed out waiting for 'authenticated'")
                if not protocol.ready and now() >= self._handshake_deadline:
                    raise NotifierTimeoutError("timed out waiting for 'subscribe_response'")
                if ping_sent:
                    raise NotifierTimeoutError("no answer to ping: the connection is dead")
                ping_sent = True
                await self._send_raw(ws.send(Ping(payload=b"jf")))
                continue
            ping_sent = False
            try:
                ws.receive_data(data)
                events = ws.events()
                for event in events:
                    if type(event) is _BYTES_MESSAGE:
                        payload = event.data
                        if not event.message_finished:
                            fragments.append(payload)
                            continue
                        if fragments:
                            fragments.append(payload)
                            payload = b"".join(fragments)
                            fragments.clear()
                        try:
                            notification = receive(payload)
                        except DecodeError as error:
                            logger.error("dropping an undecodable frame: %s", error)
                            continue
                        if notification is not None:
                            pending.append(notification)
                        else:
                            await self._after_handshake_message()
                    elif isinstance(event, Ping):
                        await self._send_raw(ws.send(event.response()))
                    elif isinstance(event, CloseConnection):
                        with contextlib.suppress(Exception):
                            await self._send_raw(ws.send(event.response()))
                        failure, _ = protocol.connection_lost(event.code, event.reason or "")
                        raise failure
                    elif isinstance(event, AcceptConnection):
                        accepted = True
                        self._connected = True
                        self._handshake_deadline = now() + timeouts.auth
                        await self._send_frames(protocol.connection_made())
                    elif isinstance(event, RejectConnection | RejectData):
                        status = getattr(event, "status_code", 0)
                        raise NotifierClosedError(
                            f"the server refused the WebSocket upgrade (HTTP {status})"
                        )
                    elif isinstance(event, TextMessage):
                        raise ProtocolError("the server sent a text frame")
            except (LocalProtocolError, RemoteProtocolError) as error:
                raise NotifierClosedError(f"WebSocket protocol error: {error}") from None
            finally:
                if pending:
                    self._wake_dispatcher()

    async def _after_handshake_message(self) -> None:
        protocol = self._protocol
        frames = protocol.data_to_send()
        if frames:
            self._handshake_deadline = anyio.current_time() + self._timeouts.subscribe
            await self._send_frames(frames)
        if protocol.ready:
            self._handshake_deadline = math.inf
            if self._last_ready_connection != protocol.connections:
                self._last_ready_connection = protocol.connections
                if protocol.connections > 1 and self._last_error is not None:
                    self._pending.append(Reconnected(protocol.connections, self._last_error))
                    self._wake_dispatcher()
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
        pending = self._pending
        while True:
            while pending:
                await self._deliver(pending.popleft())
            if not self._receiving:
                if pending:
                    continue
                break
            wakeup = self._pending_wakeup = anyio.Event()
            if pending or not self._receiving:
                continue
            await wakeup.wait()
        self._wake_iterator()

    async def _deliver(self, event: Any) -> None:
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
                if result is not None and inspect.isawaitable(result):
                    await result
            except Exception:
                logger.exception("notification handler %r failed", handler)
        queue_events = self._queue_events
        if queue_events or (queue_events is None and self._queues(event)):
            self._queue.append(event)
            self._wake_iterator()
