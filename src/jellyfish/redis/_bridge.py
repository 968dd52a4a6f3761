"""The bridge: Jellyfish's notifications, caught up and in order, into a Redis stream.

One bridge leads at a time, through a lease in Redis; the others stand by. The leader:

1. loads the state it (or the leader before it) last published (``S:state``);
2. connects a :class:`jellyfish.Notifier` and waits until it is subscribed;
3. catches up: reads ``GET /room`` (retrying transport errors) and appends the events that
   take the published state to it, marked synthetic;
4. appends every notification, in order, in batches; after each ``Reconnected`` it catches
   up again, and every ``catch_up_interval`` when nothing else made it catch up.

With webhooks as the source (``webhooks="[HOST]:PORT"``) every bridge receives webhooks
into the inbox stream ``S:inbox`` (:mod:`jellyfish.redis._inbox`), and the leader, instead
of steps 2 to 4, publishes the inbox from the cursor stored with its last append: first
what the inbox holds, then a catch-up, then each webhook as it arrives, catching up again
at each gap marker (a webhook some bridge had to refuse). Only rooms created with a
``webhook_url`` send webhooks, so only those are caught up.

Every append is one Lua script that checks the lease (the fencing token is part of its
value) before it touches anything, and updates the sequence, the stream and the published
state together: a bridge that lost the lease (paused, partitioned, slow) appends nothing,
and the state in Redis is always what a consumer of the whole stream holds. Whatever goes
wrong (Redis or Jellyfish unreachable, the lease lost), the bridge drops what it holds in
memory and starts again from step 1, so a gap always ends with a catch-up.
"""

from __future__ import annotations

import logging
import math
import os
import socket
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import anyio
import anyio.abc
from anyio.streams.memory import MemoryObjectReceiveStream

from jellyfish._catch_up import ServerState
from jellyfish._notifications._protocol import ReconnectPolicy
from jellyfish._webhook_server import WebhookServer, parse_listen_address
from jellyfish.errors import JellyfishError, ServerError, ServiceUnavailableError, TransportError
from jellyfish.events._protos.jellyfish.server_notifications_pb2 import ServerMessage
from jellyfish.redis._connection import DEFAULT_TIMEOUT, AsyncConnection
from jellyfish.redis._entries import (
    ACQUIRE,
    APPEND,
    GAP,
    RELEASE,
    RENEW,
    Keys,
    decode_inbox_entry,
    entry_args,
)
from jellyfish.redis._errors import LeaseLostError, RedisError, ReplyError
from jellyfish.redis._inbox import WebhookInbox
from jellyfish.redis._resp import RedisAddress, Script

__all__ = ["Bridge", "BridgeStats"]

logger = logging.getLogger("jellyfish.bridge")

DEFAULT_STREAM = "jellyfish:events"
MAX_BATCH = 256
"""Events per append script (a script blocks Redis while it runs: keep it short)."""

_ACQUIRE, _RENEW, _RELEASE, _APPEND = (
    Script(ACQUIRE),
    Script(RENEW),
    Script(RELEASE),
    Script(APPEND),
)
_NOT_PUBLISHED = (ServerMessage.MetricsReport,)
_INBOX_BLOCK = 1.0
"""Seconds one read of the inbox waits for webhooks."""


class _CatchUpNow:
    """Queued among the events: catch up at this point (``why`` goes to the log)."""

    def __init__(self, why: str) -> None:
        self.why = why


def _publishable(event: Any) -> bool:
    return not isinstance(event, _NOT_PUBLISHED)


def _has_webhook(room: Any) -> bool:
    """Whether a room (of ``GET /room``) was created with a ``webhook_url``."""
    url = getattr(getattr(room, "config", None), "webhook_url", None)
    return isinstance(url, str) and bool(url)


@dataclass(frozen=True)
class BridgeStats:
    """A snapshot of a bridge's counters.

    Attributes:
        role: ``"starting"``, ``"standby"`` or ``"leader"``.
        fence: the fencing token of the current (or last) lease, ``None`` before the first.
        sequence: the last sequence this bridge appended (0 before the first).
        appended: entries appended by this bridge, synthesized ones included.
        synthesized: entries a catch-up synthesized.
        catch_ups: catch-ups run (each leadership starts with one; one per ``Reconnected``
            or gap marker, one every ``catch_up_interval`` otherwise).
        takeovers: times this bridge became the leader.
        webhooks_received: webhooks this bridge stored in the inbox (leader or standby).
        webhooks_refused: webhooks this bridge answered with ``503`` (Redis did not take
            them).
    """

    role: str
    fence: int | None
    sequence: int
    appended: int
    synthesized: int
    catch_ups: int
    takeovers: int
    webhooks_received: int = 0
    webhooks_refused: int = 0


