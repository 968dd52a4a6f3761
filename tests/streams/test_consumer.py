"""Stream consumers: one replica per event, ack after the handler, reclaim, dead letters."""

from __future__ import annotations

import logging
import threading
from typing import Any

import anyio
import anyio.lowlevel
import pytest

from jellyfish import Delivery, Router
from jellyfish.events import ServerMessagePeerAdded, ServerMessageRoomCreated
from jellyfish.redis import BlockingStreamConsumer, StreamConsumer

from ._helpers import STREAM, append_events, await_until, wait_until
from ._redis_server import RedisServer

ROOMS = [ServerMessageRoomCreated(room_id=f"r{i}") for i in range(40)]


def pending(redis: RedisServer, group: str) -> int:
    summary: Any = redis.execute("XPENDING", STREAM, group)
    return int(summary[0])


@pytest.mark.anyio
async def test_each_event_goes_to_one_consumer_of_a_group(redis_server: RedisServer) -> None:
    handled: list[tuple[str, int]] = []
    everything: list[int] = []

    def router_for(name: str) -> Router:
        router = Router()

        @router.on(ServerMessageRoomCreated)
        async def record(event: Any, delivery: Delivery) -> None:
            assert delivery.sequence is not None
            handled.append((name, delivery.sequence))
            await anyio.lowlevel.checkpoint()

        return router

    audit = Router()
    audit.add(lambda e, d: everything.append(d.sequence))
    consumers = [
        StreamConsumer(
            redis_server.url, "app", consumer=f"c{i}", router=router_for(f"c{i}"), batch=2
        )
        for i in range(3)
    ] + [StreamConsumer(redis_server.url, "audit", router=audit)]
    async with anyio.create_task_group() as group:
        for consumer in consumers:
            group.start_soon(consumer.run)
        await await_until(lambda: _groups(redis_server) == 2, what="both groups")
        await anyio.to_thread.run_sync(append_events, redis_server, ROOMS)
        await await_until(lambda: len(handled) == len(ROOMS) and len(everything) == len(ROOMS))
        await await_until(lambda: pending(redis_server, "app") == 0, what="all acknowledged")
        group.cancel_scope.cancel()
    assert sorted(sequence for _, sequence in handled) == list(range(1, len(ROOMS) + 1))
    assert sorted(everything) == list(range(1, len(ROOMS) + 1))  # another group: all of them
    assert len({name for name, _ in handled}) > 1  # the work was shared


def _groups(redis: RedisServer) -> int:
    try:
        return len(redis.execute("XINFO", "GROUPS", STREAM))  # type: ignore[arg-type]
    except Exception:
        return 0


