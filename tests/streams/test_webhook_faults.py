"""Faults with webhooks as the bridges' source: the leader killed mid-burst behind a load
balancer, Redis killed and restarted, and the convergence property under random faults.

The rooms are created with a ``webhook_url`` at a load balancer in front of the bridges
(``_balancer.py``), as a deployment runs them; the periodic catch-up is off, so every
repair has the cause the test names. Each test prints what it measured.
"""

from __future__ import annotations

import random
import re
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from anyio.from_thread import start_blocking_portal
from support.convergence import Operations, convergence_seed, naming_the_seed

from jellyfish import RoomApi
from jellyfish.events import ServerMessage, ServerMessageRoomCreated
from jellyfish.redis import Bridge, StreamConsumer
from jellyfish.testing import JellyfishServer

from ._balancer import Balancer
from ._helpers import (
    LEASE,
    STREAM,
    BridgeProcess,
    Consumed,
    burst,
    consumers,
    converged,
    fences,
    kill_the_leader,
    leader_and_standby,
    new_bridge,
    read_stream,
    running,
    wait_until,
    with_webhooks,
)
from ._redis_server import RedisServer

pytestmark = pytest.mark.emulator_only

ROOM_CREATED = ServerMessage(
    room_created=ServerMessageRoomCreated(room_id="posted-by-hand")
).SerializeToString()
PROTOBUF = {"content-type": "application/x-protobuf"}
LISTENING = re.compile(r"receiving webhooks on http://127\.0\.0\.1:(\d+)")


def webhook_port(bridge: BridgeProcess) -> int:
    found = wait_until(lambda: LISTENING.search(bridge.text()), what=f"{bridge.name} listening")
    return int(found.group(1))


def webhooks_posted(server: JellyfishServer, count: int) -> Any:
    """The emulator's webhook sender once it has posted ``count`` webhooks, else None."""
    sender = server.webhooks
    assert sender is not None
    return sender if sender.sent + sender.failed >= count else None


