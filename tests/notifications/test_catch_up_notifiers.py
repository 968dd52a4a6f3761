"""catch_up=True, router= and deliveries() on both notifiers (asyncio, trio, blocking).

Against the stand-in server, which answers ``GET /room`` with the rooms it is given (or
with the error statuses it is told to answer first): where a catch-up's events go in
the stream, what iteration yields, what a failing ``GET /room`` does, and the router's
handlers (several per type, async or plain, filtered, failing).
"""

from __future__ import annotations

import logging
import ssl
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest

from jellyfish import BlockingNotifier, Delivery, Notifier, ReconnectPolicy, Router, Timeouts
from jellyfish.errors import ServerError, UnauthorizedError
from jellyfish.events import Reconnected
from jellyfish.events import ServerMessage as S

from ._wsserver import FakeServerSocket
from .test_cancellation import CAUGHT_UP, EXPECTED, FRAMES, ROOMS

FLAVOURS = ["asyncio", "trio", "blocking"]
FAST = ReconnectPolicy(initial_delay=0.001, max_delay=0.001, jitter=0, retry_initial=True)
WAIT = 15.0


def run_notifier(
    flavour: str,
    address: str,
    consume: Callable[[Any], Any],
    handler: Callable[[Any], Any] | None = None,
    **options: Any,
) -> Any:
    """``consume(notifier)`` inside ``with``/``async with`` a notifier of ``flavour``.

    ``handler``: an ``on_server_notification`` handler, registered before it starts.
    """
    if flavour == "blocking":
        notifier = BlockingNotifier(address, "development", **options)
        if handler is not None:
            notifier.on_server_notification(handler)
        watchdog = threading.Timer(WAIT, notifier.close)  # a hang fails, never blocks
        watchdog.start()
        try:
            with notifier:
                return consume(notifier)
        finally:
            watchdog.cancel()

    async def main() -> Any:
        notifier = Notifier(address, "development", **options)
        if handler is not None:
            notifier.on_server_notification(handler)
        with anyio.fail_after(WAIT):
            async with notifier:
                return await consume(notifier)

    return anyio.run(main, backend=flavour)


def take(flavour: str, count: int, iterate: str = "deliveries") -> Callable[[Any], Any]:
    """A consumer: the first ``count`` items of ``notifier.deliveries()`` (or of iteration)."""
    if flavour == "blocking":

        def blocking(notifier: BlockingNotifier) -> list[Any]:
            got = []
            for item in notifier.deliveries() if iterate == "deliveries" else notifier:
                got.append(item)
                if len(got) == count:
                    break
            return got

        return blocking

    async def asynchronous(notifier: Notifier) -> list[Any]:
        got = []
        async for item in notifier.deliveries() if iterate == "deliveries" else notifier:
            got.append(item)
            if len(got) == count:
                break
        return got

    return asynchronous


def stats_now(flavour: str) -> Callable[[Any], Any]:
    """A consumer: ``notifier.stats`` once ready (entering waits until caught up)."""
    if flavour == "blocking":
        return lambda notifier: notifier.stats

    async def asynchronous(notifier: Notifier) -> Any:
        return notifier.stats

    return asynchronous


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_the_catch_up_comes_first_and_is_marked_synthetic(flavour: str) -> None:
    with FakeServerSocket(rooms=ROOMS, post_subscribe_frames=FRAMES) as server:
        got = run_notifier(flavour, server.address, take(flavour, 5), catch_up=True)
    assert [d.event for d in got] == CAUGHT_UP + EXPECTED
    assert [(d.synthetic, d.source) for d in got] == [(True, "catch_up")] * 2 + [
        (False, "websocket")
    ] * 3
    assert server.room_requests == 1


