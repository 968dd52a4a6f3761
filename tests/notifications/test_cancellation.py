"""Structured concurrency, proven: the anyio notifier under a cancel at every checkpoint.

Each scenario (enter, iterate, handler, handshake, backoff, close, catch-up) runs again and again
on asyncio and trio, cancelled after its 1st, 2nd, 3rd, ... checkpoint until a run
completes (see ``_checkpoints.py``); after every run the notifier is closed, its
connection is gone, no task is left, the caller's scope reported the cancel, the test's
own task is intact and nothing was logged as an error. Then the patterns users write:
the newcomer's ``move_on_after`` around ``async with``/``async for``, a trio service
whose nursery a real SIGTERM cancels, and KeyboardInterrupt on both backends.
"""

from __future__ import annotations

import logging
import os
import signal
import ssl
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import anyio.lowlevel
import pytest

from jellyfish import Notifier, ReconnectPolicy
from jellyfish.events import Reconnected
from jellyfish.events import ServerMessage as S

from ._checkpoints import KINDS, backend, cancel_at_every_checkpoint
from ._wsserver import FakeServerSocket

pytestmark = pytest.mark.filterwarnings("error")

FRAMES = [S(room_created=S.RoomCreated(room_id=str(i))).SerializeToString() for i in range(3)]
EXPECTED = [S.RoomCreated(room_id=str(i)) for i in range(3)]
ROOMS = [
    {
        "id": "before",
        "config": {"roomId": "before"},
        "components": [],
        "peers": [
            {"id": "p", "type": "webrtc", "status": "disconnected", "tracks": [], "metadata": None}
        ],
    }
]
"""What ``GET /room`` shows: a room created before the notifier started, with a peer."""
CAUGHT_UP = [S.RoomCreated(room_id="before"), S.PeerAdded(room_id="before", peer_id="p")]
FAST = ReconnectPolicy(initial_delay=0.001, max_delay=0.001, jitter=0)
WAIT = 10.0


class Run:
    """Makes one fresh notifier per run; checks it (and its connection) after the run."""

    def __init__(self, server: FakeServerSocket, **options: Any) -> None:
        self.server = server
        self.options = options
        self.notifiers: list[Notifier] = []
        self.cut_while_catching_up = 0
        """Runs that ended in the middle of a catch-up (its ``GET /room``)."""

    def make(self) -> Notifier:
        notifier = Notifier(self.server.address, "development", **self.options)
        self.notifiers.append(notifier)
        return notifier

    async def check(self) -> None:
        for notifier in self.notifiers:
            assert notifier.state == "closed" or notifier.state == "idle", repr(notifier)
            assert not notifier.ready
            self.cut_while_catching_up += notifier._core.catching_up
        self.notifiers.clear()
        with anyio.fail_after(WAIT):  # the server's end of every connection is closed
            while self.server.clients:  # noqa: ASYNC110  (another thread's list)
                await anyio.sleep(0.002)


# -- the scenarios ------------------------------------------------------------------------


async def enter(run: Run) -> None:
    async with run.make() as notifier:
        assert notifier.ready


async def iterate(run: Run) -> None:
    got = []
    async with run.make() as notifier:
        async for event in notifier:
            got.append(event)
            if len(got) == 3:
                break  # leaving early: no warning, the rest is dropped
    assert got == EXPECTED


async def handler(run: Run) -> None:
    notifier = run.make()
    seen: list[Any] = []
    done = anyio.Event()

    @notifier.on_server_notification
    async def handle(event: Any) -> None:
        await anyio.lowlevel.checkpoint()
        seen.append(event)
        await anyio.lowlevel.checkpoint()
        if len(seen) == 3:
            done.set()

    async with notifier:
        await done.wait()
    assert seen == EXPECTED


