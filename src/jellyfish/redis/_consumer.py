"""Stream consumers: share the bridge's events among replicas, each event to one of them.

:class:`StreamConsumer` (anyio: asyncio and trio) and :class:`BlockingStreamConsumer`
(threads) are shells around :class:`~jellyfish.redis._consumer_core.ConsumerCore`: they run
its plans on a connection, reconnect when Redis goes away (after the delay the core draws),
and call the handlers of a :class:`~jellyfish.Router` (or hand events to a ``for`` loop).
"""

from __future__ import annotations

import math
import os
import socket
import ssl
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio

from jellyfish._notifications._protocol import ReconnectPolicy
from jellyfish._routing import Delivery, Router
from jellyfish.redis._bridge import DEFAULT_STREAM, _Failure
from jellyfish.redis._connection import DEFAULT_TIMEOUT, AsyncConnection, BlockingConnection
from jellyfish.redis._consumer_core import ConsumerCore, Plan, Request, logger
from jellyfish.redis._errors import RedisConnectionError, RedisTimeoutError, ReplyError
from jellyfish.redis._resp import RedisAddress

__all__ = ["BlockingStreamConsumer", "StreamConsumer"]

_RETRIED = (RedisConnectionError, RedisTimeoutError)


class _Closed(Exception):
    """Internal: the consumer was closed."""


class _ConsumerOptions:
    """The constructor and the options both consumers share.

    Args:
        redis_url: the Redis the bridge writes to (``redis://...``, ``rediss://``,
            ``unix://``).
        group: the consumer group: each event goes to one consumer of the group. Run one
            group per kind of work (e.g. ``"webapp"``); every group gets every event.
        stream: the bridge's stream (default ``jellyfish:events``).
        consumer: this consumer's name in the group (default ``host:pid``). A consumer
            restarted under the same name takes what it held first.
        router: the :class:`~jellyfish.Router` whose handlers :meth:`run` calls.
        visibility_timeout: seconds an event may stay unacknowledged before another
            consumer takes it over (``XAUTOCLAIM``); :meth:`run` keeps the events its
            handler is still working on from being taken.
        batch: entries read per command.
        block: seconds one read waits for new entries.
        start: where a group created by this consumer starts: ``"$"`` (default: the
            entries appended from now on) or ``"0"`` (everything the stream still holds).
        max_deliveries: after this many deliveries without an acknowledgement (its
            handler keeps failing) an entry moves to ``<stream>:dead``; ``None``: never.
        redis_timeout: seconds a Redis command may take (a read adds ``block``).
        ssl_context: for ``rediss://`` (default: the system's CAs).
        retry: the backoff between reconnect attempts while Redis is unreachable.
    """

    def __init__(
        self,
        redis_url: str,
        group: str,
        *,
        stream: str = DEFAULT_STREAM,
        consumer: str | None = None,
        router: Router | None = None,
        visibility_timeout: float = 30.0,
        batch: int = 16,
        block: float = 5.0,
        start: str = "$",
        max_deliveries: int | None = 10,
        redis_timeout: float = DEFAULT_TIMEOUT,
        ssl_context: ssl.SSLContext | None = None,
        retry: ReconnectPolicy | None = None,
    ) -> None:
        if not group:
            raise ValueError("a consumer group name is required")
        if not block > 0 or not math.isfinite(block):
            raise ValueError(f"block must be a positive number of seconds, got {block!r}")
        self._address = RedisAddress.from_url(redis_url)
        self._core = ConsumerCore(
            stream,
            group,
            consumer or f"{socket.gethostname()}:{os.getpid()}",
            visibility_timeout=visibility_timeout,
            batch=batch,
            block=block,
            start=start,
            max_deliveries=max_deliveries,
            retry=retry or ReconnectPolicy(initial_delay=0.2, max_delay=5.0),
        )
        self.router = router
        self._redis_timeout = redis_timeout
        self._ssl_context = ssl_context
        self._closed = False

    def __repr__(self) -> str:
        core = self._core
        return (
            f"{type(self).__name__}(redis={self._address.url!r}, stream={core.stream!r}, "
            f"group={core.group!r}, consumer={core.consumer!r})"
        )

    @property
    def name(self) -> str:
        """The name in the group."""
        return self._core.consumer

    def _router(self) -> Router:
        if self.router is None:
            raise RuntimeError("run() calls the handlers of a Router: pass router=")
        return self.router

    def _timeout(self, request: Request) -> float:
        return self._redis_timeout + (self._core.block_ms / 1000 if request.blocks else 0)

    def _client_name(self) -> str:
        return f"jellyfish-consumer:{self._core.consumer}"


