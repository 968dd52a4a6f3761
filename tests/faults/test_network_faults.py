"""Network faults between a notifier and the server, on asyncio, trio and blocking.

Each test: numbered notifications before the fault all arrive, those produced after the
notifier says ``Reconnected`` all arrive, only those of the fault window may be lost, and
nothing is ever duplicated or reordered. Every wait is bounded (a hang fails the test).
"""

from __future__ import annotations

from typing import Any

import pytest
from support.websocket import Opcode, frame

from jellyfish import ReconnectPolicy, Timeouts
from jellyfish.testing import JellyfishServer

from ._harness import FLAVOURS, NotifierRun, Producer, assert_no_duplicate_or_reorder
from ._proxy import Cut, FaultProxy

pytestmark = pytest.mark.emulator_only

FAST = ReconnectPolicy(initial_delay=0.02, max_delay=0.2, jitter=0.5)


def notifier_run(flavour: str, proxy: FaultProxy, server: Any, **options: Any) -> NotifierRun:
    options.setdefault("reconnect", FAST)
    return NotifierRun(flavour, proxy.address, server.token, **options)


def survive(run: NotifierRun, producer: Producer, fault: Any) -> None:
    """Before the fault, the fault (with traffic in its window), one reconnect, after it."""
    run.wait_ready()
    before = producer.produce(20)
    run.wait_sequence(before)
    fault()
    window = producer.produce(20)
    run.wait_reconnects(1)
    after = producer.produce(20)
    run.wait_sequence(after)
    assert len(run.reconnects()) == 1, run.summary()
    assert_no_duplicate_or_reorder(run)
    assert set(before) | set(after) <= set(run.sequence())
    del window  # produced while the connection was broken: these may be lost, nothing else


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("how", list(Cut), ids=[c.value for c in Cut])
def test_cut_is_survived(flavour: str, how: Cut, proxy: FaultProxy, server: Any) -> None:
    with notifier_run(flavour, proxy, server) as run, Producer(server) as producer:
        survive(run, producer, lambda: proxy.cut(how))
        assert len(proxy.attempts) == 2


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_black_hole_is_detected_by_the_ping_deadline(
    flavour: str, proxy: FaultProxy, server: Any
) -> None:
    timeouts = Timeouts(ping_interval=0.2, ping_timeout=0.2)
    with (
        notifier_run(flavour, proxy, server, timeouts=timeouts) as run,
        Producer(server) as producer,
    ):
        survive(run, producer, proxy.black_hole)
        assert isinstance(run.reconnects()[0].error, TimeoutError)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_dripped_bytes_are_reassembled(flavour: str, proxy: FaultProxy, server: Any) -> None:
    proxy.drip = 0.0002  # every server byte in its own TCP segment, handshake included
    with notifier_run(flavour, proxy, server) as run, Producer(server) as producer:
        run.wait_ready()
        numbers = producer.produce(10)
        run.wait_sequence(numbers)
    assert run.sequence()[-10:] == list(numbers)
    assert run.reconnects() == []


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_server_restart_is_survived(
    flavour: str, proxy: FaultProxy, server: JellyfishServer
) -> None:
    with notifier_run(flavour, proxy, server) as run:
        run.wait_ready()
        with Producer(server) as producer:
            run.wait_sequence(producer.produce(5))
        server.restart()  # the emulator forgets its rooms, as Jellyfish does
        run.wait_reconnects(1)
        with Producer(server) as producer:
            producer.produce(5)
            run.wait_for(lambda: len(run.sequence()) == 12, "the second room's notifications")
    assert len(run.reconnects()) == 1
    assert run.sequence() == [-1, 0, 1, 2, 3, 4, -1, 0, 1, 2, 3, 4]


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_one_reconnected_per_reconnect(flavour: str, proxy: FaultProxy, server: Any) -> None:
    with notifier_run(flavour, proxy, server) as run, Producer(server) as producer:
        run.wait_ready()
        for count, how in enumerate([Cut.FIN, Cut.RST, Cut.FIN], start=1):
            proxy.cut(how)
            run.wait_reconnects(count)
            run.wait_sequence(producer.produce(5))
    assert [r.connection for r in run.reconnects()] == [2, 3, 4]
    assert len(proxy.attempts) == 4
    assert_no_duplicate_or_reorder(run)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_close_during_a_long_backoff_returns_promptly(
    flavour: str, proxy: FaultProxy, server: Any
) -> None:
    slow = ReconnectPolicy(initial_delay=60, max_delay=60, jitter=0)
    with notifier_run(flavour, proxy, server, reconnect=slow) as run:
        run.wait_ready()
        proxy.cut(Cut.RST)
        run.wait_for(lambda: not run.notifier.ready, "the notifier to notice the cut")
        seconds = run.close()
    assert seconds < 5, f"close() took {seconds:.1f} s during a 60 s backoff"
    assert len(proxy.attempts) == 1


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_frame_that_stops_halfway_is_detected_by_the_ping_deadline(
    flavour: str, proxy: FaultProxy, server: Any
) -> None:
    timeouts = Timeouts(ping_interval=0.2, ping_timeout=0.2)
    half_frame = frame(Opcode.BINARY, bytes(100), declared_length=1000)

    def stall() -> None:
        proxy.inject(half_frame)  # 100 of 1,000 announced bytes ...
        proxy.black_hole()  # ... and not one more, while the socket stays open

    with (
        notifier_run(flavour, proxy, server, timeouts=timeouts) as run,
        Producer(server) as producer,
    ):
        survive(run, producer, stall)
        assert isinstance(run.reconnects()[0].error, TimeoutError)
