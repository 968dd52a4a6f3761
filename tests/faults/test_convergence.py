"""The convergence property on the notifiers: random operations during random outages.

With ``catch_up=True``, whatever happens while a notifier is cut off from Jellyfish (the
fault proxy refuses and resets connections, REST included; the emulator drops the server
WebSockets; the emulator restarts and loses every room), a consumer that applies the
events it receives (``ServerState.apply``, synthesized ones included) ends with exactly
the rooms, peers and tracks ``GET /room`` shows. On asyncio (iterating ``deliveries()``),
trio (a router's async handler) and blocking (a router's handler, and plain iteration).
The seed is printed on failure; set ``JELLYFISH_CONVERGENCE_SEED`` to replay one. The
operations are those of the Redis bridge's version (tests/streams/test_convergence.py).
"""

from __future__ import annotations

import concurrent.futures
import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import anyio
import pytest
from anyio.from_thread import start_blocking_portal
from support.convergence import (
    Operations,
    convergence_seed,
    naming_the_seed,
    random_outages,
    wait_until,
)

from jellyfish import (
    BlockingNotifier,
    Delivery,
    Notifier,
    ReconnectPolicy,
    Router,
    ServerState,
    Timeouts,
)
from jellyfish.events import Reconnected
from jellyfish.events import ServerMessage as S
from jellyfish.testing import JellyfishServer

from ._proxy import FaultProxy

pytestmark = pytest.mark.emulator_only

RECONNECT = ReconnectPolicy(initial_delay=0.05, max_delay=0.2, retry_initial=True)
TIMEOUTS = Timeouts(connect=2, auth=2, subscribe=2, catch_up=2)
FAULTS = ["proxy down", "drop websockets", "restart", "none"]
FAULT_WEIGHTS = [4, 3, 1, 2]
CONSUMERS = [
    ("asyncio", "deliveries"),
    ("trio", "router"),
    ("blocking", "router"),
    ("blocking", "iteration"),
]


class Consumer:
    """Applies what it receives, as an application would; thread-safe."""

    def __init__(self) -> None:
        self._state = ServerState()
        self._lock = threading.Lock()
        self.received = 0
        self.synthetic = 0
        self.deliveries: list[Delivery] = []
        """What a router's handler got, in order."""

    def apply(self, event: Any, synthetic: bool = False) -> None:
        with self._lock:
            self._state.apply(event)
            self.received += 1
            self.synthetic += synthetic

    def record(self, event: Any, delivery: Delivery) -> None:
        """A router's handler."""
        self.apply(event, delivery.synthetic)
        with self._lock:
            self.deliveries.append(delivery)

    def state(self) -> ServerState:
        with self._lock:
            return self._state.copy()


async def _consume(notifier: Notifier, mode: str, consumer: Consumer) -> None:
    async with notifier:
        if mode == "deliveries":
            async for delivery in notifier.deliveries():
                consumer.apply(delivery.event, delivery.synthetic)
        else:
            await anyio.sleep_forever()


@contextmanager
def running(flavour: str, mode: str, address: str, token: str, consumer: Consumer) -> Iterator[Any]:
    """A catching-up notifier of ``flavour`` feeding ``consumer`` the way ``mode`` says."""
    options: dict[str, Any] = {"catch_up": True, "reconnect": RECONNECT, "timeouts": TIMEOUTS}
    if mode == "router":
        router = Router()
        if flavour == "blocking":
            router.add(consumer.record)
        else:

            @router.on()
            async def record(event: Any, delivery: Delivery) -> None:
                await anyio.lowlevel.checkpoint()
                consumer.record(event, delivery)

        options["router"] = router
    if flavour == "blocking":
        notifier = BlockingNotifier(address, token, **options)
        iterator = threading.Thread(target=lambda: [consumer.apply(e) for e in notifier])
        notifier.start()
        if mode == "iteration":
            iterator.start()
        try:
            yield notifier
        finally:
            notifier.close()
            if iterator.is_alive():
                iterator.join(5)
        return
    with start_blocking_portal(flavour) as portal:
        notifier = Notifier(address, token, **options)
        future = portal.start_task_soon(_consume, notifier, mode, consumer)
        try:
            yield notifier
        finally:
            future.cancel()
            with suppress(concurrent.futures.CancelledError):
                future.result(5)