@pytest.mark.anyio
async def test_a_failing_handler_gets_the_event_again_then_dead_letters(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    attempts: list[int] = []
    events = Router()

    @events.on(ServerMessagePeerAdded)
    def fail(event: Any, delivery: Delivery) -> None:
        attempts.append(delivery.delivery_count)
        raise RuntimeError("the database is down")

    consumer = StreamConsumer(
        redis_server.url, "app", router=events, visibility_timeout=0.3, max_deliveries=3,
        start="0",
    )  # fmt: skip
    await anyio.to_thread.run_sync(
        append_events, redis_server, [ServerMessagePeerAdded(room_id="r", peer_id="p")]
    )
    with caplog.at_level(logging.ERROR, "jellyfish.consumer"):
        async with anyio.create_task_group() as group:
            group.start_soon(consumer.run)
            await await_until(lambda: redis_server.execute("XLEN", f"{STREAM}:dead") == 1)
            group.cancel_scope.cancel()
    assert attempts == [1, 2, 3]
    assert pending(redis_server, "app") == 0
    assert "delivered 4 times and never acknowledged" in caplog.text


@pytest.mark.anyio
async def test_iteration_acknowledges_on_the_next_event(redis_server: RedisServer) -> None:
    await anyio.to_thread.run_sync(append_events, redis_server, ROOMS[:3])
    seen: list[str] = []
    async with StreamConsumer(redis_server.url, "app", start="0", batch=1) as consumer:
        async for event in consumer:
            seen.append(event.room_id)
            # the event in hand is pending until the loop asks for the next one
            assert pending(redis_server, "app") == 1
            if len(seen) == 3:
                break
    assert seen == ["r0", "r1", "r2"]
    assert pending(redis_server, "app") == 1  # the last one: the loop left before its ack
    async with StreamConsumer(redis_server.url, "app", start="0") as consumer:
        deliveries = consumer.deliveries()
        delivery = await deliveries.__anext__()  # the same consumer name takes it back first
        assert (delivery.event.room_id, delivery.redelivered) == ("r2", True)
        await deliveries.aclose()


def test_blocking_consumer_run_and_close(redis_server: RedisServer) -> None:
    append_events(redis_server, ROOMS[:5])
    seen: list[str] = []
    events = Router()
    consumer = BlockingStreamConsumer(redis_server.url, "app", router=events, start="0")

    @events.on(ServerMessageRoomCreated)
    def handle(event: Any) -> None:
        seen.append(event.room_id)
        if len(seen) == 5:
            consumer.close()  # from a handler

    consumer.run()
    assert seen == [f"r{i}" for i in range(5)]
    assert pending(redis_server, "app") == 0  # the last one was acknowledged on the way out


def test_blocking_iteration_closed_from_another_thread(redis_server: RedisServer) -> None:
    consumer = BlockingStreamConsumer(redis_server.url, "app", block=30)
    seen: list[str] = []

    def loop() -> None:
        for event in consumer:
            seen.append(event.room_id)

    thread = threading.Thread(target=loop)
    thread.start()
    wait_until(lambda: _groups(redis_server) == 1)
    append_events(redis_server, ROOMS[:2])
    wait_until(lambda: len(seen) == 2)
    consumer.close()  # interrupts the blocked read at once
    thread.join(5)
    assert not thread.is_alive()
    assert pending(redis_server, "app") == 0


def test_run_needs_a_router(redis_server: RedisServer) -> None:
    with pytest.raises(RuntimeError, match="router="):
        BlockingStreamConsumer(redis_server.url, "app").run()
    with pytest.raises(ValueError, match="group"):
        BlockingStreamConsumer(redis_server.url, "")


@pytest.mark.anyio
async def test_a_long_handler_keeps_its_event_until_its_consumer_dies(
    redis_server: RedisServer,
) -> None:
    visibility = 0.6
    started, taken_over = anyio.Event(), anyio.Event()
    slow_router, other_router = Router(), Router()
    by_other: list[Delivery] = []

    @slow_router.on()
    async def work_for_ever(event: Any, delivery: Delivery) -> None:
        started.set()
        await anyio.sleep_forever()  # cancelled below: the consumer dies mid-handler

    @other_router.on()
    def record(event: Any, delivery: Delivery) -> None:
        by_other.append(delivery)
        taken_over.set()

    options: dict[str, Any] = {"visibility_timeout": visibility, "start": "0"}
    slow = StreamConsumer(redis_server.url, "app", consumer="slow", router=slow_router, **options)
    other = StreamConsumer(
        redis_server.url, "app", consumer="other", router=other_router, **options
    )
    await anyio.to_thread.run_sync(append_events, redis_server, ROOMS[:1])
    async with anyio.create_task_group() as group:
        slow_scope = anyio.CancelScope()

        async def run_slow() -> None:
            with slow_scope:
                await slow.run()

        group.start_soon(run_slow)
        with anyio.fail_after(10):
            await started.wait()
        group.start_soon(other.run)
        # the handler runs past the visibility timeout several times over; the keep-alive
        # resets the entry's idle time, so the other consumer's XAUTOCLAIM never takes it
        idle_times = []
        for _ in range(8):
            await anyio.sleep(visibility / 2)
            idle_times.append(_idle_ms(redis_server))
        assert by_other == []
        assert max(idle_times) < visibility * 1000, idle_times
        slow_scope.cancel()  # the consumer dies mid-handler; nothing acknowledges the entry
        with anyio.fail_after(10):
            await taken_over.wait()
        await await_until(lambda: pending(redis_server, "app") == 0, what="the acknowledgement")
        group.cancel_scope.cancel()
    assert (by_other[0].event.room_id, by_other[0].delivery_count) == ("r0", 2)


def _idle_ms(redis: RedisServer) -> int:
    (entry,) = redis.execute("XPENDING", STREAM, "app", "-", "+", 10)  # type: ignore[misc]
    return int(entry[2])


def test_the_core_plans_every_command_and_reads_every_reply_without_io() -> None:
    """The decisions both consumers share, driven with hand-made replies."""
    from jellyfish._notifications._protocol import ReconnectPolicy
    from jellyfish.events import ServerMessage
    from jellyfish.redis import ReplyError
    from jellyfish.redis._consumer_core import ConsumerCore

    core = ConsumerCore(
        STREAM, "app", "c1", visibility_timeout=30, batch=16, block=5, start="$",
        max_deliveries=3, retry=ReconnectPolicy(initial_delay=0.2, jitter=0),
    )  # fmt: skip
    data = ServerMessage(room_created=ROOMS[0]).SerializeToString()
    entry = [b"1-0", [b"seq", b"7", b"kind", b"RoomCreated", b"synthetic", b"0", b"data", data]]

    def run(plan: Any, *replies: Any) -> tuple[list[Any], Any]:
        """The plan's requests, each answered with the next of ``replies``; its result."""
        requests, answer = [], None
        for reply in (*replies, None):
            try:
                request = plan.send(answer)
            except StopIteration as done:
                return requests, done.value
            requests.append(request)
            answer = [reply] * len(request.commands)
        raise AssertionError("the plan asked for more than the replies given")

    busy = ReplyError("BUSYGROUP Consumer Group name already exists")
    requests, result = run(core.fetch(0.0), busy, [[STREAM.encode(), [entry]]])
    assert [r.commands[0][0] for r in requests] == ["XGROUP", "XREADGROUP"]
    assert result is None  # read: handed out by the next plan
    assert core.group_created
    requests, delivery = run(core.fetch(0.0))
    assert (requests, delivery.sequence, delivery.event.room_id) == ([], 7, "r0")
    core.handed_out(delivery)
    core.handled(delivery)
    nogroup = ReplyError("NOGROUP No such key or consumer group")
    requests, result = run(core.fetch(0.0), nogroup)
    assert requests[0].commands == [["XACK", STREAM, "app", "1-0"]]
    assert (result, core.group_created) == (None, False)  # created again by the next plan
    assert [core.retry_delay(OSError()) for _ in range(2)] == [0.2, 0.4]