class StreamConsumer(_ConsumerOptions):
    """Reads the bridge's stream as one consumer of a group, on asyncio or trio.

    With a router, :meth:`run` calls the handlers of each event and acknowledges it once
    they returned; an event whose handler raised stays pending and comes back (to this
    consumer or another) after ``visibility_timeout``::

        consumer = StreamConsumer("redis://localhost:6379", "webapp", router=events)
        await consumer.run()  # until cancelled

    Or iterate: ``async for event in consumer`` yields the same typed events as the
    notifiers (``consumer.deliveries()`` yields :class:`~jellyfish.Delivery` envelopes:
    synthetic flag, sequence); each is acknowledged when the loop asks for the next one.
    Leave the loop with ``break`` and :meth:`aclose`. The arguments are in
    ``_ConsumerOptions``.
    """

    _connection: AsyncConnection | None = None

    async def run(self) -> None:
        """Dispatch every event to the router's handlers until cancelled."""
        router = self._router()
        failure = _Failure()
        try:
            async with anyio.create_task_group() as group:
                scope = group.cancel_scope
                group.start_soon(failure.guard, scope, self._keep_alive)
                group.start_soon(failure.guard, scope, self._dispatch, router)
        finally:  # cancelled (or failed): the connection goes with this run
            connection, self._connection = self._connection, None
            if connection is not None:
                await connection.aclose()
        failure.raise_if_failed()

    async def _dispatch(self, router: Router) -> None:
        core = self._core
        while True:
            try:
                delivery = await self._next()
            except _Closed:
                return
            core.handed_out(delivery)
            try:
                await router.adispatch(delivery.event, delivery)
            except Exception:
                core.failed(delivery)
            else:
                core.handled(delivery)

    async def _keep_alive(self) -> None:
        core = self._core
        while True:
            await anyio.sleep(core.keep_alive_interval)
            command = core.keep_alive()
            connection = self._connection
            if command and connection is not None and not connection.broken:
                try:
                    await connection.execute(*command)
                except (*_RETRIED, ReplyError) as error:
                    core.keep_alive_failed(error)

    def __aiter__(self) -> StreamConsumer:
        return self

    async def __anext__(self) -> Any:
        return (await self._next_for_loop()).event

    async def deliveries(self) -> AsyncIterator[Delivery]:
        """Each event in its :class:`~jellyfish.Delivery` (acknowledged on the next one)."""
        while True:
            try:
                yield await self._next_for_loop()
            except StopAsyncIteration:
                return

    async def aclose(self) -> None:
        """Close the connection; a loop over the consumer ends."""
        self._closed = True
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.aclose()

    async def __aenter__(self) -> StreamConsumer:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def _next_for_loop(self) -> Delivery:
        core = self._core
        core.loop_moved_on()
        if self._closed:
            raise StopAsyncIteration
        try:
            delivery = await self._next()
        except _Closed:
            raise StopAsyncIteration from None
        core.loop_took(delivery)
        return delivery

    async def _next(self) -> Delivery:
        core = self._core
        while True:
            try:
                connection = await self._connect()
                delivery = await self._run(connection, core.fetch(anyio.current_time()))
            except _RETRIED as error:
                if self._closed:
                    raise _Closed from None
                await anyio.sleep(core.retry_delay(error))
                continue
            if delivery is not None:
                return delivery

    async def _run(self, connection: AsyncConnection, plan: Plan) -> Delivery | None:
        replies: Any = None
        while True:
            try:
                request = plan.send(replies)
            except StopIteration as done:
                delivery: Delivery | None = done.value
                return delivery
            replies = await connection.pipeline(request.commands, self._timeout(request))

    async def _connect(self) -> AsyncConnection:
        connection = self._connection
        if connection is None or connection.broken:
            if self._closed:
                raise _Closed
            connection = await AsyncConnection.open(
                self._address,
                timeout=self._redis_timeout,
                client_name=self._client_name(),
                ssl_context=self._ssl_context,
            )
            self._connection = connection
        return connection


