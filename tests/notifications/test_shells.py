"""Both notifier shells around the one core, on asyncio, trio and blocking: faulty frames
are survived with a truthful message, backoff and max_attempts, flow control, close with a
backlog, settings from the environment, the close vocabulary, no token in reprs/locals."""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import pytest
from support.websocket import Opcode, close_frame, frame

from jellyfish import BlockingNotifier, Notifier, ReconnectPolicy, Timeouts
from jellyfish._notifications._core import Reconnected
from jellyfish._notifications._protocol import VIOLATION
from jellyfish.errors import ConnectionFailedError, NotifierTimeoutError
from jellyfish.events import ServerMessage as S

from ._wsserver import FakeServerSocket

pytestmark = pytest.mark.filterwarnings("error")

RETRY_FAST = ReconnectPolicy(initial_delay=0.01, max_delay=0.05, jitter=0)
MAX_SIZE = 1000


def created(i: int) -> bytes:
    return S(room_created=S.RoomCreated(room_id=str(i))).SerializeToString()


FAULTS: dict[str, Callable[[FakeServerSocket], None]] = {
    "text frame": lambda server: server.send_text("hello"),
    "masked frame": lambda server: server.send_raw(frame(Opcode.BINARY, created(9), masked=True)),
    "reserved bit": lambda server: server.send_raw(frame(Opcode.BINARY, created(9), rsv=0b100)),
    "reserved opcode": lambda server: server.send_raw(frame(Opcode.RESERVED_3, created(9))),
    "oversize frame": lambda server: server.send_raw(frame(Opcode.BINARY, b"\0" * (MAX_SIZE + 1))),
    "invalid close code": lambda server: server.send_raw(close_frame(999)),
}


@pytest.fixture
def fake_server() -> Iterator[FakeServerSocket]:
    with FakeServerSocket() as server:
        yield server


def assert_truthful(caplog: pytest.LogCaptureFixture) -> None:
    messages = [r.getMessage() for r in caplog.records if r.name == "jellyfish.notifier"]
    assert any(VIOLATION in m and "reconnect attempt 1" in m for m in messages), messages
    assert not any("server closed the connection (code 1002" in m for m in messages), messages


# -- faulty frames: reconnect with a truthful message -----------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("fault", FAULTS)
async def test_anyio_survives_faulty_frames(
    fault: str, fake_server: FakeServerSocket, caplog: pytest.LogCaptureFixture
) -> None:
    notifier = Notifier(fake_server.address, "development", reconnect=RETRY_FAST, max_size=MAX_SIZE)
    with caplog.at_level(logging.WARNING, logger="jellyfish.notifier"):
        async with notifier:
            await anyio.to_thread.run_sync(FAULTS[fault], fake_server)
            with anyio.fail_after(5):
                event = await notifier.__anext__()
                assert isinstance(event, Reconnected)
                assert str(event.error).startswith(VIOLATION)
                await anyio.to_thread.run_sync(fake_server.send, [created(1)])
                assert await notifier.__anext__() == S.RoomCreated(room_id="1")
    assert notifier.stats.reconnects == 1
    assert_truthful(caplog)


@pytest.mark.parametrize("fault", FAULTS)
def test_blocking_survives_faulty_frames(
    fault: str, fake_server: FakeServerSocket, caplog: pytest.LogCaptureFixture
) -> None:
    notifier = BlockingNotifier(
        fake_server.address, "development", reconnect=RETRY_FAST, max_size=MAX_SIZE
    )
    with caplog.at_level(logging.WARNING, logger="jellyfish.notifier"), notifier:
        FAULTS[fault](fake_server)
        event = next(notifier)
        assert isinstance(event, Reconnected)
        assert str(event.error).startswith(VIOLATION)
        fake_server.send([created(1)])
        assert next(notifier) == S.RoomCreated(room_id="1")
    assert notifier.stats.reconnects == 1
    assert_truthful(caplog)


# -- backoff and max_attempts across failed connects ---------------------------------------------

GIVE_UP = ReconnectPolicy(initial_delay=0.01, multiplier=2, jitter=0, max_attempts=3)


