"""Slow consumers: bounded queues, nothing lost, nothing queued for nobody, prompt close().

Issue 10 defect 2. Each test is made deterministic by the proxy's record of what it
forwarded, not by timing: the only time bound is the generous one on ``close()``.
"""

from __future__ import annotations

import time
from typing import Any

import anyio
import pytest

from jellyfish import Notifier
from jellyfish.testing import JellyfishServer

from ._harness import FLAVOURS, NotifierRun, Producer, assert_no_duplicate_or_reorder
from ._proxy import FaultProxy

pytestmark = pytest.mark.emulator_only


def slow_handler(run: NotifierRun, seconds: float, queued: list[int] | None = None) -> None:
    """A handler taking ``seconds`` per event (the flavour's own way of waiting).

    It appends the notifier's queue length to ``queued`` each time: read in the thread
    that runs handlers, so no lock of the test is taken from there.
    """
    sample = (lambda: queued.append(run.notifier.stats.queued)) if queued is not None else None
    if run.flavour == "blocking":

        def handle_blocking(_: Any) -> None:
            if sample is not None:
                sample()
            time.sleep(seconds)

        run.notifier.on_server_notification(handle_blocking)
    else:

        async def handle(_: Any) -> None:
            if sample is not None:
                sample()
            await anyio.sleep(seconds)

        run.notifier.on_server_notification(handle)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_slow_consumer_stays_within_max_queue_and_loses_nothing(
    flavour: str, proxy: FaultProxy, server: Any
) -> None:
    run = NotifierRun(flavour, proxy.address, server.token, max_queue=16)
    queued: list[int] = []
    slow_handler(run, 0.002, queued)
    with run, Producer(server) as producer:
        run.wait_ready()
        numbers = producer.produce(400)
        run.wait_sequence(numbers)
        stats = run.stats
    assert max(queued) <= 16
    assert stats.dropped == 0
    assert run.reconnects() == []
    assert_no_duplicate_or_reorder(run)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_close_returns_promptly_with_a_backlog(
    flavour: str, proxy: FaultProxy, server: Any
) -> None:
    run = NotifierRun(flavour, proxy.address, server.token)
    slow_handler(run, 0.05)  # draining 400 would take 20 s
    with run, Producer(server) as producer:
        run.wait_ready()
        producer.produce(400)
        proxy.wait_for(lambda: sum(1 for _ in proxy.forwarded_binary()) >= 400)
        run.wait_for(lambda: len(run.sequence()) > 0, "the first notification")
        seconds = run.close()
        stats = run.stats
    assert seconds < 5, f"close() took {seconds:.1f} s"
    assert len(run.sequence()) < 400
    # nothing is lost silently: every event read from the socket was handled or is
    # counted as dropped by close() (the blocking notifier leaves unread ones to the server)
    assert len(run.events) + stats.dropped == stats.received, stats


@pytest.mark.anyio
async def test_a_kind_nobody_consumes_is_not_queued() -> None:
    async with JellyfishServer(metrics_interval=0.005) as server:
        notifier = Notifier(
            server.address, server.token, subscribe=["server_notifications", "metrics"]
        )
        notifier.on_server_notification(lambda _: None)  # metrics: no handler, no iteration
        async with notifier:
            with anyio.fail_after(15):
                # stats is a snapshot with no change event: poll it, bounded by fail_after
                while notifier.stats.received < 100:  # noqa: ASYNC110
                    await anyio.sleep(0.01)
            assert notifier.stats.queued == 0


def test_a_kind_nobody_consumes_is_not_queued_blocking() -> None:
    from jellyfish import BlockingNotifier

    with JellyfishServer(metrics_interval=0.005) as server:
        notifier = BlockingNotifier(
            server.address, server.token, subscribe=["server_notifications", "metrics"]
        )
        notifier.on_server_notification(lambda _: None)
        with notifier:
            deadline = time.monotonic() + 15
            while notifier.stats.received < 100:
                assert time.monotonic() < deadline, "no metrics reports arrived"
                time.sleep(0.01)
            assert notifier.stats.queued == 0
