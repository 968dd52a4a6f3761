"""Who consumes what, on both notifiers alike: one iterator at a time (a second one gets
a RuntimeError at once, nothing hangs, aclose() ends the iteration), iterating again
after ``break``, leaving early without a warning, ``subscribe="metrics"``, the
subscribe-acknowledgement timeout, and the warning for a BlockingNotifier in a loop."""

from __future__ import annotations

import logging
import sys
import threading
import types
import warnings
from typing import Any

import anyio
import pytest

from jellyfish import BlockingNotifier, Notifier, Subscription, Timeouts
from jellyfish.errors import NotifierTimeoutError
from jellyfish.events import ServerMessage as S

from ._wsserver import FakeServerSocket

pytestmark = pytest.mark.filterwarnings("error")

FRAMES = [S(room_created=S.RoomCreated(room_id=str(i))).SerializeToString() for i in range(5)]
EVENTS = [S.RoomCreated(room_id=str(i)) for i in range(5)]
WAIT = 10.0


# -- several consumers ----------------------------------------------------------------------


@pytest.mark.anyio
async def test_a_second_task_iterating_gets_a_runtime_error_and_aclose_ends_the_first() -> None:
    with FakeServerSocket() as server:
        async with Notifier(server.address, "development") as notifier:
            first_waiting = anyio.Event()
            got: list[Any] = []

            async def first() -> None:
                first_waiting.set()
                async for event in notifier:
                    got.append(event)

            with anyio.fail_after(WAIT):
                async with anyio.create_task_group() as group:
                    group.start_soon(first)
                    await first_waiting.wait()
                    await anyio.sleep(0.05)  # the first task now waits in __anext__
                    with pytest.raises(RuntimeError, match="already iterating"):
                        await notifier.__anext__()
                    await anyio.to_thread.run_sync(server.send, FRAMES[:1])
                    while not got:  # noqa: ASYNC110  (the first task got the event)
                        await anyio.sleep(0.01)
                    await notifier.aclose()  # ends the first task's iteration
            assert got == EVENTS[:1]


def test_a_second_thread_iterating_gets_a_runtime_error_and_close_ends_the_first() -> None:
    with FakeServerSocket() as server, BlockingNotifier(server.address, "development") as notifier:
        got: list[Any] = []
        waiting = threading.Event()

        def first() -> None:
            waiting.set()
            got.extend(notifier)

        thread = threading.Thread(target=first)
        thread.start()
        assert waiting.wait(WAIT)
        threading.Event().wait(0.05)  # the first thread now waits in __next__
        with pytest.raises(RuntimeError, match="already iterating"):
            next(notifier)
        server.send(FRAMES[:1])
        notifier.close()  # ends the first thread's iteration
        thread.join(WAIT)
        assert not thread.is_alive()
    assert got in ([], EVENTS[:1])  # close() drops what was not consumed yet


