"""What a stream consumer decides, without I/O: which command next, what a reply means.

Both consumers (:class:`~jellyfish.redis.StreamConsumer` on anyio,
:class:`~jellyfish.redis.BlockingStreamConsumer` on threads) are shells around
:class:`ConsumerCore`: they run the requests of its :meth:`~ConsumerCore.fetch` plans and
hand it the replies, sleep the delays it draws, and tell it what handlers did.

The order of reading: first the entries this consumer name already holds (after a restart
under the same name), then, every half visibility timeout, the entries another consumer
took and left unacknowledged for longer than the visibility timeout (``XAUTOCLAIM``), and
otherwise new entries (``XREADGROUP ... >``). An entry delivered more than
``max_deliveries`` times (its handler keeps failing) is moved to ``<stream>:dead`` and
acknowledged, so that it stops coming back.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Any

from jellyfish._notifications._protocol import ReconnectPolicy
from jellyfish._routing import Delivery
from jellyfish.errors import DecodeError
from jellyfish.redis._entries import decode_entry
from jellyfish.redis._errors import ReplyError
from jellyfish.redis._resp import Arg, checked

__all__ = ["ConsumerCore", "Plan", "Request", "logger"]

logger = logging.getLogger("jellyfish.consumer")

Command = list[Arg]


@dataclass(frozen=True, slots=True)
class Request:
    """Commands for the shell to send at once (pipelined); their replies go back, in order.

    Error replies go back as :class:`~jellyfish.redis.ReplyError` values.
    """

    commands: list[Command]
    blocks: bool = False
    """A read that may wait up to ``block`` seconds for new entries (a longer timeout)."""


Plan = Generator[Request, list[Any], "Delivery | None"]
"""Requests to run, each sent the replies; it returns a delivery, or ``None``: plan again."""


class _GroupGone(Exception):
    """``NOGROUP``: the stream or the group was deleted (created again by the next plan)."""


class ConsumerCore:
    """The state of one consumer of one group."""

    def __init__(
        self,
        stream: str,
        group: str,
        consumer: str,
        *,
        visibility_timeout: float,
        batch: int,
        block: float,
        start: str,
        max_deliveries: int | None,
        retry: ReconnectPolicy,
    ) -> None:
        if not visibility_timeout > 0 or not math.isfinite(visibility_timeout):
            raise ValueError(f"visibility_timeout must be positive, got {visibility_timeout!r}")
        if batch < 1:
            raise ValueError(f"batch must be at least 1, got {batch!r}")
        if max_deliveries is not None and max_deliveries < 1:
            raise ValueError(f"max_deliveries must be at least 1 or None, got {max_deliveries!r}")
        self.stream = stream
        self.group = group
        self.consumer = consumer
        self.visibility_ms = max(1, round(visibility_timeout * 1000))
        self.batch = batch
        # wake up at least every half visibility timeout to reclaim what others left
        self.block_ms = max(1, min(round(block * 1000), self.visibility_ms // 2 or 1))
        self.start = start
        self.max_deliveries = max_deliveries
        self.ready: deque[Delivery] = deque()
        self.unacknowledged: list[str] = []
        self.in_progress: set[str] = set()
        self._raw: dict[str, bytes] = {}  # the data of entries held, for the dead letters
        self._own_pending_read = False
        self._claim_cursor = "0-0"
        self._next_claim = 0.0
        self.group_created = False
        self.current: Delivery | None = None
        """What the user's loop holds (acknowledged when it asks for the next one)."""
        self._retry = retry
        self._backoff = retry.backoff()

    # -- what the shells run ------------------------------------------------------------------

    def fetch(self, now: float) -> Plan:
        """The requests towards the next delivery, at monotonic time ``now``.

        Creates the group when needed, acknowledges what was handled, then hands out an
        entry already read, or reads (own pending entries first, claims of what others
        left, then new entries) and returns ``None`` for the shell to plan again.

        Raises:
            ReplyError: Redis refused a command for a reason retrying does not fix.
        """
        try:
            delivery = yield from self._fetch(now)
        except _GroupGone:
            self.group_created = False
            return None
        self._backoff = self._retry.backoff()  # Redis answered: the next failure starts over
        return delivery

    def _fetch(self, now: float) -> Plan:
        if not self.group_created:
            (reply,) = yield Request([self.create_group()])
            if not (isinstance(reply, ReplyError) and reply.code == "BUSYGROUP"):
                _checked(reply)
            self.group_created = True
        if self.unacknowledged:
            done = list(self.unacknowledged)
            (reply,) = yield Request([self.acknowledge(done)])
            _checked(reply)
            self.acknowledged(done)
        if self.ready:
            return self.ready.popleft()
        what, command = self.next_read(now)
        (reply,) = yield Request([command], blocks=what == "new")
        claimed = self.read_done(what, _checked(reply))
        if claimed:
            (counts,) = yield Request([self.pending_counts(claimed)])
            for delivery, data in self.counts_done(_checked(counts)):
                yield Request(self.dead_letter(delivery, data))
        return None

    def retry_delay(self, error: Exception) -> float:
        """Redis failed (unreachable, timed out): seconds to wait before planning again."""
        delay = next(self._backoff)
        logger.warning("consumer %s: %s; again in %.1f s", self.consumer, error, delay)
        return delay

    @property
    def keep_alive_interval(self) -> float:
        """Seconds between two :meth:`keep_alive` commands (a third of the visibility)."""
        return self.visibility_ms / 3000

    def keep_alive_failed(self, error: Exception) -> None:
        """The keep-alive command failed (the next one tries again)."""
        logger.warning("could not keep events %s: %s", self.held(), error)

    # -- commands ---------------------------------------------------------------------------

    def create_group(self) -> Command:
        """Creates the group (and the stream) if needed; ``BUSYGROUP`` means it exists."""
        return ["XGROUP", "CREATE", self.stream, self.group, self.start, "MKSTREAM"]

    def next_read(self, now: float) -> tuple[str, Command]:
        """``("own"|"claim"|"new", command)``: what to read next."""
        if not self._own_pending_read:
            return "own", self._read("0", block=False)
        if now >= self._next_claim:
            self._next_claim = now + self.visibility_ms / 2000
            return "claim", [
                "XAUTOCLAIM", self.stream, self.group, self.consumer, self.visibility_ms,
                self._claim_cursor, "COUNT", self.batch,
            ]  # fmt: skip
        return "new", self._read(">", block=True)

    def _read(self, position: str, block: bool) -> Command:
        command: Command = ["XREADGROUP", "GROUP", self.group, self.consumer, "COUNT", self.batch]
        if block:
            command += ["BLOCK", self.block_ms]
        return [*command, "STREAMS", self.stream, position]

    def pending_counts(self, entry_ids: Sequence[str]) -> Command:
        """``XPENDING`` of claimed entries: how often each was delivered."""
        return [
            "XPENDING", self.stream, self.group, min(entry_ids), max(entry_ids),
            len(entry_ids), self.consumer,
        ]  # fmt: skip

    def acknowledge(self, entry_ids: Sequence[str]) -> Command:
        """``XACK`` of entries whose handlers returned."""
        return ["XACK", self.stream, self.group, *entry_ids]

    def keep_alive(self) -> Command | None:
        """Resets the idle time of the entries held (so nobody reclaims them); None: none."""
        held = self.held()
        if not held:
            return None
        return ["XCLAIM", self.stream, self.group, self.consumer, 0, *held, "JUSTID"]

    def dead_letter(self, delivery: Delivery, data: bytes) -> list[Command]:
        """Moves an entry that failed too often to ``<stream>:dead`` and acknowledges it."""
        assert delivery.entry_id is not None
        return [
            [
                "XADD", f"{self.stream}:dead", "MAXLEN", "~", 10_000, "*",
                "entry", delivery.entry_id, "group", self.group,
                "deliveries", delivery.delivery_count, "data", data,
            ],
            self.acknowledge([delivery.entry_id]),
        ]  # fmt: skip

    # -- replies ----------------------------------------------------------------------------

    def read_done(self, what: str, reply: Any) -> list[str]:
        """Takes a read's reply; the ids of claimed entries whose counts to look up.

        Entries ready to hand out go to :attr:`ready`; entries that no longer exist (the
        stream was trimmed past them) or that a bridge did not write go to
        :attr:`unacknowledged` to be acknowledged and skipped.
        """
        if what == "claim":
            self._claim_cursor = _text(reply[0])
            entries = reply[1]
            for gone in reply[2] if len(reply) > 2 else ():  # Redis 7: deleted entries
                self.unacknowledged.append(_text(gone))
            return self._take(entries, delivery_count=2)
        if what == "own":
            self._own_pending_read = True
        if reply:
            (_, entries) = reply[0]
            self._take(entries, delivery_count=1 if what == "new" else 2)
        return []

    def counts_done(self, reply: Any) -> list[tuple[Delivery, bytes]]:
        """Takes ``XPENDING``'s counts; the entries to move to the dead letters."""
        counts = {_text(row[0]): int(row[3]) for row in reply or ()}
        dead: list[tuple[Delivery, bytes]] = []
        updated: deque[Delivery] = deque()
        for delivery in self.ready:
            count = counts.get(delivery.entry_id or "", delivery.delivery_count)
            delivery = _with_count(delivery, count)
            if self.max_deliveries is not None and count > self.max_deliveries:
                logger.error(
                    "stream entry %s (sequence %s, %s) was delivered %d times and never "
                    "acknowledged: moved to %s:dead",
                    delivery.entry_id, delivery.sequence, type(delivery.event).__name__,
                    count, self.stream,
                )  # fmt: skip
                dead.append((delivery, self._raw.pop(delivery.entry_id or "", b"")))
            else:
                updated.append(delivery)
        self.ready = updated
        return dead

    def _take(self, entries: Any, delivery_count: int) -> list[str]:
        taken: list[str] = []
        for entry_id, fields in entries or ():
            if fields is None:  # Redis 6.2: an entry trimmed away while pending
                self.unacknowledged.append(_text(entry_id))
                continue
            try:
                delivery = decode_entry(entry_id, fields, delivery_count)
            except DecodeError as error:
                logger.error("skipping stream entry %s: %s", _text(entry_id), error)
                self.unacknowledged.append(_text(entry_id))
                continue
            self.ready.append(delivery)
            values = dict(zip(fields[::2], fields[1::2], strict=False))
            self._raw[_text(entry_id)] = values.get(b"data", b"")
            taken.append(_text(entry_id))
        return taken

    def held(self) -> list[str]:
        """The entries this consumer holds: being handled, or read and waiting."""
        waiting = (delivery.entry_id for delivery in self.ready if delivery.entry_id)
        return sorted({*self.in_progress, *waiting})

    def handed_out(self, delivery: Delivery) -> None:
        """A handler (or the user's loop) starts with ``delivery``."""
        assert delivery.entry_id is not None
        self.in_progress.add(delivery.entry_id)

    def handled(self, delivery: Delivery) -> None:
        """Its handler returned: acknowledge it with the next command."""
        assert delivery.entry_id is not None
        self.in_progress.discard(delivery.entry_id)
        self._raw.pop(delivery.entry_id, None)
        self.unacknowledged.append(delivery.entry_id)

    def failed(self, delivery: Delivery) -> None:
        """Its handler raised (call it in the ``except``: the error is logged).

        The entry stays pending, for a redelivery after the visibility timeout.
        """
        assert delivery.entry_id is not None
        logger.exception(
            "a handler failed on %s (sequence %s): it will be delivered again",
            type(delivery.event).__name__,
            delivery.sequence,
        )
        self.in_progress.discard(delivery.entry_id)

    def loop_moved_on(self) -> None:
        """The user's loop asks for the next event: the one it held is handled."""
        if self.current is not None:
            self.handled(self.current)
            self.current = None

    def loop_took(self, delivery: Delivery) -> None:
        """The user's loop got ``delivery``."""
        self.handed_out(delivery)
        self.current = delivery

    def acknowledged(self, entry_ids: Sequence[str]) -> None:
        """``XACK`` of ``entry_ids`` succeeded."""
        done = set(entry_ids)
        self.unacknowledged = [i for i in self.unacknowledged if i not in done]


def _checked(reply: Any) -> Any:
    if isinstance(reply, ReplyError) and reply.code == "NOGROUP":
        raise _GroupGone
    return checked(reply)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _with_count(delivery: Delivery, count: int) -> Delivery:
    if count == delivery.delivery_count:
        return delivery
    return Delivery(
        delivery.event,
        synthetic=delivery.synthetic,
        source=delivery.source,
        sequence=delivery.sequence,
        entry_id=delivery.entry_id,
        delivery_count=count,
    )
