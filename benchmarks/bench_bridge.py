"""The Redis bridge: events/s into Redis, and latency from Jellyfish's frame to a consumer.

Each measured twice: with the bridge on Jellyfish's WebSocket, and on its webhooks.

The emulator emits ``PeerMetadataUpdated`` notifications as fast as its control API goes
(the metadata carries the time the frame was made). Throughput: from the first one to the
last entry in the stream, next to a bare ``Notifier`` receiving the same burst. Latency: a
paced stream (200 events/s) through the bridge to 4 ``StreamConsumer`` s of one group, next
to a bare notifier's handler. The emulator, the bridge and the consumers run in this
process (redis-server in its own), so they share one interpreter's GIL.
"""

from __future__ import annotations

import json
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
from _harness import Result
from anyio.from_thread import start_blocking_portal

from jellyfish import Notifier, PeerOptionsWebRTC, RoomApi, Router
from jellyfish.events import ServerMessagePeerMetadataUpdated
from jellyfish.redis import Bridge, StreamConsumer
from jellyfish.testing import JellyfishServer

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from streams._redis_server import RedisServer

CONSUMERS = 4


def _emit(server: JellyfishServer, room_id: str, peer_id: str, count: int, rate: float) -> None:
    """``count`` PeerMetadataUpdated, each stamped with perf_counter; paced at ``rate``/s."""
    started = time.perf_counter()
    for index in range(count):
        if rate:
            delay = started + index / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        server.set_peer_metadata(room_id, peer_id, {"t": time.perf_counter(), "i": index})


def _wait(condition: Callable[[], bool], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the benchmark did not finish")
        time.sleep(0.002)


def _latencies(handled: list[float]) -> tuple[float, float]:
    ordered = sorted(handled)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered) * 1000, p99 * 1000


class _Collector:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.count = 0

    def __call__(self, event: Any) -> None:
        if isinstance(event, ServerMessagePeerMetadataUpdated):
            self.latencies.append(time.perf_counter() - json.loads(event.metadata)["t"])
            self.count += 1


def _bare_notifier(server: JellyfishServer, room: str, peer: str, count: int, rate: float) -> Any:
    collector = _Collector()
    notifier = Notifier(server.address, server.token)
    notifier.on_server_notification(collector)
    with start_blocking_portal() as portal:
        future = portal.start_task_soon(notifier.connect)
        portal.call(notifier.wait_ready, 10)
        started = time.perf_counter()
        _emit(server, room, peer, count, rate)
        _wait(lambda: collector.count >= count)
        elapsed = time.perf_counter() - started
        portal.call(notifier.aclose)
        future.result(10)
    return count / elapsed, collector


def _through_redis(
    server: JellyfishServer,
    redis: RedisServer,
    room: str,
    peer: str,
    count: int,
    rate: float,
    webhooks: str | None = None,
) -> Any:
    collector = _Collector()
    router = Router()
    router.add(collector, ServerMessagePeerMetadataUpdated)
    redis.execute("FLUSHALL")
    bridge = Bridge(
        redis.url, server_address=server.address, server_api_token=server.token, webhooks=webhooks
    )
    consumers = [
        StreamConsumer(redis.url, "bench", consumer=f"c{i}", router=router, block=0.5)
        for i in range(CONSUMERS)
    ]
    with start_blocking_portal() as portal:
        futures = [portal.start_task_soon(runner.run) for runner in (bridge, *consumers)]
        _wait(lambda: bridge.stats.catch_ups == 1 and _groups(redis) == 1)
        before = bridge.stats.appended
        started = time.perf_counter()
        _emit(server, room, peer, count, rate)
        _wait(lambda: bridge.stats.appended - before >= count)
        appended = time.perf_counter() - started
        _wait(lambda: collector.count >= count)
        for future in futures:
            future.cancel()
    return count / appended, collector