async def handshake(run: Run) -> None:
    """TLS, the upgrade, auth and subscribe, run the 0.4.0 way (connect() in a task)."""
    notifier = run.make()
    async with anyio.create_task_group() as group:
        group.start_soon(notifier.connect)
        await notifier.wait_ready()
        await notifier.aclose()


async def backoff(run: Run) -> None:
    """The server cuts every connection once it is ready: backoff, reconnect, twice."""
    async with run.make() as notifier:
        async for event in notifier:
            if isinstance(event, Reconnected) and event.connection == 3:
                break


async def close(run: Run) -> None:
    """0.4.0's close before connect() ran; then a close with a handler busy."""
    notifier = run.make()
    async with anyio.create_task_group() as group:
        group.start_soon(notifier.connect)
        await notifier.close()  # requested before connect() began: honoured
    assert notifier.state == "closed"
    notifier = run.make()
    first = anyio.Event()

    @notifier.on_server_notification
    async def handle(event: Any) -> None:
        first.set()
        await anyio.lowlevel.checkpoint()

    async with notifier:
        await first.wait()
        await notifier.aclose()  # then leaving `async with` closes again: harmless


async def catch_up(run: Run) -> None:
    """catch_up=True: the REST client's ``GET /room`` once the connection is ready."""
    got = []
    async with run.make() as notifier:
        async for delivery in notifier.deliveries():
            got.append(delivery)
            if len(got) == 5:
                break
    assert [d.event for d in got] == CAUGHT_UP + EXPECTED
    assert [d.synthetic for d in got] == [True, True, False, False, False]


SCENARIOS: dict[str, Callable[[Run], Awaitable[None]]] = {
    "enter": enter,
    "iterate": iterate,
    "handler": handler,
    "handshake": handshake,
    "backoff": backoff,
    "close": close,
    "catch_up": catch_up,
}


@pytest.fixture
def tls_contexts(certificate: tuple[Path, Path]) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    cert, key = certificate
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert, key)
    return server, ssl.create_default_context(cafile=str(cert))


@pytest.fixture
def make_run(
    request: pytest.FixtureRequest, tls_contexts: tuple[ssl.SSLContext, ssl.SSLContext]
) -> Iterator[Callable[[str], Run]]:
    servers: list[FakeServerSocket] = []

    def make(scenario: str) -> Run:
        server_options: dict[str, Any] = {"post_subscribe_frames": FRAMES}
        options: dict[str, Any] = {}
        if scenario == "handshake":
            server_options["ssl_context"] = tls_contexts[0]
            options.update(secure=True, ssl_context=tls_contexts[1])
        if scenario == "backoff":
            server_options["drop_connections"] = sys.maxsize  # every connection, once ready
            options["reconnect"] = FAST
        if scenario == "catch_up":
            server_options["rooms"] = ROOMS
            options["catch_up"] = True
        server = FakeServerSocket(**server_options).__enter__()
        servers.append(server)
        return Run(server, **options)

    yield make
    for server in servers:
        server.__exit__(None, None, None)


def _cases() -> Iterator[Any]:
    for name in ("asyncio", "trio"):
        for kind in KINDS[name]:
            for scenario in SCENARIOS:
                # every scenario with a plain cancel; every way of cancelling on two of them
                if kind == "scope" or scenario in ("enter", "iterate", "catch_up"):
                    yield pytest.param(name, kind, scenario, id=f"{name}-{kind}-{scenario}")


@pytest.mark.parametrize(("anyio_backend", "kind", "scenario"), list(_cases()))
@pytest.mark.anyio
async def test_cancel_at_every_checkpoint(
    kind: str, scenario: str, make_run: Callable[[str], Run]
) -> None:
    run = make_run(scenario)
    reports = await cancel_at_every_checkpoint(lambda: SCENARIOS[scenario](run), run.check, kind)
    completed = reports[-1]
    assert not completed.fired
    assert len(reports) > 10, f"only {len(reports)} checkpoints: the counter counts nothing?"
    if scenario == "catch_up":  # the cancel landed in the REST call, more than once
        assert run.cut_while_catching_up >= 3, run.cut_while_catching_up