def take_all_closing_after(flavour: str, count: int) -> Callable[[Any], Any]:
    """A consumer: iterates ``deliveries()`` to its end, closing the notifier at ``count``."""
    if flavour == "blocking":

        def blocking(notifier: BlockingNotifier) -> list[Any]:
            got = []
            for item in notifier.deliveries():
                got.append(item)
                if len(got) == count:
                    notifier.close()
            return got

        return blocking

    async def asynchronous(notifier: Notifier) -> list[Any]:
        got = []
        async for item in notifier.deliveries():
            got.append(item)
            if len(got) == count:
                await notifier.aclose()
        return got

    return asynchronous


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_deliveries_end_when_the_notifier_closes(flavour: str) -> None:
    with FakeServerSocket(rooms=ROOMS, post_subscribe_frames=FRAMES) as server:
        got = run_notifier(
            flavour, server.address, take_all_closing_after(flavour, 5), catch_up=True
        )
    assert [d.event for d in got] == CAUGHT_UP + EXPECTED


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_plain_iteration_yields_the_bare_events(flavour: str) -> None:
    with FakeServerSocket(rooms=ROOMS, post_subscribe_frames=FRAMES) as server:
        got = run_notifier(flavour, server.address, take(flavour, 5, "plain"), catch_up=True)
    assert got == CAUGHT_UP + EXPECTED  # protobuf objects, as in 0.4.0
    assert not any(isinstance(event, Delivery) for event in got)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_without_catch_up_there_is_no_get_room(flavour: str) -> None:
    with FakeServerSocket(rooms=ROOMS, post_subscribe_frames=FRAMES) as server:
        got = run_notifier(flavour, server.address, take(flavour, 3))
    assert [(d.event, d.synthetic) for d in got] == [(event, False) for event in EXPECTED]
    assert server.room_requests == 0


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize(
    "failures",
    [[503, 500], [-1]],  # -1: a 200 whose body the connection cuts
    ids=["5xx", "body-cut"],
)
def test_failed_room_lists_are_tried_again_on_the_same_connection(
    flavour: str, failures: list[int]
) -> None:
    with FakeServerSocket(rooms=ROOMS, room_statuses=failures) as server:
        stats = run_notifier(
            flavour, server.address, stats_now(flavour), catch_up=True, reconnect=FAST
        )
        assert server.room_requests == len(failures) + 1
        assert server.connections == 1
    assert (stats.catch_ups, stats.synthesized, stats.reconnects) == (1, 2, 0)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_each_try_is_bounded_by_the_catch_up_timeout(flavour: str) -> None:
    timeouts = Timeouts(catch_up=0.3)
    with FakeServerSocket(rooms=ROOMS, room_statuses=[0]) as server:  # the first: no answer
        got = run_notifier(
            flavour, server.address, take(flavour, 2), catch_up=True, timeouts=timeouts
        )
        assert server.room_requests == 2
    assert [d.event for d in got] == CAUGHT_UP


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_on_handlers_get_the_synthesized_events_too(flavour: str) -> None:
    seen = Seen(until=5)

    def consume(notifier: Any) -> Any:
        if flavour == "blocking":
            return seen.done.wait(WAIT)
        return anyio.to_thread.run_sync(seen.done.wait, WAIT)

    with FakeServerSocket(rooms=ROOMS, post_subscribe_frames=FRAMES) as server:
        run_notifier(flavour, server.address, consume, seen.add, catch_up=True)
    assert seen.items == CAUGHT_UP + EXPECTED