class _Failure:
    """The first error of the tasks of a group (so that no ExceptionGroup escapes)."""

    def __init__(self) -> None:
        self.error: BaseException | None = None

    async def guard(
        self, scope: anyio.CancelScope, function: Callable[..., Any], *args: Any
    ) -> None:
        try:
            await function(*args)
        except Exception as error:
            if self.error is None:
                self.error = error
            scope.cancel()

    def raise_if_failed(self) -> None:
        if self.error is not None:
            raise self.error


class Bridge:
    """Publishes Jellyfish's server notifications to a Redis stream, with catch-up and HA.

    Run two or more (any number of processes or hosts): one leads, the others take over
    within ``lease`` seconds when it dies, catching up first. Stop one by cancelling
    :meth:`run`; a leader that stops gives its lease up, so a standby takes over at once.

    The source is Jellyfish's server WebSocket, or, with ``webhooks``, the webhooks that
    Jellyfish POSTs to the bridges: every bridge (leader or standby) stores each webhook in
    Redis before it answers ``204``, and the leader publishes them in order. Use one source
    for all the bridges of a stream.

    Args:
        redis_url: ``redis://[[user]:password@]host[:port][/db]``, ``rediss://`` (TLS) or
            ``unix:///path``.
        stream: the stream's key; the bridge also uses ``<stream>:lease``, ``:fence``,
            ``:seq`` and ``:state``.
        server_address, server_api_token, secure: the Jellyfish to follow (default:
            ``JELLYFISH_ADDRESS``, ``JELLYFISH_TOKEN``, ``JELLYFISH_SECURE``, as the
            notifiers).
        maxlen: the stream is trimmed to about this many entries (``XADD MAXLEN ~``).
        lease: seconds a leader's lease lasts without renewal (renewed every third of it);
            the longest a standby waits after a leader died.
        name: this bridge's name in the lease and the logs (default ``host:pid``).
        redis_timeout: seconds a Redis command may take.
        ssl_context: for ``rediss://`` (default: the system's CAs).
        retry: the backoff between attempts after a failure (Redis or Jellyfish down).
        webhooks: ``"[HOST]:PORT"`` to take the events from webhooks received there (no
            host: every IPv4 interface; port 0: a free one, see :attr:`webhook_url`)
            instead of the WebSocket. Create the rooms with a ``webhook_url`` that reaches
            the bridges (a load balancer in front of them); only those rooms are published.
        catch_up_interval: seconds after which a leader catches up when nothing else made
            it (a safety net for what no source reports: a webhook that reached no bridge,
            a Jellyfish restart seen only through webhooks); ``None``: never.
    """

    def __init__(
        self,
        redis_url: str = "redis://localhost:6379",
        *,
        stream: str = DEFAULT_STREAM,
        server_address: str | None = None,
        server_api_token: str | None = None,
        secure: bool | None = None,
        maxlen: int = 100_000,
        lease: float = 5.0,
        name: str | None = None,
        redis_timeout: float = DEFAULT_TIMEOUT,
        ssl_context: ssl.SSLContext | None = None,
        retry: ReconnectPolicy | None = None,
        webhooks: str | None = None,
        catch_up_interval: float | None = 60.0,
    ) -> None:
        from jellyfish._settings import resolve_settings

        if not lease > 0 or not math.isfinite(lease):
            raise ValueError(f"lease must be a positive number of seconds, got {lease!r}")
        if catch_up_interval is not None and not catch_up_interval > 0:
            raise ValueError(
                f"catch_up_interval must be a positive number of seconds or None, "
                f"got {catch_up_interval!r}"
            )
        self._listen = parse_listen_address(webhooks) if webhooks is not None else None
        if maxlen < 1:
            raise ValueError(f"maxlen must be at least 1, got {maxlen!r}")
        self._address = RedisAddress.from_url(redis_url)
        self._keys = Keys(stream)
        self._settings = resolve_settings(server_address, server_api_token, secure)
        self._maxlen = maxlen
        self._lease_ms = max(1, round(lease * 1000))
        self._name = name or f"{socket.gethostname()}:{os.getpid()}"
        self._redis_timeout = redis_timeout
        self._ssl_context = ssl_context
        self._retry = retry or ReconnectPolicy(initial_delay=0.2, max_delay=5.0)
        self._role = "starting"
        self._fence: int | None = None
        self._sequence = 0
        self._appended = 0
        self._synthesized = 0
        self._catch_ups = 0
        self._takeovers = 0
        self._catch_up_interval = catch_up_interval
        self._inbox: WebhookInbox | None = None
        self._webhook_url: str | None = None

    def __repr__(self) -> str:
        source = "" if self._listen is None else ", source='webhooks'"
        return (
            f"Bridge(name={self._name!r}, redis={self._address.url!r}, "
            f"stream={self._keys.stream!r}{source}, role={self._role!r})"
        )

    @property
    def webhook_url(self) -> str | None:
        """``http://host:port`` where this bridge receives webhooks, once :meth:`run` listens."""
        return self._webhook_url

    @property
    def name(self) -> str:
        """The name in the lease value and the logs."""
        return self._name

    @property
    def leading(self) -> bool:
        """Whether this bridge holds the lease now (as far as it knows)."""
        return self._role == "leader"

    @property
    def stats(self) -> BridgeStats:
        """Counters (a snapshot)."""
        inbox = self._inbox
        return BridgeStats(
            self._role,
            self._fence,
            self._sequence,
            self._appended,
            self._synthesized,
            self._catch_ups,
            self._takeovers,
            inbox.received if inbox is not None else 0,
            inbox.refused if inbox is not None else 0,
        )

    async def run(self) -> None:
        """Stand by, lead, catch up and publish until cancelled (and receive webhooks).

        Never returns on its own: failures (Redis or Jellyfish unreachable, the lease
        lost) are logged on ``jellyfish.bridge`` and retried with backoff. Raises only
        for what retrying cannot fix: a wrong Jellyfish token
        (:class:`jellyfish.errors.InvalidTokenError`), a Redis that refuses the login,
        or (``OSError``) a webhook address that cannot be listened on.
        """
        if self._listen is None:
            await self._lead_or_stand_by()
            return
        inbox = WebhookInbox(
            self._address,
            self._keys,
            self._name,
            self._maxlen,
            lambda: self._role,
            _publishable,
            self._ssl_context,
        )
        host, port = self._listen
        server = await WebhookServer.listen(host, port, inbox.on_post, inbox.on_get)
        self._inbox = inbox
        self._webhook_url = server.url
        logger.info("bridge %s: receiving webhooks on %s", self._name, server.url)
        failure = _Failure()
        try:
            async with anyio.create_task_group() as group:
                scope = group.cancel_scope
                group.start_soon(failure.guard, scope, server.serve)
                group.start_soon(failure.guard, scope, inbox.mark_gaps, self._retry)
                group.start_soon(failure.guard, scope, self._lead_or_stand_by)
        finally:
            await server.aclose()
            await inbox.aclose()
        failure.raise_if_failed()

    async def _lead_or_stand_by(self) -> None:
        from jellyfish.errors import InvalidTokenError

        backoff = self._retry.backoff()
        while True:
            try:
                await self._session()
            except LeaseLostError as error:
                logger.warning("bridge %s: %s; standing by", self._name, error)
                backoff = self._retry.backoff()
                continue
            except InvalidTokenError:
                raise
            except (RedisError, JellyfishError, OSError) as error:
                delay = next(backoff)
                logger.warning(
                    "bridge %s: %s; trying again in %.1f s", self._name, _describe(error), delay
                )
                self._role = "starting"
                await anyio.sleep(delay)

    # -- one session: a connection to Redis, standby, leadership ----------------------------

    async def _session(self) -> None:
        async with await self._open("jellyfish-bridge") as redis:
            fence = await self._acquire(redis)
            self._fence = fence
            self._role = "leader"
            self._takeovers += 1
            lease_value = f"{fence}:{self._name}"
            logger.info("bridge %s: leading (fence %d)", self._name, fence)
            try:
                failure = _Failure()
                async with anyio.create_task_group() as group:
                    scope = group.cancel_scope
                    group.start_soon(failure.guard, scope, self._keep_lease, redis, lease_value)
                    group.start_soon(failure.guard, scope, self._publish, redis, lease_value)
                failure.raise_if_failed()
            finally:
                self._role = "standby"
                with anyio.CancelScope(shield=True):
                    await self._release(lease_value)

    async def _open(self, role: str) -> AsyncConnection:
        """A connection to Redis, named ``role:name`` in ``CLIENT LIST``."""
        return await AsyncConnection.open(
            self._address,
            timeout=self._redis_timeout,
            client_name=f"{role}:{self._name}",
            ssl_context=self._ssl_context,
        )

    async def _acquire(self, redis: AsyncConnection) -> int:
        """Wait until this bridge holds the lease; its fencing token."""
        keys = self._keys
        announced = False
        while True:
            fence = await redis.run_script(
                _ACQUIRE, [keys.lease, keys.fence], [self._name, self._lease_ms]
            )
            if fence is not None:
                return int(fence)
            if not announced:
                logger.info("bridge %s: standing by", self._name)
                announced = True
            self._role = "standby"
            # wake up when the leader's lease would expire, or a third of a lease from now
            remaining_ms = await redis.execute("PTTL", keys.lease)
            wait_ms = min(self._lease_ms / 3, max(int(remaining_ms), 10))
            await anyio.sleep(wait_ms / 1000)

    async def _keep_lease(self, redis: AsyncConnection, lease_value: str) -> None:
        while True:
            await anyio.sleep(self._lease_ms / 3000)
            renewed = await redis.run_script(
                _RENEW, [self._keys.lease], [lease_value, self._lease_ms]
            )
            if renewed != 1:
                raise LeaseLostError("the lease expired or another bridge holds it")

    async def _release(self, lease_value: str) -> None:
        """Give the lease up (best effort, on a connection of its own: ours may be broken)."""
        try:
            with anyio.fail_after(1.0):
                async with await AsyncConnection.open(self._address, timeout=1.0) as redis:
                    await redis.run_script(_RELEASE, [self._keys.lease], [lease_value], 1.0)
        except (RedisError, TimeoutError, OSError):
            logger.info("bridge %s: could not give the lease up; it expires", self._name)

    # -- leadership: catch up, then publish ---------------------------------------------------

    async def _publish(self, redis: AsyncConnection, lease_value: str) -> None:
        from jellyfish import AsyncRoomApi

        settings = self._settings
        state = await self._load_state(redis)
        room_filter = None if self._listen is None else _has_webhook
        publisher = _Publisher(self, redis, lease_value, state, room_filter)
        async with AsyncRoomApi(
            settings.server_address, settings.server_api_token, settings.secure
        ) as room_api:
            if self._listen is None:
                await self._follow_websocket(publisher, room_api)
            else:
                await self._follow_inbox(publisher, room_api)

    async def _follow_websocket(self, publisher: _Publisher, room_api: Any) -> None:
        from jellyfish import Notifier, Subscription

        settings = self._settings
        notifier = Notifier(
            settings.server_address,
            settings.server_api_token,
            settings.secure,
            subscribe=[Subscription.SERVER_NOTIFICATIONS],
            queue_events=True,
            reconnect=ReconnectPolicy(initial_delay=0.2, max_delay=5.0, retry_initial=True),
        )
        async with notifier:  # connected, authenticated and subscribed
            await _follow(notifier, room_api, publisher)

    async def _follow_inbox(self, publisher: _Publisher, room_api: Any) -> None:
        """Publish the inbox.

        On a connection of its own: its blocking reads would delay the lease's renewals on
        the leader's.
        """
        async with await self._open("jellyfish-bridge-inbox") as inbox:
            send, receive = anyio.create_memory_object_stream[Any](MAX_BATCH)
            failure = _Failure()
            async with anyio.create_task_group() as group:
                scope = group.cancel_scope
                group.start_soon(failure.guard, scope, self._read_inbox, inbox, send)
                group.start_soon(failure.guard, scope, _append_all, publisher, receive, room_api)
            failure.raise_if_failed()
        raise RedisError("the inbox stopped")

    async def _read_inbox(
        self, redis: AsyncConnection, send: anyio.abc.ObjectSendStream[Any]
    ) -> None:
        """Queue the inbox from the published cursor.

        First what the inbox holds, then a catch-up, then each entry as it arrives (a gap
        marker queues a catch-up).
        """
        keys = self._keys
        async with send:
            cursor = (await redis.execute("GET", keys.inbox_cursor) or b"0-0").decode()
            last = await redis.execute("XREVRANGE", keys.inbox, "+", "-", "COUNT", 1)
            held = last[0][0].decode() if last else cursor
            # what arrived before this leadership first, then the catch-up: only a gapless
            # run of events may be replayed over a later snapshot, and webhooks may have
            # been lost before now (while no bridge ran), unmarked
            while _entry_key(cursor) < _entry_key(held):
                reply = await redis.execute(
                    "XRANGE", keys.inbox, f"({cursor}", held, "COUNT", MAX_BATCH
                )
                if not reply:
                    break
                cursor = await _queue_inbox(reply, send, self._name)
            await send.send((_CatchUpNow("takeover"), None))
            block_ms = round(_INBOX_BLOCK * 1000)
            while True:
                reply = await redis.execute(
                    "XREAD", "COUNT", MAX_BATCH, "BLOCK", block_ms, "STREAMS", keys.inbox, cursor,
                    timeout=self._redis_timeout + _INBOX_BLOCK,
                )  # fmt: skip
                if reply:
                    cursor = await _queue_inbox(reply[0][1], send, self._name)

    async def _load_state(self, redis: AsyncConnection) -> ServerState:
        """The state published so far (by this bridge or any before it)."""
        state = ServerState()
        flat = await redis.execute("HGETALL", self._keys.state)
        for room_id, text in zip(flat[::2], flat[1::2], strict=True):
            state.room_from_json(room_id.decode(), text)
        return state


