"""Webhooks as a bridge's source: the receiving side, run by every bridge.

Jellyfish POSTs each webhook once and never again, so a webhook is safe only once it is
in Redis. Every bridge, the leader and the standbys alike, appends each webhook it receives
to the inbox stream (``<stream>:inbox``) and answers ``204`` only after Redis acknowledged
the ``XADD``; when Redis does not take it (down, slow, out of memory) the bridge answers
``503``. Jellyfish sends webhooks one at a time and waits for each answer, so the inbox
holds them in the order Jellyfish sent them, whichever bridges received them.

A refused webhook is lost (Jellyfish does not retry). The bridge that refused it writes a
gap marker into the inbox as soon as Redis takes writes again (before any webhook it
accepts after the refusal): the leader, reading the inbox in order, catches up at the
marker. The leader's side is :func:`jellyfish.redis._bridge._follow_inbox`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import anyio

from jellyfish._notifications._protocol import ReconnectPolicy
from jellyfish._webhook_server import Answer
from jellyfish.errors import DecodeError
from jellyfish.redis._connection import AsyncConnection
from jellyfish.redis._entries import Keys, inbox_gap_fields, inbox_webhook_fields
from jellyfish.redis._errors import RedisError, ReplyError
from jellyfish.redis._resp import Arg, RedisAddress

__all__ = ["WEBHOOK_DEADLINE", "WebhookInbox"]

logger = logging.getLogger("jellyfish.bridge")

WEBHOOK_DEADLINE = 3.0
"""Seconds to store a webhook (connect and ``XADD``): Jellyfish gives up after about 5."""


class WebhookInbox:
    """What a bridge does with each webhook POSTed to it; counts what it received.

    Args:
        address: the bridge's Redis.
        keys: the keys of the bridge's stream.
        name: the bridge's name (recorded in each inbox entry).
        maxlen: the inbox is trimmed to about this many entries (while no bridge leads).
        role: the bridge's role now (for the health check's answer).
        publishable: whether an event is one the bridge publishes (metrics are not).
        ssl_context: for ``rediss://``.
    """

    def __init__(
        self,
        address: RedisAddress,
        keys: Keys,
        name: str,
        maxlen: int,
        role: Callable[[], str],
        publishable: Callable[[Any], bool],
        ssl_context: Any = None,
    ) -> None:
        self._address = address
        self._keys = keys
        self._name = name
        self._maxlen = maxlen
        self._role = role
        self._publishable = publishable
        self._ssl_context = ssl_context
        self._connection: AsyncConnection | None = None
        self._connecting = anyio.Lock()
        self._refusals = 0  # webhooks refused since the start
        self._marked = 0  # refusals a gap marker in the inbox stands for
        self._refused_event = anyio.Event()
        self.received = 0
        """Webhooks stored in the inbox."""
        self.refused = 0
        """Webhooks answered ``503`` (Redis did not take them)."""

    async def on_post(self, body: bytes, content_type: str | None) -> Answer:
        """Decode a webhook and store it in the inbox; ``204`` once Redis has it."""
        from jellyfish import receive_webhook

        try:
            event = receive_webhook(body, content_type)
        except DecodeError as error:
            logger.warning("bridge %s: rejected a webhook: %s", self._name, error)
            return Answer(400, str(error))
        if not self._publishable(event):
            return Answer(204)
        refusals = self._refusals
        commands = [self._xadd(inbox_webhook_fields(event, self._name))]
        if refusals > self._marked:  # the marker first: the leader catches up before this one
            commands.insert(0, self._xadd(inbox_gap_fields(self._name)))
        try:
            with anyio.fail_after(WEBHOOK_DEADLINE):
                connection = await self._connect()
                replies = await connection.pipeline(commands, WEBHOOK_DEADLINE)
        except (RedisError, TimeoutError, OSError) as error:
            return self._refuse(error)
        if len(commands) == 2 and not isinstance(replies[0], ReplyError):
            self._marked = max(self._marked, refusals)
        if isinstance(replies[-1], ReplyError):
            return self._refuse(replies[-1])
        self.received += 1
        return Answer(204)

    async def on_get(self) -> Answer:
        """The health check: ``200`` while this bridge can store webhooks, else ``503``."""
        try:
            with anyio.fail_after(WEBHOOK_DEADLINE):
                connection = await self._connect()
                await connection.execute("PING", timeout=WEBHOOK_DEADLINE)
        except (RedisError, TimeoutError, OSError) as error:
            return Answer(503, f"cannot store webhooks: Redis: {error}")
        return Answer(200, f"ok: {self._role()}")

    async def mark_gaps(self, retry: ReconnectPolicy) -> None:
        """Until cancelled: after each refusal, write a gap marker as soon as Redis takes it."""
        backoff = retry.backoff()
        while True:
            waiting = self._refused_event = anyio.Event()
            refusals = self._refusals
            if refusals <= self._marked:
                await waiting.wait()
                continue
            try:
                with anyio.fail_after(WEBHOOK_DEADLINE):
                    connection = await self._connect()
                    await connection.execute(
                        *self._xadd(inbox_gap_fields(self._name)), timeout=WEBHOOK_DEADLINE
                    )
            except (RedisError, TimeoutError, OSError):
                await anyio.sleep(next(backoff))
                continue
            self._marked = max(self._marked, refusals)
            backoff = retry.backoff()
            logger.info(
                "bridge %s: marked the gap of the refused webhooks in the inbox", self._name
            )

    async def aclose(self) -> None:
        """Close the connection to Redis."""
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.aclose()

    def _refuse(self, error: BaseException) -> Answer:
        self._refusals += 1
        self.refused += 1
        self._refused_event.set()
        reason = str(error) or type(error).__name__
        logger.warning(
            "bridge %s: refused a webhook, Redis did not store it (%s): the leader will catch up",
            self._name,
            reason,
        )
        return Answer(503, f"the webhook could not be stored: {reason}")

    def _xadd(self, fields: list[bytes | str]) -> list[Arg]:
        inbox = self._keys.inbox
        return ["XADD", inbox, "MAXLEN", "~", self._maxlen, "*", *fields]

    async def _connect(self) -> AsyncConnection:
        async with self._connecting:
            connection = self._connection
            if connection is None or connection.broken:
                connection = await AsyncConnection.open(
                    self._address,
                    timeout=WEBHOOK_DEADLINE,
                    client_name=f"jellyfish-bridge-webhooks:{self._name}",
                    ssl_context=self._ssl_context,
                )
                self._connection = connection
            return connection