@pytest.mark.parametrize(("flavour", "mode"), CONSUMERS, ids=[f"{f}-{m}" for f, m in CONSUMERS])
def test_a_consumer_of_a_catching_up_notifier_converges_whatever_the_outages(
    flavour: str,
    mode: str,
    server: JellyfishServer,
    proxy: FaultProxy,
    caplog: pytest.LogCaptureFixture,
) -> None:
    seed = convergence_seed()
    rng = random.Random(seed)
    operations = Operations(server, rng)
    consumer = Consumer()

    def converged() -> bool:
        return consumer.state() == ServerState.from_rooms(operations.api.get_all_rooms())

    def abandoned() -> int:
        """Catch-ups that failed CATCH_UP_ATTEMPTS times: each drops its connection (logged)
        and the next connection catches up instead."""
        return sum(
            "dropping the connection" in record.getMessage()
            for record in caplog.records
            if record.name == "jellyfish.notifier"
        )

    try:
        with naming_the_seed(seed):
            for _ in range(rng.randrange(0, 6)):  # what exists before the notifier starts
                operations.one()
            with running(flavour, mode, proxy.address, server.token, consumer) as notifier:
                wait_until(lambda: notifier.stats.catch_ups >= 1, what="the first catch-up")
                faults = random_outages(
                    operations,
                    proxy,
                    lambda: notifier.stats.catch_ups,
                    rounds=8,
                    faults=FAULTS,
                    weights=FAULT_WEIGHTS,
                )
                for _ in range(rng.randrange(2, 8)):
                    operations.one()
                wait_until(converged, timeout=30, what="convergence")

                def every_connection_caught_up() -> bool:
                    stats = notifier.stats
                    return stats.catch_ups + abandoned() == stats.reconnects + 1

                wait_until(every_connection_caught_up, what="a catch-up on every connection")
                stats = notifier.stats
    finally:
        operations.close()
    rooms = len(consumer.state().rooms)
    print(
        f"seed {seed}: {len(faults) - faults.count('none')} outages "
        f"({faults.count('restart')} restarts), {stats.reconnects} reconnects, "
        f"{stats.catch_ups} catch-ups ({abandoned()} abandoned), "
        f"{consumer.received} events received ({stats.synthesized} synthesized); "
        f"converged to {rooms} rooms"
    )


@pytest.mark.parametrize("flavour", ["asyncio", "trio", "blocking"])
def test_what_happened_during_an_outage_arrives_after_reconnected(
    flavour: str, server: JellyfishServer, proxy: FaultProxy
) -> None:
    """The documented sequence: ``Reconnected``, then the catch-up, then live events."""
    operations = Operations(server, random.Random(0))
    api = operations.api
    _, kept = api.create_room()
    _, doomed = api.create_room()
    consumer = Consumer()
    received = consumer.deliveries
    try:
        with running(flavour, "router", proxy.address, server.token, consumer) as notifier:
            wait_until(lambda: notifier.stats.catch_ups == 1, what="the first catch-up")
            proxy.down()
            api.delete_room(doomed.id)
            _, missed = api.create_room()
            proxy.up()
            wait_until(lambda: notifier.stats.catch_ups == 2, what="the second catch-up")
            _, live = api.create_room()
            wait_until(lambda: len(received) == 6, what="the live RoomCreated")
    finally:
        operations.close()
    assert [(type(d.event), d.synthetic) for d in received] == [
        (S.RoomCreated, True),
        (S.RoomCreated, True),
        (Reconnected, False),
        (S.RoomDeleted, True),
        (S.RoomCreated, True),
        (S.RoomCreated, False),
    ]
    assert {d.event.room_id for d in received[:2]} == {kept.id, doomed.id}
    assert [d.event.room_id for d in received[3:]] == [doomed.id, missed.id, live.id]
    # the notifications of the outage never reached the notifier: the catch-up stood for them
    assert not any(missed.id.encode() in payload for payload in proxy.forwarded_binary())