def _entry_key(entry_id: str) -> tuple[int, int]:
    milliseconds, _, sequence = entry_id.partition("-")
    return int(milliseconds), int(sequence or 0)


async def _queue_inbox(entries: Any, send: anyio.abc.ObjectSendStream[Any], name: str) -> str:
    """Queue inbox entries as ``(event or catch-up, entry id)``; the last id."""
    from jellyfish.errors import DecodeError

    entry_id = ""
    for raw_id, fields in entries:
        entry_id = raw_id.decode()
        try:
            event = decode_inbox_entry(raw_id, fields)
        except DecodeError as error:
            logger.error("bridge %s: skipping inbox entry %s: %s", name, entry_id, error)
            event = None
        if event is GAP:
            by = dict(zip(fields[::2], fields[1::2], strict=False)).get(b"by", b"?")
            event = _CatchUpNow(f"a webhook refused by {by.decode(errors='replace')}")
        await send.send((event, entry_id))
    return entry_id


async def _follow(notifier: Any, room_api: Any, publisher: _Publisher) -> None:
    # subscribed first, then GET /room: whatever happens in between is both in the
    # snapshot and in the notifier's queue, and appending it again is harmless
    await publisher.catch_up(room_api, "takeover")
    send, receive = anyio.create_memory_object_stream[Any](MAX_BATCH)
    failure = _Failure()
    async with anyio.create_task_group() as group:
        scope = group.cancel_scope
        group.start_soon(failure.guard, scope, _forward, notifier, send)
        group.start_soon(failure.guard, scope, _append_all, publisher, receive, room_api)
    failure.raise_if_failed()
    raise JellyfishError("the notifier stopped")


