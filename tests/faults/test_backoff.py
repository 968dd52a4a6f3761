"""A server that stays down: the backoff grows and ``max_attempts`` ends the retries.

Issue 10 defect 1: every failure before the WebSocket upgrade used to reset the attempt
counter, so the notifier retried every 0.1-0.5 s forever. Only lower bounds of time are
asserted (a sleep is never shorter than asked), so a loaded machine cannot fail them.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

import pytest

from jellyfish import ReconnectPolicy
from jellyfish.errors import ConnectionFailedError, NotifierError

from ._harness import FLAVOURS, NotifierRun
from ._proxy import Cut, FaultProxy

pytestmark = pytest.mark.emulator_only

POLICY = ReconnectPolicy(initial_delay=0.05, multiplier=2, max_delay=10, jitter=0, max_attempts=4)
EARLY = 0.9
"""Timers may fire a clock tick early; a gap must reach 90% of its delay."""


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_attempts_that_fail_before_the_upgrade_count_and_back_off(
    flavour: str, proxy: FaultProxy, server: Any
) -> None:
    with NotifierRun(flavour, proxy.address, server.token, reconnect=POLICY) as run:
        run.wait_ready()
        proxy.reset_new_connections = True  # accepts, then resets: fails before the upgrade
        proxy.cut(Cut.RST)
        error = run.wait_finished()
    assert isinstance(error, ConnectionFailedError | NotifierError), repr(error)
    retries = proxy.attempts[1:]
    assert len(retries) == POLICY.max_attempts
    gaps = [later - earlier for earlier, later in itertools.pairwise(retries)]
    for attempt, gap in enumerate(gaps, start=1):
        assert gap >= EARLY * POLICY.initial_delay * POLICY.multiplier**attempt, gaps
    assert run.reconnects() == []


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_refusing_server_ends_in_connection_failed(
    flavour: str, proxy: FaultProxy, server: Any
) -> None:
    policy = ReconnectPolicy(
        initial_delay=0.05, multiplier=2, max_delay=10, jitter=0, max_attempts=3
    )
    with NotifierRun(flavour, proxy.address, server.token, reconnect=policy) as run:
        run.wait_ready()
        down = time.monotonic()
        proxy.down()  # connections are refused from now on
        error = run.wait_finished()
        elapsed = time.monotonic() - down
    assert isinstance(error, ConnectionFailedError), repr(error)
    assert elapsed >= EARLY * (0.05 + 0.1 + 0.2)
