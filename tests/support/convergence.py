"""The convergence property's ingredients, for every source that catches up.

Issue 16's property: whatever happens during an outage, a consumer that applies the events
it receives ends with exactly the rooms and peers ``GET /room`` shows. The tests of the
notifiers (tests/faults/test_convergence.py) and of the Redis bridge
(tests/streams/test_convergence.py) drive the emulator with the same random operations,
from a seed printed on failure and replayable by ``JELLYFISH_CONVERGENCE_SEED``.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from jellyfish import PeerOptionsWebRTC, RoomApi
from jellyfish.testing import FakePeer, JellyfishServer

SEED_VARIABLE = "JELLYFISH_CONVERGENCE_SEED"


def convergence_seed() -> int:
    """``JELLYFISH_CONVERGENCE_SEED`` (to replay a failure), else a random seed."""
    return int(os.environ.get(SEED_VARIABLE, random.randrange(2**32)))


@contextmanager
def naming_the_seed(seed: int) -> Iterator[None]:
    """A failed assertion inside says how to replay it (the seed's variable and value)."""
    try:
        yield
    except AssertionError as failure:
        raise AssertionError(f"{failure} ({SEED_VARIABLE}={seed})") from None


def wait_until(condition: Callable[[], Any], timeout: float = 20.0, what: str = "") -> Any:
    """Poll ``condition()`` until it is true (its value), or fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(0.02)


class Operations:
    """Random operations on the emulator, straight to it (never through a fault proxy)."""

    def __init__(self, server: JellyfishServer, rng: random.Random, **room_options: Any) -> None:
        self.server = server
        self.rng = rng
        self.room_options = room_options  # for create_room (a webhook_url)
        self.api = RoomApi(server.address, server.token)
        self.peers: dict[str, FakePeer] = {}  # connected peers by id

    def close(self) -> None:
        self.forget_peers()
        self.api.close()

    def forget_peers(self) -> None:
        """Close the fake peers (after a restart of the emulator, they are gone anyway)."""
        for peer in self.peers.values():
            peer.close()
        self.peers.clear()

    def one(self) -> None:
        rng, api, server = self.rng, self.api, self.server
        rooms = server.room_ids()
        choice = rng.random()
        if not rooms or choice < 0.2:
            api.create_room(**self.room_options)
            return
        room_id = rng.choice(rooms)
        room = api.get_room(room_id)
        peers = [p.id for p in room.peers]
        if choice < 0.3:
            api.delete_room(room_id)
        elif choice < 0.33:
            server.crash_room(room_id)
        elif choice < 0.55 or not peers:
            api.add_peer(room_id, PeerOptionsWebRTC())
        elif choice < 0.62:
            api.delete_peer(room_id, rng.choice(peers))
        elif choice < 0.75:
            peer_id = rng.choice(peers)
            if peer_id in self.peers:
                self.peers.pop(peer_id).close()
            else:
                token = api.add_peer(room_id, PeerOptionsWebRTC())
                self.peers[token.peer.id] = FakePeer(server.address, token.token)
        elif choice < 0.9:
            connected = [p for p in peers if p in self.peers]
            if connected:
                server.add_track(room_id, rng.choice(connected), rng.choice(["audio", "video"]))
        else:
            connected = [p for p in peers if p in self.peers]
            if connected:
                server.set_peer_metadata(room_id, rng.choice(connected), {"n": rng.random()})


def outage(fault: str, operations: Operations, proxy: Any) -> None:
    """Inflict ``fault`` while random operations go on (straight to the emulator).

    ``"proxy down"``: Jellyfish unreachable through ``proxy`` (a ``FaultProxy``), REST and
    WebSocket, for up to 0.3 s; ``"drop websockets"``: the emulator drops the server
    WebSockets; ``"restart"``: the emulator restarts (every room gone, without a
    notification); ``"none"``.
    """
    rng, server = operations.rng, operations.server
    if fault == "proxy down":
        proxy.down()
        for _ in range(rng.randrange(1, 10)):
            operations.one()
        time.sleep(rng.random() * 0.3)
        proxy.up()
    elif fault == "drop websockets":
        server.drop_server_websockets()
        for _ in range(rng.randrange(1, 6)):
            operations.one()
    elif fault == "restart":
        operations.forget_peers()
        server.restart()
        for _ in range(rng.randrange(0, 4)):
            operations.one()
    elif fault != "none":
        raise ValueError(fault)


def random_outages(
    operations: Operations,
    proxy: Any,
    catch_ups: Callable[[], int],
    *,
    rounds: int,
    faults: Sequence[str],
    weights: Sequence[float] | None = None,
) -> list[str]:
    """Rounds of random operations, each ending with a random :func:`outage`.

    After half the faults it waits for the catch-up that follows (``catch_ups()`` counts
    them); the other half overlap with the next round. Returns the faults, in order.
    """
    rng = operations.rng
    inflicted = []
    for _ in range(rounds):
        for _ in range(rng.randrange(3, 10)):
            operations.one()
        caught_up = catch_ups()
        fault = rng.choices(faults, weights)[0]
        outage(fault, operations, proxy)
        inflicted.append(fault)
        if fault != "none" and rng.random() < 0.5:
            wait_until(lambda n=caught_up: catch_ups() > n, what="catch-up")
    return inflicted