class BlockingStreamConsumer(_ConsumerOptions):
    """:class:`StreamConsumer` for blocking code (threads, Flask, Django, scripts).

    ``run()`` calls the router's handlers until :meth:`close` (from another thread, a
    handler or a signal handler); ``for event in consumer`` yields events. The
    arguments are in ``_ConsumerOptions``.
    """

    _connection: BlockingConnection | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._stop = threading.Event()
        self._lock = threading.Lock()

    def run(self) -> None:
        """Dispatch every event to the router's handlers until :meth:`close`."""
        router = self._router()
        core = self._core
        keeper = threading.Thread(target=self._keep_alive, name="jellyfish-consumer", daemon=True)
        keeper.start()
        try:
            while True:
                try:
                    delivery = self._next()
                except _Closed:
                    return
                core.handed_out(delivery)
                try:
                    router.dispatch(delivery.event, delivery)
                except Exception:
                    core.failed(delivery)
                else:
                    core.handled(delivery)
        finally:
            self._stop.set()
            keeper.join()
            self._acknowledge_quietly()

    def _keep_alive(self) -> None:
        core = self._core
        while not self._stop.wait(core.keep_alive_interval):
            command = core.keep_alive()
            connection = self._connection
            if command and connection is not None and not connection.broken:
                try:
                    connection.execute(*command)
                except (*_RETRIED, ReplyError) as error:
                    core.keep_alive_failed(error)

    def __iter__(self) -> Iterator[Any]:
        return (delivery.event for delivery in self.deliveries())

    def deliveries(self) -> Iterator[Delivery]:
        """Each event in its :class:`~jellyfish.Delivery` (acknowledged on the next one)."""
        core = self._core
        while True:
            core.loop_moved_on()
            try:
                delivery = self._next()
            except _Closed:
                self._acknowledge_quietly()
                return
            core.loop_took(delivery)
            yield delivery

    def close(self) -> None:
        """Stop: ``run()`` returns and loops end (a read in progress is interrupted)."""
        self._closed = True
        self._stop.set()
        connection = self._connection
        if connection is not None:
            connection.close()

    def __enter__(self) -> BlockingStreamConsumer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _acknowledge_quietly(self) -> None:
        """On the way out: acknowledge what was handled, on a connection of its own."""
        done = list(self._core.unacknowledged)
        if not done:
            return
        try:
            with BlockingConnection.open(self._address, timeout=1.0) as connection:
                connection.execute(*self._core.acknowledge(done), timeout=1.0)
            self._core.acknowledged(done)
        except (*_RETRIED, ReplyError):
            logger.info("%d handled events stay pending (redelivered later)", len(done))

    def _next(self) -> Delivery:
        core = self._core
        while True:
            if self._closed:
                raise _Closed
            try:
                connection = self._connect()
                delivery = self._run(connection, core.fetch(time.monotonic()))
            except _RETRIED as error:
                if self._closed:
                    raise _Closed from None
                self._stop.wait(core.retry_delay(error))
                continue
            if delivery is not None:
                return delivery

    def _run(self, connection: BlockingConnection, plan: Plan) -> Delivery | None:
        replies: Any = None
        while True:
            try:
                request = plan.send(replies)
            except StopIteration as done:
                delivery: Delivery | None = done.value
                return delivery
            replies = connection.pipeline(request.commands, self._timeout(request))

    def _connect(self) -> BlockingConnection:
        with self._lock:
            connection = self._connection
            if connection is None or connection.broken:
                connection = BlockingConnection.open(
                    self._address,
                    timeout=self._redis_timeout,
                    client_name=self._client_name(),
                    ssl_context=self._ssl_context,
                )
                self._connection = connection
                if self._closed:  # close() ran while we connected
                    connection.close()
                    raise _Closed
            return connection