@pytest.mark.anyio
async def test_iterating_again_after_break_continues_where_it_stopped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with FakeServerSocket(post_subscribe_frames=FRAMES) as server:
        with caplog.at_level(logging.DEBUG, logger="jellyfish.notifier"):
            async with Notifier(server.address, "development") as notifier:
                got = []
                with anyio.fail_after(WAIT):
                    async for event in notifier:
                        got.append(event)
                        break
                    while notifier.stats.received < 5:  # noqa: ASYNC110  (all five queued)
                        await anyio.sleep(0.01)
                    async for event in notifier:
                        got.append(event)
                        if len(got) == 3:
                            break  # leaving early: two events are dropped, no warning
        assert got == EVENTS[:3]
        assert notifier.stats.dropped == 2
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_iterating_again_after_break_continues_where_it_stopped_blocking(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with (
        FakeServerSocket(post_subscribe_frames=FRAMES) as server,
        caplog.at_level(logging.DEBUG, logger="jellyfish.notifier"),
        BlockingNotifier(server.address, "development") as notifier,
    ):
        got = []
        for event in notifier:  # the README's pattern
            got.append(event)
            break
        while notifier.stats.received < 5:  # all five queued
            threading.Event().wait(0.01)
        for event in notifier:
            got.append(event)
            if len(got) == 3:
                break
    assert got == EVENTS[:3]
    assert notifier.stats.dropped == 2  # dropped when leaving `with`: no warning
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


# -- subscriptions --------------------------------------------------------------------------


@pytest.mark.parametrize("notifier_class", [Notifier, BlockingNotifier])
def test_subscribe_takes_one_subscription_or_several(notifier_class: Any) -> None:
    def subscriptions(value: Any) -> frozenset[Subscription]:
        return notifier_class("localhost:5002", "t", subscribe=value).subscriptions  # type: ignore[no-any-return]

    assert subscriptions("metrics") == {Subscription.METRICS}
    assert subscriptions(Subscription.METRICS) == {Subscription.METRICS}
    assert subscriptions(2) == {Subscription.METRICS}
    assert subscriptions(["metrics", "server_notifications"]) == set(Subscription)
    assert subscriptions(("server-notifications",)) == {Subscription.SERVER_NOTIFICATIONS}
    with pytest.raises(ValueError, match="unknown subscription 'metric'"):
        subscriptions("metric")


@pytest.mark.anyio
async def test_subscribe_metrics_string_subscribes_to_metrics_on_the_wire() -> None:
    with FakeServerSocket() as server:
        async with Notifier(server.address, "development", subscribe="metrics") as notifier:
            assert [client.subscribed for client in server.clients] == [{2}]
            assert notifier.subscriptions == {Subscription.METRICS}


def test_subscribe_metrics_string_subscribes_to_metrics_on_the_wire_blocking() -> None:
    with (
        FakeServerSocket() as server,
        BlockingNotifier(server.address, "development", subscribe="metrics"),
    ):
        assert [client.subscribed for client in server.clients] == [{2}]


@pytest.mark.anyio
async def test_an_unacknowledged_subscription_is_a_notifier_timeout_error() -> None:
    with FakeServerSocket(unacknowledged=[2]) as server:
        timeouts = Timeouts(subscribe=0.2)
        async with Notifier(server.address, "development", timeouts=timeouts) as notifier:
            with pytest.raises(NotifierTimeoutError, match="no acknowledgement of the METRICS"):
                await notifier.subscribe_metrics()


def test_an_unacknowledged_subscription_is_a_notifier_timeout_error_blocking() -> None:
    with FakeServerSocket(unacknowledged=[2]) as server:
        timeouts = Timeouts(subscribe=0.2)
        with (
            BlockingNotifier(server.address, "development", timeouts=timeouts) as notifier,
            pytest.raises(NotifierTimeoutError, match="no acknowledgement of the METRICS"),
        ):
            notifier.subscribe_metrics()


# -- a BlockingNotifier inside an event loop --------------------------------------------------


@pytest.mark.anyio
async def test_a_blocking_notifier_in_a_running_loop_warns_once_naming_notifier() -> None:
    with FakeServerSocket() as server:
        notifier = BlockingNotifier(server.address, "development")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            notifier.start()
            notifier.close()
            notifier.start()  # once per notifier, not per call
            notifier.close()
    assert [str(w.message) for w in caught if w.category is RuntimeWarning] == [
        "a BlockingNotifier was started inside a running "
        f"{_loop_name()} event loop: waiting for it (wait_ready, iteration, close, with) "
        "blocks the loop; use jellyfish.Notifier, which runs on asyncio and trio"
    ]
    assert caught[0].filename == __file__  # it points at the caller's line


def _loop_name() -> str:
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return "trio"
    return "asyncio"


def test_a_blocking_notifier_outside_any_loop_does_not_warn() -> None:
    with FakeServerSocket() as server, warnings.catch_warnings():
        warnings.simplefilter("error")
        with BlockingNotifier(server.address, "development"):
            pass


def test_a_trio_half_imported_by_another_thread_is_no_running_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The REST client imports httpcore (which imports trio) on its first call, perhaps in
    another thread while a BlockingNotifier starts here: a module without its attributes."""
    monkeypatch.setitem(sys.modules, "trio", types.ModuleType("trio"))
    with FakeServerSocket() as server, warnings.catch_warnings():
        warnings.simplefilter("error")
        with BlockingNotifier(server.address, "development"):
            pass
