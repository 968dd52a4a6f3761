"""What the Redis tests share: reading the stream back, waiting for a condition, bridges
and consumers to run (in threads, event loops or processes of their own)."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import anyio
from anyio.from_thread import start_blocking_portal
from support.convergence import wait_until as wait_until  # the one of every test package

from jellyfish import Delivery, PeerOptionsWebRTC, RoomApi, Router, ServerState
from jellyfish.redis import BlockingStreamConsumer, Bridge
from jellyfish.redis._entries import decode_entry
from jellyfish.testing import JellyfishServer

from ._redis_server import RedisServer

STREAM = "jellyfish:events"
LEASE = 2.0
"""The bridges' lease in the tests (seconds): long enough that a bridge slowed by a loaded CI
machine keeps it (with 1 s, a third of a second between renewals, a slow moment cost it)."""


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
        self._lock = threading.Lock()  # consumers record from threads of their own

    def record(self, event: Any, delivery: Delivery) -> None:
        assert delivery.sequence is not None
        with self._lock:
            self.deliveries += 1
            if delivery.sequence in self.by_sequence:
                self.redelivered += 1
            self.by_sequence[delivery.sequence] = delivery

    def router(self) -> Router:
        """A router whose one handler records every event here."""
        router = Router()
        router.add(self.record)
        return router

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

    def summary(self, stream: list[Delivery]) -> str:
        """What a fault test prints about ``stream`` (the whole stream) and these deliveries."""
        return (
            f"{len(stream)} entries ({sum(d.synthetic for d in stream)} synthetic, "
            f"{self.redundant()} changed nothing), {self.redelivered} delivered twice"
        )


def new_bridge(
    server: JellyfishServer, redis: RedisServer, name: str = "bridge", **options: Any
) -> Bridge:
    """A bridge from ``server`` to ``redis`` with the tests' lease (``options`` add or override)."""
    options.setdefault("server_address", server.address)
    options.setdefault("lease", LEASE)
    return Bridge(redis.url, server_api_token=server.token, name=name, **options)


def with_webhooks(rooms: Iterable[Any]) -> ServerState:
    """What a webhook-fed stream converges to: the rooms created with a webhook URL."""
    return ServerState.from_rooms(room for room in rooms if room.config.webhook_url)


def converged(consumed: Consumed, api: RoomApi, *, webhooks_only: bool = False) -> bool:
    """Whether the consumers hold what ``GET /room`` shows (of the rooms webhooks report)."""
    rooms = api.get_all_rooms()
    expected = with_webhooks(rooms) if webhooks_only else ServerState.from_rooms(rooms)
    return consumed.state() == expected


def burst(api: RoomApi, rooms: int, created: list[str], **room_options: Any) -> None:
    """``rooms`` rooms with a peer each (their ids appended to ``created``)."""
    for _ in range(rooms):
        _, room = api.create_room(**room_options)
        api.add_peer(room.id, PeerOptionsWebRTC())
        created.append(room.id)


@contextmanager
def running(backend: str, *runners: Any) -> Iterator[None]:
    """Each runner's ``run()`` in one event loop of its own thread; cancelled on exit."""
    with start_blocking_portal(backend) as portal:
        futures = [portal.start_task_soon(runner.run) for runner in runners]
        try:
            yield
        finally:
            for future in futures:
                future.cancel()
            for future in futures:
                assert future.cancelled() or future.exception(5) is None


@contextmanager
def consumers(redis: RedisServer, count: int = 2, **options: Any) -> Iterator[Consumed]:
    """``count`` blocking consumers of the group "app", in threads."""
    consumed = Consumed()
    router = consumed.router()
    instances = [
        BlockingStreamConsumer(
            redis.url, "app", consumer=f"c{i}", router=router, start="0", **options
        )
        for i in range(count)
    ]
    threads = [threading.Thread(target=c.run) for c in instances]
    for thread in threads:
        thread.start()
    try:
        yield consumed
    finally:
        for instance in instances:
            instance.close()
        for thread in threads:
            thread.join(10)
            assert not thread.is_alive()


def lease_holder(redis: RedisServer) -> str | None:
    """The name of the bridge that holds the lease."""
    value: Any = redis.execute("GET", f"{STREAM}:lease")
    return None if value is None else value.decode().split(":", 1)[1]


class BridgeProcess:
    """``jellyfish bridge`` in a process of its own, its log in a file."""

    def __init__(
        self, server: JellyfishServer, redis: RedisServer, name: str, log: Path, *options: str
    ) -> None:
        self.name = name
        self.log = log
        with log.open("wb") as output:  # the child has its own copy of the descriptor
            self.process = subprocess.Popen(
                [
                    sys.executable, "-m", "jellyfish", "--address", server.address,
                    "--token", server.token, "bridge", "--redis", redis.url,
                    "--lease", str(LEASE), "--name", name, *options,
                ],
                stdout=subprocess.DEVNULL,
                stderr=output,
            )  # fmt: skip

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


@contextmanager
def leader_and_standby(
    server: JellyfishServer, redis: RedisServer, logs: Path, *options: str
) -> Iterator[tuple[BridgeProcess, BridgeProcess]]:
    """Bridge "a", leading once it caught up, and bridge "b", standing by; stopped on exit."""
    with ExitStack() as stack:
        leader = BridgeProcess(server, redis, "a", logs / "a.log", *options)
        stack.callback(leader.stop)
        wait_until(lambda: "caught up" in leader.text(), what="a's catch-up")
        standby = BridgeProcess(server, redis, "b", logs / "b.log", *options)
        stack.callback(standby.stop)
        wait_until(lambda: "standing by" in standby.text(), what="b standing by")
        yield leader, standby


def kill_the_leader(leader: BridgeProcess, redis: RedisServer) -> float:
    """``SIGKILL`` the leader "a"; the seconds until "b" holds the lease."""
    leader.signal(signal.SIGKILL)
    killed_at = time.monotonic()
    wait_until(lambda: lease_holder(redis) == "b", what="b taking over")
    return time.monotonic() - killed_at