async def _forward(notifier: Any, send: anyio.abc.ObjectSendStream[Any]) -> None:
    from jellyfish.events import Reconnected

    async with send:
        async for event in notifier:
            if isinstance(event, Reconnected):
                event = _CatchUpNow("reconnected")
            await send.send((event, None))


async def _append_all(
    publisher: _Publisher, receive: MemoryObjectReceiveStream[Any], room_api: Any
) -> None:
    """Append what the source queued, in batches of what is waiting; catch up when asked to.

    The source queues ``(event, inbox entry id or None)``; an event may be a
    :class:`_CatchUpNow` (or ``None``: an inbox entry to skip). The inbox cursor is stored
    with the batch its entries are in.
    """
    async with receive:
        while True:
            item: Any = None
            with anyio.move_on_after(publisher.until_next_catch_up()):
                try:
                    item = await receive.receive()
                except anyio.EndOfStream:
                    return
            if item is None:
                await publisher.catch_up(room_api, "periodic")
                continue
            batch: list[Any] = []
            cursor: str | None = None
            while True:
                event, entry_id = item
                if isinstance(event, _CatchUpNow):
                    await publisher.append(batch, cursor=cursor)
                    batch, cursor = [], None
                    await publisher.catch_up(room_api, event.why, cursor=entry_id)
                else:
                    if event is not None and _publishable(event):
                        batch.append(event)
                    cursor = entry_id or cursor
                if len(batch) >= MAX_BATCH:
                    break
                try:
                    item = receive.receive_nowait()
                except (anyio.WouldBlock, anyio.EndOfStream):
                    break
            await publisher.append(batch, cursor=cursor)


