"""A close requested at any time is honoured, from any thread, on every flavour.

0.5's anyio notifier lost a close requested before ``connect()`` ran (0.4.0's own
pattern ``task = create_task(n.connect()); await n.close(); await task`` hung), and its
``close()`` from another thread raised in that thread and wedged the notifier. Here the
close lands before the run, while connecting to a host that never answers, during the
upgrade, while waiting for ``authenticated`` or the acknowledgement, while ready, and
from a thread that is not the notifier's; every time the run ends within the close grace
and the notifier can run again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from typing import Any

import anyio
import pytest
from notifications._unanswered import unanswered as unanswered_address

from jellyfish import Notifier, ReconnectPolicy, Timeouts

from ._harness import FLAVOURS, WAIT, NotifierRun
from ._scripted import Peer, ScriptedServer

SLOW = Timeouts(connect=30, auth=30, subscribe=30)
"""Deadlines far beyond the test: only the close can end these runs."""
GRACE = SLOW.close


def stall_in_upgrade(peer: Peer) -> None:
    peer.read_request()
    peer.linger()


def stall_in_auth(peer: Peer) -> None:
    peer.upgrade()
    peer.expect("auth_request")
    peer.linger()


def stall_in_subscribe(peer: Peer) -> None:
    peer.upgrade()
    peer.authenticate()
    peer.expect("subscribe_request")
    peer.linger()


def ready(peer: Peer) -> None:
    peer.handshake()
    peer.linger()


STAGES = {
    "upgrade": stall_in_upgrade,
    "auth": stall_in_auth,
    "subscribe": stall_in_subscribe,
    "ready": ready,
}


def _wait_until_served(server: ScriptedServer, count: int) -> None:
    deadline = time.monotonic() + WAIT
    while server.connections < count:
        assert time.monotonic() < deadline, "the notifier never connected"
        time.sleep(0.005)


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("stage", list(STAGES))
@pytest.mark.parametrize("where", ["notifier's thread", "another thread"])
def test_close_is_honoured_at_every_stage(flavour: str, stage: str, where: str) -> None:
    with ScriptedServer(STAGES[stage]) as server:
        run = NotifierRun(flavour, server.address, "development", timeouts=SLOW)
        with run:
            _wait_until_served(server, 1)
            if stage == "ready":
                run.wait_ready()
            started = time.monotonic()
            if where == "another thread":
                run.notifier.close()  # the test's thread: for anyio, not the loop's
                run.finished.exception(WAIT)
            else:
                run.close()
            seconds = time.monotonic() - started
            assert run.finished.exception() is None
        assert run.notifier.state == "closed"
    assert seconds < GRACE + 1, f"close() took {seconds:.1f} s in the {stage} stage"
    assert not server.errors, server.errors


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_close_while_connecting_to_a_host_that_never_answers(flavour: str, unanswered: str) -> None:
    run = NotifierRun(flavour, unanswered, "development", timeouts=SLOW)
    with run:
        time.sleep(0.1)  # the TCP connect is pending (the kernel drops the SYNs)
        assert not run.finished.done()
        seconds = run.close()
    assert seconds < GRACE + 1


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_close_requested_before_connect_runs_is_honoured(flavour: str) -> None:
    """0.4.0: ``task = create_task(n.connect()); await n.close(); await task``."""
    with ScriptedServer(ready) as server:
        if flavour == "blocking":
            from jellyfish import BlockingNotifier

            notifier: Any = BlockingNotifier(server.address, "development")
            thread = threading.Thread(target=notifier.connect, name="fault-connect")
            notifier.close()
            thread.start()
            thread.join(WAIT)
            assert not thread.is_alive(), "connect() ignored the close requested before it"
        else:

            async def the_040_pattern() -> Notifier:
                notifier = Notifier(server.address, "development")
                with anyio.fail_after(WAIT):
                    async with anyio.create_task_group() as group:
                        group.start_soon(notifier.connect)  # not running yet...
                        await notifier.close()  # ...when the close is requested
                return notifier

            notifier = anyio.run(the_040_pattern, backend=flavour)
        assert notifier.state == "closed"
    assert server.connections == 0  # it never even connected


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_closed_from_another_thread_the_notifier_runs_again(flavour: str) -> None:
    with ScriptedServer(ready) as server:
        run = NotifierRun(flavour, server.address, "development")
        with run:
            run.wait_ready()
            run.notifier.close()  # from the test's thread
            assert run.finished.exception(WAIT) is None
            assert run.notifier.state == "closed"
            run.finished = Future()
            run.start()  # the same notifier, connect() again
            run.wait_ready()
    assert server.connections == 2


@pytest.fixture
def unanswered() -> Iterator[str]:
    with unanswered_address() as address:
        yield address


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_notifier_closed_during_backoff_reconnects_never(flavour: str) -> None:
    def cut(peer: Peer) -> None:
        peer.handshake()
        peer.sock.shutdown(2)

    slow = ReconnectPolicy(initial_delay=60, jitter=0)
    with ScriptedServer(cut) as server:
        run = NotifierRun(flavour, server.address, "development", reconnect=slow)
        with run:
            run.wait_for(lambda: server.connections == 1 and not run.notifier.ready, "the cut")
            seconds = run.close()
    assert seconds < GRACE + 1
    assert server.connections == 1