def assert_backoff_grew_then_gave_up(caplog: pytest.LogCaptureFixture) -> None:
    messages = [r.getMessage() for r in caplog.records if r.name == "jellyfish.notifier"]
    for attempt, delay in ((1, "0.01"), (2, "0.02"), (3, "0.04")):
        assert any(f"reconnect attempt {attempt} in {delay}s" in m for m in messages), messages
    assert any("gave up after 3 failed attempts" in m for m in messages), messages


@pytest.mark.anyio
async def test_anyio_backoff_grows_and_max_attempts_raises(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = FakeServerSocket().__enter__()
    notifier = Notifier(server.address, "development", reconnect=GIVE_UP)
    with caplog.at_level(logging.WARNING, logger="jellyfish.notifier"):
        async with notifier:
            await anyio.to_thread.run_sync(server.__exit__, None, None, None)
            with anyio.fail_after(5), pytest.raises(ConnectionFailedError):
                async for _ in notifier:
                    pass
    assert notifier.state == "failed"
    assert_backoff_grew_then_gave_up(caplog)


def test_blocking_backoff_grows_and_max_attempts_raises(caplog: pytest.LogCaptureFixture) -> None:
    server = FakeServerSocket().__enter__()
    notifier = BlockingNotifier(server.address, "development", reconnect=GIVE_UP)
    with caplog.at_level(logging.WARNING, logger="jellyfish.notifier"), notifier:
        server.__exit__(None, None, None)
        with pytest.raises(ConnectionFailedError):
            list(notifier)
    assert_backoff_grew_then_gave_up(caplog)


# -- flow control --------------------------------------------------------------------------------


async def wait_until(condition: Callable[[], bool]) -> None:
    """Poll ``notifier.stats`` (a snapshot an operator polls too), with a deadline."""
    with anyio.fail_after(5):
        while not condition():  # noqa: ASYNC110
            await anyio.sleep(0.005)


@pytest.mark.anyio
async def test_anyio_slow_handler_pauses_reading_and_loses_nothing(
    fake_server: FakeServerSocket, caplog: pytest.LogCaptureFixture
) -> None:
    notifier = Notifier(fake_server.address, "development", max_queue=5)
    gate = anyio.Event()
    seen: list[str] = []

    @notifier.on_server_notification
    async def slow(event: Any) -> None:
        await gate.wait()
        seen.append(event.room_id)

    with caplog.at_level(logging.WARNING, logger="jellyfish.notifier"):
        async with notifier:
            await anyio.to_thread.run_sync(fake_server.send, [created(i) for i in range(50)])
            await wait_until(lambda: notifier.stats.paused > 0)
            assert notifier.stats.queued <= 5
            gate.set()
            await wait_until(lambda: len(seen) == 50)
    assert seen == [str(i) for i in range(50)]
    assert "paused reading" in caplog.text


def test_blocking_slow_iterator_pauses_reading_and_loses_nothing(
    fake_server: FakeServerSocket,
) -> None:
    with BlockingNotifier(fake_server.address, "development", max_queue=5) as notifier:
        fake_server.send([created(i) for i in range(50)])
        deadline = time.monotonic() + 5
        while notifier.stats.paused == 0 and time.monotonic() < deadline:
            time.sleep(0.005)
        assert notifier.stats.paused > 0
        assert notifier.stats.queued <= 5
        got = [next(notifier) for _ in range(50)]
    assert got == [S.RoomCreated(room_id=str(i)) for i in range(50)]


@pytest.mark.anyio
async def test_anyio_close_with_a_backlog_is_prompt_and_reports_the_drop(
    fake_server: FakeServerSocket, caplog: pytest.LogCaptureFixture
) -> None:
    notifier = Notifier(fake_server.address, "development", max_queue=100)
    started = anyio.Event()

    @notifier.on_server_notification
    async def slow(event: Any) -> None:
        started.set()
        await anyio.sleep(0.05)  # 100 queued events would take 5 s to drain

    with caplog.at_level(logging.INFO, logger="jellyfish.notifier"):
        async with notifier:
            await anyio.to_thread.run_sync(fake_server.send, [created(i) for i in range(100)])
            await wait_until(lambda: notifier.stats.queued >= 50)
            await started.wait()
            start = time.monotonic()
        elapsed = time.monotonic() - start
    assert elapsed < 2  # not the 5 s a drain would take
    assert notifier.stats.dropped >= 50
    assert notifier.stats.queued == 0
    dropped = [r for r in caplog.records if "not yet consumed: dropped" in r.getMessage()]
    assert [r.levelno for r in dropped] == [logging.INFO]  # the caller chose to close


@pytest.mark.anyio
async def test_anyio_close_cancels_a_handler_that_does_not_finish(
    fake_server: FakeServerSocket, caplog: pytest.LogCaptureFixture
) -> None:
    notifier = Notifier(fake_server.address, "development")
    started = anyio.Event()

    @notifier.on_server_notification
    async def stuck(event: Any) -> None:
        started.set()
        await anyio.sleep_forever()

    with caplog.at_level(logging.WARNING, logger="jellyfish.notifier"):
        async with notifier:
            await anyio.to_thread.run_sync(fake_server.send, [created(1)])
            with anyio.fail_after(5):
                await started.wait()
    assert notifier.state == "closed"
    assert "was cancelled" in caplog.text


def test_blocking_close_with_a_backlog_drops_it(fake_server: FakeServerSocket) -> None:
    with BlockingNotifier(fake_server.address, "development") as notifier:
        fake_server.send([created(i) for i in range(20)])
        assert next(notifier) == S.RoomCreated(room_id="0")
        deadline = time.monotonic() + 5
        while notifier.stats.queued < 19 and time.monotonic() < deadline:
            time.sleep(0.005)
    assert notifier.stats.dropped == 19
    assert list(notifier) == []


def test_blocking_close_waits_for_the_running_handler_at_most_its_timeout(
    fake_server: FakeServerSocket,
) -> None:
    started, release = threading.Event(), threading.Event()
    notifier = BlockingNotifier(fake_server.address, "development")

    @notifier.on_server_notification
    def slow(event: Any) -> None:
        started.set()
        release.wait(5)

    notifier.start().wait_ready(5)
    fake_server.send([created(1)])
    assert started.wait(5)
    notifier.close(timeout=0.1)
    thread = notifier._thread
    assert thread is not None
    assert thread.is_alive()  # a thread cannot be cancelled: still in the handler
    release.set()
    notifier.close()
    assert not thread.is_alive()
    assert notifier.state == "closed"


@pytest.mark.anyio
async def test_a_kind_nobody_consumes_is_not_queued(fake_server: FakeServerSocket) -> None:
    notifier = Notifier(
        fake_server.address, "development", subscribe=("server_notifications", "metrics")
    )
    seen = anyio.Event()
    notifier.on_server_notification(lambda event: seen.set())
    report = S(metrics_report=S.MetricsReport(metrics="{}")).SerializeToString()
    async with notifier:
        await anyio.to_thread.run_sync(fake_server.send, [report] * 20 + [created(1)])
        with anyio.fail_after(5):
            await seen.wait()
        assert notifier.stats.received == 21
        assert notifier.stats.queued == 0


@pytest.mark.anyio
async def test_iterating_a_handler_only_notifier_is_a_clear_error(
    fake_server: FakeServerSocket,
) -> None:
    notifier = Notifier(fake_server.address, "development")
    notifier.on_server_notification(print)
    with pytest.raises(RuntimeError, match="queue_events=True"):
        async for _ in notifier:
            pass
    blocking = BlockingNotifier(fake_server.address, "development")
    blocking.on_server_notification(print)
    with pytest.raises(RuntimeError, match="goes to a handler"):
        next(iter(blocking))


# -- stopping, settings, errors, secrets ----------------------------------------------------------


@pytest.mark.anyio
async def test_040_notifier_stops_from_a_synchronous_handler(
    fake_server: FakeServerSocket,
) -> None:
    notifier = Notifier(server_address=fake_server.address, server_api_token="development")

    @notifier.on_server_notification
    def handle(event: Any) -> None:
        notifier.close()  # not awaited: no "never awaited" warning (warnings are errors here)

    async with anyio.create_task_group() as group:
        group.start_soon(notifier.connect)
        await notifier.wait_ready()
        await anyio.to_thread.run_sync(fake_server.send, [created(1)])
    assert notifier.state == "closed"
    await notifier.close()  # 0.4.0's awaitable close() still works
    await notifier.aclose()


@pytest.mark.anyio
async def test_wait_ready_timeout_is_a_notifier_timeout_error() -> None:
    with FakeServerSocket(silent_after_auth=True) as server:
        notifier = Notifier(server.address, "development", timeouts=Timeouts(subscribe=30))
        async with anyio.create_task_group() as group:
            group.start_soon(notifier.connect)
            with pytest.raises(NotifierTimeoutError) as caught:
                await notifier.wait_ready(0.2)
            assert isinstance(caught.value, TimeoutError)
            await notifier.aclose()


def test_wait_ready_timeout_is_a_notifier_timeout_error_blocking() -> None:
    with FakeServerSocket(silent_after_auth=True) as server:
        blocking = BlockingNotifier(server.address, "development", timeouts=Timeouts(subscribe=30))
        blocking.start()
        try:
            with pytest.raises(NotifierTimeoutError):
                blocking.wait_ready(0.2)
        finally:
            blocking.close()


TOKEN = "s3cr3t-token-for-reprs"


@pytest.fixture
def secret_server() -> Iterator[FakeServerSocket]:
    with FakeServerSocket(token=TOKEN) as server:
        yield server


@pytest.mark.anyio
async def test_settings_from_the_environment_and_a_repr_without_the_token(
    secret_server: FakeServerSocket, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JELLYFISH_ADDRESS", secret_server.address)
    monkeypatch.setenv("JELLYFISH_TOKEN", TOKEN)
    monkeypatch.delenv("JELLYFISH_SECURE", raising=False)
    notifier = Notifier()
    assert repr(notifier) == (
        f"Notifier(server_address='{secret_server.address}', secure=False, state='idle')"
    )
    async with notifier:
        assert "state='ready'" in repr(notifier)
        assert TOKEN not in repr(notifier)
    assert "state='closed'" in repr(notifier)


def test_blocking_settings_from_the_environment_and_a_repr_without_the_token(
    secret_server: FakeServerSocket, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JELLYFISH_ADDRESS", secret_server.address)
    monkeypatch.setenv("JELLYFISH_TOKEN", TOKEN)
    monkeypatch.delenv("JELLYFISH_SECURE", raising=False)
    with BlockingNotifier() as blocking:
        assert repr(blocking).startswith("BlockingNotifier(server_address='127.0.0.1:")
        assert "state='ready'" in repr(blocking)
        assert TOKEN not in repr(blocking)
    assert "state='closed'" in repr(blocking)


def test_defaults_without_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("JELLYFISH_ADDRESS", "JELLYFISH_TOKEN", "JELLYFISH_SECURE"):
        monkeypatch.delenv(name, raising=False)
    assert BlockingNotifier().url == "ws://localhost:5002/socket/server/websocket"
    monkeypatch.setenv("JELLYFISH_SECURE", "true")
    assert Notifier().url.startswith("wss://")


def test_a_failing_constructor_keeps_the_token_out_of_its_locals() -> None:
    try:
        BlockingNotifier("ftp://scheme-is-wrong:5002", TOKEN)
    except ValueError as error:
        traceback = error.__traceback__
    else:  # pragma: no cover
        pytest.fail("an address with a scheme other than http(s)/ws(s) must be refused")
    captured = []
    while traceback is not None:
        captured.extend(repr(v) for v in traceback.tb_frame.f_locals.values())
        traceback = traceback.tb_next
    assert captured
    assert not [text for text in captured if TOKEN in text]


def test_no_local_of_a_running_notifier_shows_the_token(secret_server: FakeServerSocket) -> None:
    """What a traceback-with-locals reporter would record: every frame of the receiving
    thread, from a handler up (the connection, handshake and receive loop frames)."""
    captured: list[str] = []
    handled = threading.Event()
    notifier = BlockingNotifier(secret_server.address, TOKEN)

    @notifier.on_server_notification
    def handle(event: Any) -> None:
        frame: Any = sys._getframe()
        while frame is not None:
            captured.extend(repr(value) for value in frame.f_locals.values())
            frame = frame.f_back
        handled.set()

    with notifier:
        secret_server.send([created(1)])
        assert handled.wait(5)
    assert len(captured) > 10
    assert not [text for text in captured if TOKEN in text]