class _Publisher:
    """Appends for one leadership: the state it publishes and its lease."""

    def __init__(
        self,
        bridge: Bridge,
        redis: AsyncConnection,
        lease_value: str,
        state: ServerState,
        room_filter: Callable[[Any], bool] | None = None,
    ) -> None:
        self._bridge = bridge
        self._redis = redis
        self._lease_value = lease_value
        self._state = state
        self._fence = lease_value.split(":", 1)[0]
        self._room_filter = room_filter
        self._last_catch_up = anyio.current_time()

    def until_next_catch_up(self) -> float:
        """Seconds until a periodic catch-up is due (``inf``: never)."""
        interval = self._bridge._catch_up_interval
        if interval is None:
            return math.inf
        return max(0.0, self._last_catch_up + interval - anyio.current_time())

    async def catch_up(self, room_api: Any, why: str, cursor: str | None = None) -> None:
        """Append what takes the published state to ``GET /room`` (and store ``cursor``)."""
        rooms = await _all_rooms(room_api, self._bridge._retry)
        if self._room_filter is not None:
            rooms = [room for room in rooms if self._room_filter(room)]
        deliveries = self._state.catch_up(ServerState.from_rooms(rooms))
        events = [delivery.event for delivery in deliveries]
        for start in range(0, len(events), MAX_BATCH):
            await self.append(events[start : start + MAX_BATCH], synthetic=True, cursor=cursor)
        if not events and cursor is not None:
            await self.append([], cursor=cursor)
        self._last_catch_up = anyio.current_time()
        bridge = self._bridge
        bridge._catch_ups += 1
        bridge._synthesized += len(events)
        quiet = why == "periodic" and not events
        logger.log(
            logging.DEBUG if quiet else logging.INFO,
            "bridge %s: caught up with GET /room (%d events synthesized%s)",
            bridge._name,
            len(events),
            "" if why in ("takeover", "reconnected") else f"; {why}",
        )

    async def append(
        self, events: Sequence[Any], synthetic: bool = False, cursor: str | None = None
    ) -> None:
        if not events and cursor is None:
            return
        state = self._state
        keys = self._bridge._keys
        args: list[Any] = []
        touched: set[str] = set()
        for event in events:
            room_id = state.apply(event)
            if room_id is not None:
                touched.add(room_id)
            args += entry_args(event, synthetic)
        for room_id in touched:
            args += [room_id, state.room_to_json(room_id) or ""]
        try:
            sequence = await self._redis.run_script(
                _APPEND,
                [keys.lease, keys.sequence, keys.stream, keys.state, keys.inbox_cursor, keys.inbox],
                [
                    self._lease_value,
                    self._fence,
                    self._bridge._maxlen,
                    len(events),
                    len(touched),
                    cursor or "",
                    *args,
                ],
                self._bridge._redis_timeout,
            )
        except ReplyError as error:
            if error.code == "LEASELOST":
                raise LeaseLostError("another bridge took the lease over") from None
            raise
        if events:
            bridge = self._bridge
            bridge._sequence = int(sequence)
            bridge._appended += len(events)


async def _all_rooms(room_api: Any, retry: ReconnectPolicy) -> list[Any]:
    """``GET /room``, retrying what a Jellyfish that restarts or is unreachable causes."""
    backoff = retry.backoff()
    while True:
        try:
            return list(await room_api.get_all_rooms())
        except (TransportError, ServerError, ServiceUnavailableError) as error:
            delay = next(backoff)
            logger.warning("GET /room failed (%s); trying again in %.1f s", error, delay)
            await anyio.sleep(delay)


def _describe(error: BaseException) -> str:
    return f"{error} [{type(error).__name__}]"