async def _append_path(url: str, count: int) -> tuple[float, float]:
    """(the bridge's append path, plain pipelined XADDs): events/s, batches of MAX_BATCH."""
    from jellyfish import ServerState
    from jellyfish.redis._bridge import MAX_BATCH, _Publisher
    from jellyfish.redis._connection import AsyncConnection
    from jellyfish.redis._entries import ACQUIRE, Keys, entry_args
    from jellyfish.redis._resp import RedisAddress, Script

    keys = Keys("bench:append")
    events = [
        ServerMessagePeerMetadataUpdated(room_id=f"r{i % 50}", peer_id="p", metadata='{"i": 1}')
        for i in range(count)
    ]
    async with await AsyncConnection.open(RedisAddress.from_url(url)) as redis:
        fence = await redis.run_script(Script(ACQUIRE), [keys.lease, keys.fence], ["b", 600_000])
        bridge = Bridge(url, stream=keys.stream)
        publisher = _Publisher(bridge, redis, f"{fence}:b", ServerState())
        started = time.perf_counter()
        for start in range(0, count, MAX_BATCH):
            await publisher.append(events[start : start + MAX_BATCH])
        ours = count / (time.perf_counter() - started)
        started = time.perf_counter()
        for start in range(0, count, MAX_BATCH):
            await redis.pipeline(
                [
                    ["XADD", "bench:raw", "*", "data", entry_args(event, False)[3]]
                    for event in events[start : start + MAX_BATCH]
                ]
            )
        raw = count / (time.perf_counter() - started)
    return ours, raw


def _groups(redis: RedisServer) -> int:
    try:
        return len(redis.execute("XINFO", "GROUPS", "jellyfish:events"))  # type: ignore[arg-type]
    except Exception:
        return 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(quick: bool) -> list[Result]:
    burst = 2_000 if quick else 10_000
    paced = 400 if quick else 2_000
    rate = 200.0
    webhooks = f"127.0.0.1:{_free_port()}"
    with tempfile.TemporaryDirectory() as directory, JellyfishServer() as server:
        redis = RedisServer(Path(directory)).start()
        try:
            with RoomApi(server.address, server.token) as api:
                _, room = api.create_room()
                peer = api.add_peer(room.id, PeerOptionsWebRTC()).peer.id
                _, hooked = api.create_room(webhook_url=f"http://{webhooks}/jellyfish")
                hooked_peer = api.add_peer(hooked.id, PeerOptionsWebRTC()).peer.id
            bare_rate, _ = _bare_notifier(server, room.id, peer, burst, 0)
            bridge_rate, _ = _through_redis(server, redis, room.id, peer, burst, 0)
            hooked_rate, _ = _through_redis(
                server, redis, hooked.id, hooked_peer, burst, 0, webhooks
            )
            _, bare = _bare_notifier(server, room.id, peer, paced, rate)
            _, streamed = _through_redis(server, redis, room.id, peer, paced, rate)
            _, hooked_streamed = _through_redis(
                server, redis, hooked.id, hooked_peer, paced, rate, webhooks
            )
            append_rate, xadd_rate = anyio.run(_append_path, redis.url, burst * 5)
            version = redis.version
        finally:
            redis.stop()
    bare_p50, bare_p99 = _latencies(bare.latencies)
    p50, p99 = _latencies(streamed.latencies)
    hooked_p50, hooked_p99 = _latencies(hooked_streamed.latencies)
    return [
        Result(
            f"bridge: append path, {burst * 5:,} events",
            append_rate,
            "events/s",
            raw=xadd_rate,
            raw_name="pipelined XADD, same batches",
            notes="fenced Lua script: lease check, seq, XADD MAXLEN ~, published state",
        ),
        Result(
            f"bridge: {burst:,} events into Redis",
            bridge_rate,
            "events/s",
            raw=bare_rate,
            raw_name="bare Notifier, same burst",
            notes=f"emulator burst, batched appends (Redis {version})",
        ),
        Result(
            f"bridge (webhooks): {burst:,} events into Redis",
            hooked_rate,
            "events/s",
            raw=bridge_rate,
            raw_name="bridge on the WebSocket, same burst",
            notes="the emulator POSTs one webhook at a time, as Jellyfish does; inbox, then stream",
        ),
        Result(
            f"bridge (webhooks) -> {CONSUMERS} consumers: latency p50",
            hooked_p50,
            "ms",
            notes=(
                f"{paced:,} events at {rate:.0f}/s, emitted -> handler; p99 {hooked_p99:.1f} ms"
            ),
        ),
        Result(
            f"bridge -> {CONSUMERS} consumers: latency p50",
            p50,
            "ms",
            notes=(
                f"{paced:,} events at {rate:.0f}/s, frame -> handler; p99 {p99:.1f} ms; "
                f"bare Notifier handler: p50 {bare_p50:.1f} ms, p99 {bare_p99:.1f} ms"
            ),
        ),
    ]


if __name__ == "__main__":
    for result in run("--quick" in sys.argv):
        print(result)
