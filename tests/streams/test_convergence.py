"""The convergence property, end to end: random operations during random outages.

Whatever happens while the bridge is cut off from Jellyfish (the fault proxy refuses and
resets connections, or the emulator drops the server WebSockets), the consumers of the
stream, applying the events they receive in sequence order, end with exactly the rooms,
peers and tracks ``GET /room`` shows. The seed is printed on failure; set
``JELLYFISH_CONVERGENCE_SEED`` to replay one. The random operations are those of the
notifiers' version (tests/faults/test_convergence.py), in ``support/convergence.py``.
"""

from __future__ import annotations

import random

import pytest
from faults._proxy import FaultProxy
from support.convergence import Operations, convergence_seed, naming_the_seed, random_outages

from jellyfish import ServerState
from jellyfish.redis import StreamConsumer
from jellyfish.testing import JellyfishServer

from ._helpers import Consumed, new_bridge, read_stream, running, wait_until
from ._redis_server import RedisServer

pytestmark = pytest.mark.emulator_only


@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
def test_bridge_and_consumers_converge_whatever_the_outages(
    redis_server: RedisServer, anyio_backend: str
) -> None:
    seed = convergence_seed()
    rng = random.Random(seed)
    consumed = Consumed()
    with JellyfishServer() as server, FaultProxy(server.address) as proxy:
        operations = Operations(server, rng)
        bridge = new_bridge(server, redis_server, server_address=proxy.address)
        consumers = [
            StreamConsumer(
                redis_server.url, "app", consumer=f"c{i}", router=consumed.router(), start="0"
            )
            for i in range(2)
        ]
        try:
            with naming_the_seed(seed), running(anyio_backend, bridge, *consumers):
                wait_until(lambda: bridge.stats.catch_ups >= 1, what="the bridge's first catch-up")
                faults = random_outages(
                    operations,
                    proxy,
                    lambda: bridge.stats.catch_ups,
                    rounds=10,
                    faults=["proxy down", "drop websockets", "none"],
                )
                expected = ServerState.from_rooms(operations.api.get_all_rooms())
                wait_until(lambda: consumed.state() == expected, timeout=30, what="convergence")
                catch_ups = bridge.stats.catch_ups
        finally:
            operations.close()
    stream = read_stream(redis_server)
    assert [d.sequence for d in stream] == list(range(1, len(stream) + 1)), seed
    print(
        f"seed {seed}: {len(faults) - faults.count('none')} outages, {catch_ups} catch-ups, "
        f"{consumed.summary(stream)}; converged to {len(expected.rooms)} rooms"
    )