@pytest.mark.parametrize("secure", [False, True], ids=["http", "https"])
def test_a_blocking_close_during_the_catch_up_ends_the_call(
    secure: bool, certificate: tuple[Path, Path], caplog: pytest.LogCaptureFixture
) -> None:
    """A thread cannot be cancelled, but the call's connection can be shut down under it."""
    server_options: dict[str, Any] = {}
    options: dict[str, Any] = {}
    if secure:
        cert, key = certificate
        server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server_context.load_cert_chain(cert, key)
        server_options["ssl_context"] = server_context
        options.update(secure=True, ssl_context=ssl.create_default_context(cafile=str(cert)))
    # the GET is never answered and its own timeout is far away: past the grace, close()
    # would return with a warning that the call is still running
    timeouts = Timeouts(catch_up=10 * WAIT, close=WAIT)
    with FakeServerSocket(rooms=ROOMS, room_statuses=[0], **server_options) as server:
        notifier = BlockingNotifier(
            server.address, "development", catch_up=True, timeouts=timeouts, **options
        )
        notifier.start()
        deadline = time.monotonic() + WAIT
        while server.room_requests == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert server.room_requests == 1
        notifier.close()
        assert notifier.state == "closed"
        assert server.room_requests == 1  # not tried again: closing
    assert "still running" not in caplog.text
    assert not any(record.levelno >= logging.WARNING for record in caplog.records)


