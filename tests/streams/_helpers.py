"""What the Redis tests share: reading the stream back, waiting for a condition."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
from support.convergence import wait_until as wait_until  # the one of every test package

from jellyfish import Delivery, ServerState
from jellyfish.redis._entries import decode_entry

from ._redis_server import RedisServer

STREAM = "jellyfish:events"


def read_stream(redis: RedisServer, stream: str = STREAM) -> list[Delivery]:
    """Every entry of the stream, decoded."""
    entries: Any = redis.execute("XRANGE", stream, "-", "+")
    return [decode_entry(entry_id, fields) for entry_id, fields in entries]


def fences(redis: RedisServer, stream: str = STREAM) -> list[int]:
    entries: Any = redis.execute("XRANGE", stream, "-", "+")
    return [int(dict(zip(f[::2], f[1::2], strict=True))[b"fence"]) for _, f in entries]


def applied(deliveries: list[Delivery], state: ServerState | None = None) -> ServerState:
    result = state.copy() if state is not None else ServerState()
    for delivery in deliveries:
        result.apply(delivery.event)
    return result


async def await_until(condition: Callable[[], Any], limit: float = 20.0, what: str = "") -> Any:
    with anyio.fail_after(limit):
        while True:
            value = condition()
            if value:
                return value
            await anyio.sleep(0.02)


def append_events(redis: RedisServer, events: list[Any], stream: str = STREAM) -> None:
    """Write entries as a bridge does (without a lease: for consumer tests)."""
    from jellyfish.redis._entries import entry_args

    for event in events:
        kind, room, synthetic, data = entry_args(event, synthetic=False)
        sequence = redis.execute("INCR", f"{stream}:seq")
        redis.execute(
            "XADD", stream, "*", "seq", sequence, "kind", kind, "room", room,
            "synthetic", synthetic, "fence", 0, "data", data,
        )  # fmt: skip


class Consumed:
    """What the consumers of one group handled, by sequence (duplicates counted)."""

    def __init__(self) -> None:
        self.by_sequence: dict[int, Delivery] = {}
        self.deliveries = 0
        self.redelivered = 0

    def record(self, event: Any, delivery: Delivery) -> None:
        assert delivery.sequence is not None
        self.deliveries += 1
        if delivery.sequence in self.by_sequence:
            self.redelivered += 1
        self.by_sequence[delivery.sequence] = delivery

    def state(self) -> ServerState:
        """The state a consumer gets by applying the events in sequence order."""
        return applied([self.by_sequence[s] for s in sorted(self.by_sequence)])

    def redundant(self) -> int:
        """Entries whose event changed nothing when applied (duplicates of an effect)."""
        state, count = ServerState(), 0
        for sequence in sorted(self.by_sequence):
            before = state.copy()
            state.apply(self.by_sequence[sequence].event)
            count += state == before
        return count
