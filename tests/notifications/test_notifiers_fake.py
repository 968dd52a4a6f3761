"""Notifier behaviour that needs a hand-driven server: pings, dead peers, odd frames,
handler semantics, timeouts. Runs on asyncio, trio and blocking."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import anyio
import pytest

from jellyfish import NO_RECONNECT, BlockingNotifier, Notifier, Timeouts
from jellyfish.errors import (
    ConnectionFailedError,
    NotifierClosedError,
    NotifierTimeoutError,
    ProtocolError,
)
from jellyfish.events import ServerMessage as S
from jellyfish.events import UnknownNotification

from ._wsserver import FakeServerSocket

pytestmark = pytest.mark.filterwarnings("error")

FAST = Timeouts(connect=2, auth=1, subscribe=0.3, ping_interval=0.1, ping_timeout=0.15)


def created(i: int) -> bytes:
    return S(room_created=S.RoomCreated(room_id=str(i))).SerializeToString()


UNKNOWN = bytes([0x9A, 0x06, 0x03, 0x0A, 0x01, 0x72])  # field 99: a newer server's event


@pytest.fixture
def fake_server() -> Any:
    with FakeServerSocket() as server:
        yield server


# -- anyio -----------------------------------------------------------------------------


@pytest.mark.anyio
async def test_several_handlers_async_handlers_and_failing_handlers(
    fake_server: FakeServerSocket, caplog: pytest.LogCaptureFixture
) -> None:
    notifier = Notifier(fake_server.address, "development")
    sync_seen: list[str] = []
    async_seen: list[str] = []
    done = anyio.Event()

    @notifier.on_server_notification
    def broken(event: Any) -> None:
        raise RuntimeError("handler bug")

    @notifier.on_server_notification
    def record(event: Any) -> None:
        sync_seen.append(event.room_id)

    @notifier.on_server_notification
    async def record_async(event: Any) -> None:
        await anyio.lowlevel.checkpoint()
        async_seen.append(event.room_id)
        if len(async_seen) == 3:
            done.set()

    with caplog.at_level(logging.ERROR, logger="jellyfish.notifier"):
        async with anyio.create_task_group() as group:
            group.start_soon(notifier.connect)
            await notifier.wait_ready()
            await anyio.to_thread.run_sync(fake_server.send, [created(i) for i in range(3)])
            with anyio.fail_after(5):
                await done.wait()
            await notifier.close()
    assert sync_seen == ["0", "1", "2"]
    assert async_seen == ["0", "1", "2"]
    assert (
        sum("handler bug" in r.getMessage() or "failed" in r.getMessage() for r in caplog.records)
        == 3
    )


@pytest.mark.anyio
async def test_unknown_and_garbage_frames(
    fake_server: FakeServerSocket, caplog: pytest.LogCaptureFixture
) -> None:
    async with Notifier(fake_server.address, "development") as notifier:
        with caplog.at_level(logging.ERROR, logger="jellyfish.notifier"):
            await anyio.to_thread.run_sync(
                fake_server.send, [created(1), UNKNOWN, b"\xff\xff", created(2)]
            )
            got: list[Any] = []
            with anyio.fail_after(5):
                async for event in notifier:
                    got.append(event)
                    if len(got) == 3:
                        break
    assert got[0] == S.RoomCreated(room_id="1")
    assert got[1] == UnknownNotification(UNKNOWN)
    assert got[2] == S.RoomCreated(room_id="2")
    assert any("undecodable" in r.getMessage() for r in caplog.records)


@pytest.mark.anyio
async def test_answers_server_pings(fake_server: FakeServerSocket) -> None:
    async with Notifier(fake_server.address, "development"):
        await anyio.to_thread.run_sync(fake_server.ping)
        assert await anyio.to_thread.run_sync(fake_server.pong_received.wait, 5)


@pytest.mark.anyio
async def test_dead_connection_is_detected(fake_server: FakeServerSocket) -> None:
    notifier = Notifier(fake_server.address, "development", timeouts=FAST, reconnect=NO_RECONNECT)
    errors: list[BaseException] = []
    async with anyio.create_task_group() as group:
        group.start_soon(_capture, notifier.connect, errors)
        await notifier.wait_ready()
        await anyio.to_thread.run_sync(fake_server.freeze)
        with anyio.fail_after(5), pytest.raises(NotifierTimeoutError, match="ping"):
            async for _ in notifier:
                pass
    assert len(errors) == 1
    assert isinstance(errors[0], NotifierTimeoutError)


async def _capture(function: Any, errors: list[BaseException]) -> None:
    try:
        await function()
    except Exception as error:
        errors.append(error)


@pytest.mark.anyio
async def test_subscribe_timeout_fails_wait_ready() -> None:
    with FakeServerSocket(silent_after_auth=True) as server:
        notifier = Notifier(server.address, "development", timeouts=FAST)
        with anyio.fail_after(5), pytest.raises(NotifierTimeoutError, match="subscribe"):
            async with notifier:
                pass


@pytest.mark.anyio
async def test_connection_refused_fails_fast_and_wait_ready_raises() -> None:
    with FakeServerSocket() as server:
        address = server.address
    notifier = Notifier(address, "development")
    errors: list[BaseException] = []
    async with anyio.create_task_group() as group:
        group.start_soon(_capture, notifier.connect, errors)
        with anyio.fail_after(5), pytest.raises(ConnectionFailedError, match="cannot connect"):
            await notifier.wait_ready()
    assert errors == [notifier._failure]


@pytest.mark.anyio
async def test_subscribe_metrics_while_connected(fake_server: FakeServerSocket) -> None:
    async with Notifier(fake_server.address, "development") as notifier:
        assert notifier.subscriptions == {1}
        with anyio.fail_after(5):
            await notifier.subscribe_metrics()
        assert notifier.ready
        assert notifier.subscriptions == {1, 2}


@pytest.mark.anyio
async def test_protocol_violation_ends_a_notifier_that_does_not_reconnect(
    fake_server: FakeServerSocket,
) -> None:
    async with Notifier(fake_server.address, "development", reconnect=NO_RECONNECT) as notifier:
        await anyio.to_thread.run_sync(
            fake_server.send, [S(authenticated=S.Authenticated()).SerializeToString()]
        )
        with anyio.fail_after(5), pytest.raises(ProtocolError):
            async for _ in notifier:
                pass


@pytest.mark.anyio
async def test_close_before_connect_and_twice(fake_server: FakeServerSocket) -> None:
    notifier = Notifier(fake_server.address, "development")
    await notifier.close()
    async with notifier:
        pass
    async with notifier:  # reusable
        assert notifier.ready
    await notifier.close()
    with pytest.raises(NotifierClosedError):
        await notifier.wait_ready()


# -- blocking ---------------------------------------------------------------------------


def test_blocking_handlers_iteration_unknown_and_garbage(
    fake_server: FakeServerSocket, caplog: pytest.LogCaptureFixture
) -> None:
    notifier = BlockingNotifier(fake_server.address, "development", queue_events=True)
    seen: list[Any] = []
    notifier.on_server_notification(seen.append)

    @notifier.on_server_notification
    def broken(event: Any) -> None:
        raise RuntimeError("handler bug")

    with caplog.at_level(logging.ERROR, logger="jellyfish.notifier"), notifier:
        fake_server.send([created(1), UNKNOWN, b"\xff\xff", created(2)])
        got = [next(notifier) for _ in range(3)]
    assert got == seen
    assert got == [
        S.RoomCreated(room_id="1"),
        UnknownNotification(UNKNOWN),
        S.RoomCreated(room_id="2"),
    ]
    assert list(notifier) == []  # closed: iteration ends
    assert any("undecodable" in r.getMessage() for r in caplog.records)


def test_blocking_connect_in_caller_thread_and_close_from_handler(
    fake_server: FakeServerSocket,
) -> None:
    notifier = BlockingNotifier(fake_server.address, "development")
    seen: list[str] = []

    @notifier.on_server_notification
    def handle(event: Any) -> None:
        seen.append(event.room_id)
        if len(seen) == 2:
            notifier.close()

    sender = threading.Thread(
        target=lambda: (notifier.wait_ready(5), fake_server.send([created(1), created(2)]))
    )
    sender.start()
    notifier.connect()  # returns once the handler closes it
    sender.join()
    assert seen == ["1", "2"]


def test_blocking_answers_pings_and_detects_dead_connection(
    fake_server: FakeServerSocket,
) -> None:
    notifier = BlockingNotifier(
        fake_server.address, "development", timeouts=FAST, reconnect=NO_RECONNECT
    )
    notifier.start()
    notifier.wait_ready(5)
    fake_server.ping()
    assert fake_server.pong_received.wait(5)
    fake_server.freeze()
    with pytest.raises(NotifierTimeoutError, match="ping"):
        for _ in notifier:
            pass
    notifier.close()


def test_blocking_subscribe_timeout_and_refused() -> None:
    with FakeServerSocket(silent_after_auth=True) as server:
        notifier = BlockingNotifier(server.address, "development", timeouts=FAST)
        with pytest.raises(NotifierTimeoutError, match="subscribe"), notifier:
            pass
        address = server.address
    with pytest.raises(ConnectionFailedError, match="cannot connect"):
        BlockingNotifier(address, "development").connect()
    notifier = BlockingNotifier(address, "development").start()
    with pytest.raises(ConnectionFailedError):
        notifier.wait_ready(5)
    notifier.close()


def test_blocking_close_is_prompt_and_joins(fake_server: FakeServerSocket) -> None:
    notifier = BlockingNotifier(fake_server.address, "development").start()
    notifier.wait_ready(5)
    notifier.subscribe_metrics()
    assert notifier.ready
    start = time.monotonic()
    notifier.close()
    assert time.monotonic() - start < 2
    with pytest.raises(NotifierClosedError):
        notifier.wait_ready(1)


def test_blocking_close_interrupts_a_hanging_connect(unanswered_address: str) -> None:
    notifier = BlockingNotifier(
        unanswered_address, "development", timeouts=Timeouts(connect=30)
    ).start()
    thread = notifier._thread
    assert thread is not None
    with pytest.raises(TimeoutError):
        notifier.wait_ready(0.2)  # still connecting
    start = time.monotonic()
    notifier.close()
    assert time.monotonic() - start < 2  # not the 30 s connect timeout
    assert not thread.is_alive()