def test_a_blocking_close_past_its_grace_says_what_it_left_running(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A handler still running when the grace ends: close() returns and says so."""
    release = threading.Event()
    started = threading.Event()

    def handler(event: Any) -> None:
        started.set()
        release.wait(WAIT)

    with FakeServerSocket(post_subscribe_frames=FRAMES) as server:
        notifier = BlockingNotifier(server.address, "development")
        notifier.on_server_notification(handler)
        notifier.start()
        try:
            assert started.wait(WAIT)
            notifier.close(timeout=0.1)
            assert "close(): a handler is still running after 0.1 s" in caplog.text
        finally:
            release.set()
            notifier.close(timeout=WAIT)  # joins the thread: no thread left behind


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_catch_up_that_keeps_failing_drops_the_connection_and_reconnects(
    flavour: str,
) -> None:
    with FakeServerSocket(
        rooms=ROOMS, room_statuses=[500] * 3, post_subscribe_frames=FRAMES
    ) as server:
        got = run_notifier(flavour, server.address, take(flavour, 6), catch_up=True, reconnect=FAST)
    reconnected, *rest = [d.event for d in got]
    assert isinstance(reconnected, Reconnected)
    assert isinstance(reconnected.error, ServerError)
    # the first connection's frames were never read: the second one's catch-up stands for them
    assert rest == CAUGHT_UP + EXPECTED
    assert server.room_requests == 4
    assert server.connections == 2


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_the_reconnect_policy_gives_up_with_the_last_error(flavour: str) -> None:
    policy = ReconnectPolicy(initial_delay=0.001, jitter=0, max_attempts=1, retry_initial=True)
    with FakeServerSocket(rooms=ROOMS, room_statuses=[500] * 100) as server:
        with pytest.raises(ServerError):
            run_notifier(flavour, server.address, take(flavour, 1), catch_up=True, reconnect=policy)
        assert server.room_requests == 6  # two connections, three tries each
        assert server.connections == 2


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_the_first_connection_fails_fast_without_retry_initial(flavour: str) -> None:
    quick = ReconnectPolicy(initial_delay=0.001, jitter=0)  # retry_initial=False, as in 0.4.0
    with FakeServerSocket(rooms=ROOMS, room_statuses=[500] * 100) as server:
        with pytest.raises(ServerError):
            run_notifier(flavour, server.address, take(flavour, 1), catch_up=True, reconnect=quick)
        assert server.room_requests == 3
        assert server.connections == 1


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_refused_catch_up_is_final(flavour: str, caplog: pytest.LogCaptureFixture) -> None:
    with FakeServerSocket(rooms=ROOMS, room_statuses=[401]) as server:
        with pytest.raises(UnauthorizedError):
            run_notifier(flavour, server.address, take(flavour, 1), catch_up=True, reconnect=FAST)
        assert server.room_requests == 1
        assert server.connections == 1
    assert "catch-up failed: GET /room: " in caplog.text


# -- router= -------------------------------------------------------------------------------


class Seen:
    """What the handlers saw, and a way to wait for it from any thread or event loop."""

    def __init__(self, until: int) -> None:
        self.items: list[Any] = []
        self.until = until
        self.done = threading.Event()

    def add(self, item: Any) -> None:
        self.items.append(item)
        if len(self.items) >= self.until:
            self.done.set()


def routes(seen: Seen, with_async: bool) -> Router:
    router = Router()

    @router.on(S.RoomCreated)
    def plain(event: Any, delivery: Delivery) -> None:
        seen.add(("plain", event.room_id, delivery.synthetic))

    @router.on(S.RoomCreated, room_id="1")
    def failing(event: Any) -> None:
        raise RuntimeError("handler bug")

    @router.on(S.PeerAdded, synthetic=True)
    def synthesized(event: Any) -> None:
        seen.add(("synthesized", event.peer_id))

    if with_async:

        @router.on(S.RoomCreated, S.PeerAdded)
        async def asynchronous(event: Any) -> None:
            await anyio.lowlevel.checkpoint()
            seen.add(("async", type(event).__name__.removeprefix("ServerMessage")))

    return router


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_router_handlers_several_per_type_and_failing_ones(
    flavour: str, caplog: pytest.LogCaptureFixture
) -> None:
    with_async = flavour != "blocking"
    seen = Seen(until=10 if with_async else 5)
    router = routes(seen, with_async)

    def consume(notifier: Any) -> Any:
        if flavour == "blocking":
            return seen.done.wait(WAIT)
        return anyio.to_thread.run_sync(seen.done.wait, WAIT)

    with FakeServerSocket(rooms=ROOMS, post_subscribe_frames=FRAMES) as server:
        run_notifier(flavour, server.address, consume, catch_up=True, router=router)
    expected = [
        ("plain", "before", True),
        ("async", "RoomCreated"),
        ("synthesized", "p"),
        ("async", "PeerAdded"),
    ]
    for room in "012":
        expected += [("plain", room, False), ("async", "RoomCreated")]
    if not with_async:
        expected = [item for item in expected if item[0] != "async"]
    assert seen.items[: len(expected)] == expected
    failures = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(failures) == 1  # logged, and every other handler and event went on
    assert "failed" in failures[0].getMessage()
    assert "handler bug" in caplog.text


def test_the_blocking_notifier_refuses_an_async_route() -> None:
    router = Router()

    @router.on(S.RoomCreated)
    async def asynchronous(event: Any) -> None:
        pass

    notifier = BlockingNotifier("127.0.0.1:9", "development", router=router)
    with pytest.raises(TypeError, match="is async: a BlockingNotifier runs plain functions"):
        notifier.start()
    with pytest.raises(TypeError, match=r"use jellyfish\.Notifier"):
        notifier.connect()
    assert notifier.state == "idle"


@pytest.mark.anyio
async def test_an_anyio_close_during_the_catch_up_cancels_the_call() -> None:
    timeouts = Timeouts(catch_up=60)
    with FakeServerSocket(rooms=ROOMS, room_statuses=[0]) as server:
        notifier = Notifier(server.address, "development", catch_up=True, timeouts=timeouts)
        with anyio.fail_after(5):  # far below the call's own timeout
            async with anyio.create_task_group() as group:
                group.start_soon(notifier.connect)
                while server.room_requests == 0:  # noqa: ASYNC110  (another thread's count)
                    await anyio.sleep(0.01)
                await notifier.aclose()
        assert notifier.state == "closed"
        assert server.room_requests == 1


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_the_catch_up_uses_the_notifiers_tls_settings(
    flavour: str, certificate: tuple[Path, Path]
) -> None:
    """``GET /room`` over https, trusting what the WebSocket trusts (``ssl_context``)."""
    cert, key = certificate
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    client_context = ssl.create_default_context(cafile=str(cert))
    with FakeServerSocket(rooms=ROOMS, ssl_context=server_context) as server:
        got = run_notifier(
            flavour,
            server.address,
            take(flavour, 2),
            catch_up=True,
            secure=True,
            ssl_context=client_context,
        )
        assert server.room_requests == 1
    assert [d.event for d in got] == CAUGHT_UP