def test_killing_the_leader_mid_burst_with_webhooks(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    options = ("--webhooks", "127.0.0.1:0", "--catch-up-interval", "0")
    with (
        JellyfishServer() as server,
        RoomApi(server.address, server.token) as api,
        consumers(redis_server) as consumed,
    ):
        with leader_and_standby(server, redis_server, tmp_path, *options) as (leader, standby):
            ports = [webhook_port(leader), webhook_port(standby)]
            with Balancer([("127.0.0.1", port) for port in ports]) as balancer:
                url = f"{balancer.url}/jellyfish"
                created: list[str] = []
                burster = threading.Thread(
                    target=burst, args=(api, 60, created), kwargs={"webhook_url": url}
                )
                burster.start()
                wait_until(lambda: redis_server.execute("XLEN", STREAM) >= 20, what="appends")
                takeover = kill_the_leader(leader, redis_server)
                burster.join(60)
                # after the takeover: every webhook reaches b
                burst(api, 5, created, webhook_url=url)
                posted = wait_until(lambda: webhooks_posted(server, 2 * len(created)))
                wait_until(
                    lambda: converged(consumed, api, webhooks_only=True),
                    timeout=30,
                    what="convergence",
                )
                sent = balancer.connections
        stream = read_stream(redis_server)
    assert [d.sequence for d in stream] == list(range(1, len(stream) + 1))  # no gap
    written_by = fences(redis_server)
    assert written_by == sorted(written_by)  # a's entries, then b's: never interleaved
    assert set(written_by) == {1, 2}
    assert takeover < LEASE + 2.0, takeover
    assert all(sent.get(("127.0.0.1", port)) for port in ports)  # both received webhooks
    first_of_b = written_by.index(2)
    assert not all(d.synthetic for d in stream[first_of_b:])  # b went on with webhooks
    # every stored webhook published once, whichever bridge stored it: none skipped or
    # repeated across the takeover (one Jellyfish counted failed may have been stored)
    received = [str(d.event) for d in stream if not d.synthetic]
    assert len(set(received)) == len(received)
    assert posted.sent <= len(received) <= posted.sent + posted.failed
    print(
        f"webhooks: takeover after {takeover:.2f} s (lease {LEASE} s); {len(stream)} entries, "
        f"{first_of_b} by a, {len(stream) - first_of_b} by b "
        f"({sum(d.synthetic for d in stream[first_of_b:])} synthesized by b's catch-up); "
        f"{posted.failed} of {posted.sent + posted.failed} webhooks failed on Jellyfish's side "
        f"(a killed mid-request); "
        f"{consumed.redundant()} entries changed nothing, {consumed.redelivered} delivered "
        f"twice; lost: nothing (converged to {len(created)} rooms)"
    )


@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
def test_redis_killed_and_restarted_with_webhooks(
    redis_server: RedisServer, anyio_backend: str
) -> None:
    consumed = Consumed()
    with JellyfishServer() as server, RoomApi(server.address, server.token) as api:
        bridge = new_bridge(
            server, redis_server, redis_timeout=2.0, webhooks="127.0.0.1:0", catch_up_interval=None
        )
        consumer = StreamConsumer(redis_server.url, "app", router=consumed.router(), start="0")
        with running(anyio_backend, bridge, consumer):
            wait_until(lambda: bridge.webhook_url is not None and bridge.stats.catch_ups)
            url = f"{bridge.webhook_url}/jellyfish"
            created: list[str] = []
            burst(api, 5, created, webhook_url=url)
            wait_until(
                lambda: converged(consumed, api, webhooks_only=True),
                what="convergence before the crash",
            )
            inbox_before = redis_server.execute("XLEN", f"{STREAM}:inbox")
            redis_server.kill()  # SIGKILL: the AOF (fsync always) is all there is
            burst(api, 3, created, webhook_url=url)  # answered 503: Redis cannot store them
            api.delete_room(created[0])
            wait_until(lambda: bridge.stats.webhooks_refused >= 8, what="the refusals")
            health = httpx.get(bridge.webhook_url or "")
            direct = httpx.post(url, content=ROOM_CREATED, headers=PROTOBUF)
            redis_server.start()
            assert redis_server.execute("XLEN", f"{STREAM}:inbox") >= inbox_before
            wait_until(
                lambda: converged(consumed, api, webhooks_only=True), timeout=30, what="convergence"
            )
            stats = bridge.stats
    stream = read_stream(redis_server)
    assert [d.sequence for d in stream] == list(range(1, len(stream) + 1))
    assert stats.catch_ups >= 2  # the outage ended with a catch-up
    assert health.status_code == 503
    assert health.text.startswith("cannot store webhooks: Redis: cannot connect to")
    assert (direct.status_code, direct.text.split(":")[0]) == (
        503,
        "the webhook could not be stored",
    )
    print(
        f"webhooks, Redis {redis_server.version} killed and restarted: "
        f"{stats.webhooks_refused} webhooks refused (503), {len(stream)} entries "
        f"({sum(d.synthetic for d in stream)} synthetic), {consumed.redelivered} delivered "
        f"twice, lost: nothing that changes the state"
    )


class Bridges:
    """Two in-process bridges on fixed webhook ports, each stopped and started at will."""

    def __init__(self, portal: Any, redis: RedisServer, server: JellyfishServer) -> None:
        self.portal = portal
        self.redis = redis
        self.server = server
        self.ports = [0, 0]
        self.running: list[Any] = [None, None]
        self.bridges: list[Bridge | None] = [None, None]
        self.catch_ups = 0
        self.stopped_refused = 0

    def refused(self) -> int:
        """Webhooks answered 503, by every bridge so far."""
        running = sum(b.stats.webhooks_refused for b in self.bridges if b is not None)
        return self.stopped_refused + running

    def start(self, index: int) -> None:
        bridge = new_bridge(
            self.server, self.redis, f"b{index}", webhooks=f"127.0.0.1:{self.ports[index]}",
            catch_up_interval=None,
        )  # fmt: skip
        self.bridges[index] = bridge
        stopped = threading.Event()
        future = self.portal.start_task_soon(self._run, bridge, stopped)
        self.running[index] = (future, stopped)
        url = wait_until(lambda: bridge.webhook_url or future.done(), what="listening")
        assert url is not True, future.exception()
        self.ports[index] = int(url.rsplit(":", 1)[1])

    @staticmethod
    async def _run(bridge: Bridge, stopped: threading.Event) -> None:
        try:
            await bridge.run()
        finally:  # the future is done as soon as it is cancelled: this, once run() ended
            stopped.set()

    def stop(self, index: int) -> None:
        running, bridge = self.running[index], self.bridges[index]
        if running is None or bridge is None:
            return
        future, stopped = running
        future.cancel()
        assert stopped.wait(10), "the bridge did not stop"
        self.catch_ups += bridge.stats.catch_ups
        self.stopped_refused += bridge.stats.webhooks_refused
        self.running[index] = self.bridges[index] = None

    def leader(self) -> int | None:
        for index, bridge in enumerate(self.bridges):
            if bridge is not None and bridge.leading:
                return index
        return None

    def total_catch_ups(self) -> int:
        return self.catch_ups + sum(b.stats.catch_ups for b in self.bridges if b is not None)


@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
def test_bridges_on_webhooks_and_consumers_converge_whatever_the_faults(
    redis_server: RedisServer, anyio_backend: str
) -> None:
    seed = convergence_seed()
    rng = random.Random(seed)
    consumed = Consumed()
    faults: dict[str, int] = {}
    with (
        JellyfishServer() as server,
        start_blocking_portal(anyio_backend) as portal,
    ):
        bridges = Bridges(portal, redis_server, server)
        sender = server.webhooks
        assert sender is not None
        consumer = StreamConsumer(redis_server.url, "app", router=consumed.router(), start="0")
        consuming = portal.start_task_soon(consumer.run)
        operations: Operations | None = None
        try:
            with naming_the_seed(seed):
                bridges.start(0)
                bridges.start(1)
                with Balancer([("127.0.0.1", port) for port in bridges.ports]) as balancer:
                    operations = Operations(server, rng, webhook_url=f"{balancer.url}/jellyfish")
                    wait_until(lambda: bridges.total_catch_ups() >= 1, what="the first catch-up")
                    for _ in range(10):
                        for _ in range(rng.randrange(3, 10)):
                            operations.one()
                        fault = rng.choice(
                            ["redis refuses", "leader restarts", "no bridge", "none"]
                        )
                        faults[fault] = faults.get(fault, 0) + 1
                        if fault == "redis refuses":  # webhooks answered 503: gaps, marked
                            refused = bridges.refused()
                            redis_server.execute("CONFIG", "SET", "maxmemory", "1")
                            for _ in range(rng.randrange(0, 5)):
                                operations.one()
                            operations.api.create_room(**operations.room_options)
                            wait_until(lambda n=refused: bridges.refused() > n, what="a refusal")
                            redis_server.execute("CONFIG", "SET", "maxmemory", "0")
                        elif fault == "leader restarts":  # the other takes over, catching up
                            leader = bridges.leader()
                            if leader is not None:
                                bridges.stop(leader)
                                for _ in range(rng.randrange(0, 4)):
                                    operations.one()
                                bridges.start(leader)
                        elif fault == "no bridge":  # webhooks reach nobody: lost, unmarked
                            bridges.stop(0)
                            bridges.stop(1)
                            failed = sender.failed
                            for _ in range(rng.randrange(0, 5)):
                                operations.one()
                            operations.api.create_room(**operations.room_options)
                            wait_until(lambda n=failed: sender.failed > n, what="a lost webhook")
                            first = rng.randrange(2)
                            bridges.start(first)
                            bridges.start(1 - first)
                        if rng.random() < 0.7:  # each repair on its own; else the next overlaps
                            now = with_webhooks(operations.api.get_all_rooms())
                            wait_until(
                                lambda s=now: consumed.state() == s, what=f"{fault} repaired"
                            )
                    expected = with_webhooks(operations.api.get_all_rooms())
                    wait_until(lambda: consumed.state() == expected, timeout=30, what="convergence")
                    catch_ups = bridges.total_catch_ups()
        finally:
            bridges.stop(0)
            bridges.stop(1)
            consuming.cancel()
            if operations is not None:
                operations.close()
    stream = read_stream(redis_server)
    assert [d.sequence for d in stream] == list(range(1, len(stream) + 1)), seed
    print(
        f"webhooks, seed {seed}: faults {faults}, {catch_ups} catch-ups, "
        f"{consumed.summary(stream)}; converged to {len(expected.rooms)} rooms"
    )
