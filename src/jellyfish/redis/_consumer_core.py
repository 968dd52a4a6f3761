"""What a stream consumer decides, without I/O: which command next, what a reply means.

Both consumers (:class:`~jellyfish.redis.StreamConsumer` on anyio,
:class:`~jellyfish.redis.BlockingStreamConsumer` on threads) are shells around
:class:`ConsumerCore`: they run the commands it builds and hand it the replies.

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
from collections.abc import Sequence
from typing import Any

from jellyfish._routing import Delivery
from jellyfish.errors import DecodeError
from jellyfish.redis._entries import decode_entry
from jellyfish.redis._resp import Arg

__all__ = ["ConsumerCore", "logger"]

logger = logging.getLogger("jellyfish.consumer")

Command = list[Arg]


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

    def keep_alive(self, entry_ids: Sequence[str]) -> Command:
        """Resets the idle time of entries being handled (so nobody reclaims them)."""
        return [
            "XCLAIM", self.stream, self.group, self.consumer, 0, *entry_ids, "JUSTID",
        ]  # fmt: skip

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
        """Its handler raised: leave it pending, for a redelivery after the visibility timeout."""
        assert delivery.entry_id is not None
        self.in_progress.discard(delivery.entry_id)

    def acknowledged(self, entry_ids: Sequence[str]) -> None:
        """``XACK`` of ``entry_ids`` succeeded."""
        done = set(entry_ids)
        self.unacknowledged = [i for i in self.unacknowledged if i not in done]


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