# -- the patterns users write ----------------------------------------------------------------


@pytest.mark.anyio
async def test_the_newcomers_pattern(caplog: pytest.LogCaptureFixture) -> None:
    """``move_on_after`` around ``async with``/``async for``: it crashed on both backends."""
    with FakeServerSocket() as server:  # subscribed, and silent
        notifier = Notifier(server.address, "development")
        with caplog.at_level(logging.INFO), anyio.move_on_after(0.5) as scope:
            async with notifier:
                async for event in notifier:
                    print(event)
        assert scope.cancelled_caught
        assert notifier.state == "closed"
        with anyio.move_on_after(0) as later:  # the caller's scopes still work
            await anyio.sleep(1)
        assert later.cancelled_caught
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.mark.anyio
async def test_cancelled_while_connecting_to_a_host_that_never_answers(
    unanswered_address: str,
) -> None:
    notifier = Notifier(unanswered_address, "development")
    with anyio.move_on_after(0.3) as scope:
        async with notifier:
            pytest.fail("connected to a host that never answers")
    assert scope.cancelled_caught
    assert notifier.state == "closed"


def test_a_trio_service_whose_nursery_a_real_sigterm_cancels(
    caplog: pytest.LogCaptureFixture,
) -> None:
    trio = pytest.importorskip("trio")
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals are delivered to the main thread")
    received: list[Any] = []
    notifiers: list[Notifier] = []

    async def service(address: str) -> None:
        async with trio.open_nursery() as nursery:
            with trio.open_signal_receiver(signal.SIGTERM) as signals:
                ready = trio.Event()

                async def notifications() -> None:
                    async with Notifier(address, "development") as notifier:
                        notifiers.append(notifier)
                        async for event in notifier:
                            received.append(event)
                            if len(received) == 3:
                                ready.set()

                nursery.start_soon(notifications)
                await ready.wait()
                os.kill(os.getpid(), signal.SIGTERM)  # what a process manager sends
                async for signum in signals:
                    assert signum == signal.SIGTERM
                    nursery.cancel_scope.cancel()
                    break

    with FakeServerSocket(post_subscribe_frames=FRAMES) as server, caplog.at_level(logging.INFO):
        trio.run(service, server.address)
    assert received == EXPECTED
    (notifier,) = notifiers
    assert notifier.state == "closed"
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.mark.parametrize("backend_name", ["asyncio", "trio"])
def test_keyboard_interrupt(backend_name: str) -> None:
    """Ctrl-C: asyncio.run cancels the main task (3.11+), trio raises it at a checkpoint."""
    if backend_name == "asyncio" and sys.version_info < (3, 11):
        pytest.skip("asyncio.run cancels its task on SIGINT from Python 3.11")
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals are delivered to the main thread")
    notifiers: list[Notifier] = []

    async def main(address: str) -> None:
        async with Notifier(address, "development") as notifier:
            notifiers.append(notifier)
            signal.raise_signal(signal.SIGINT)
            async for _ in notifier:
                pass

    with FakeServerSocket() as server, pytest.raises(KeyboardInterrupt):
        anyio.run(main, server.address, backend=backend_name)
    (notifier,) = notifiers
    assert notifier.state == "closed"


@pytest.mark.anyio
async def test_the_run_of_connect_is_cancelled_by_its_task_group() -> None:
    with FakeServerSocket(post_subscribe_frames=FRAMES) as server:
        notifier = Notifier(server.address, "development")
        async with anyio.create_task_group() as group:
            group.start_soon(notifier.connect)
            await notifier.wait_ready()
            group.cancel_scope.cancel()
        assert group.cancel_scope.cancelled_caught
        assert notifier.state == "closed"
        async with notifier:  # and it can run again
            assert notifier.ready
    assert backend() in ("asyncio", "trio")
