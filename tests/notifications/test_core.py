"""The sans-I/O notifier core, without sockets or clocks: backoff, attempts, liveness,
frame verdicts, flow control."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from support.websocket import AUTHENTICATED, subscribe_response

from jellyfish._notifications._core import NotifierCore, Reconnected
from jellyfish._notifications._protocol import (
    VIOLATION,
    NotifierProtocol,
    ReconnectPolicy,
    SecretFrame,
    Subscription,
    Timeouts,
)
from jellyfish.errors import (
    ConnectionFailedError,
    InvalidTokenError,
    NotifierClosedError,
    NotifierTimeoutError,
    ProtocolError,
)
from jellyfish.events import ServerMessage as S
from jellyfish.events import UnknownNotification

TIMEOUTS = Timeouts(connect=10, auth=5, subscribe=3, ping_interval=20, ping_timeout=7)
NO_JITTER = ReconnectPolicy(initial_delay=0.5, max_delay=4, multiplier=2, jitter=0)
METRICS = S(metrics_report=S.MetricsReport(metrics="{}")).SerializeToString()


def created(room: str) -> bytes:
    return S(room_created=S.RoomCreated(room_id=room)).SerializeToString()


def make_core(
    reconnect: ReconnectPolicy = NO_JITTER, *, max_queue: int = 4, **options: Any
) -> NotifierCore:
    return NotifierCore(
        NotifierProtocol("s3cr3t"),
        url="ws://jf:5002/socket/server/websocket",
        reconnect=reconnect,
        timeouts=TIMEOUTS,
        max_queue=max_queue,
        max_size=options.pop("max_size", 1000),
        queue_events=options.pop("queue_events", None),
    )


def connect_ready(core: NotifierCore, now: float = 0.0) -> Reconnected | None:
    """Drive one connection to ready; returns the Reconnected it produced, if any."""
    core.attempt_started(now)
    core.upgraded(now)
    assert core.message_received(AUTHENTICATED) is None
    core.handshake_progress(now)
    assert core.message_received(subscribe_response(1)) is None
    _, reconnected = core.handshake_progress(now)
    assert core.ready
    return reconnected


REFUSED = ConnectionFailedError("cannot connect to the server: refused", "ws://jf")
DROPPED = NotifierClosedError("the connection broke")


# -- reconnect policy and attempts -------------------------------------------------------


def test_backoff_is_a_pure_iterator_that_grows_caps_and_jitters() -> None:
    delays = NO_JITTER.backoff()
    assert [next(delays) for _ in range(6)] == [0.5, 1, 2, 4, 4, 4]
    jittered = ReconnectPolicy(initial_delay=1, jitter=0.5).backoff(lambda: 1.0)
    assert [next(jittered) for _ in range(2)] == [0.5, 1.0]


def test_failures_before_the_upgrade_count_and_backoff_grows() -> None:
    """Defect 1: a refused TCP connect used to reset the attempt counter."""
    core = make_core(ReconnectPolicy(initial_delay=0.5, jitter=0, max_attempts=3))
    core.start()
    connect_ready(core)
    delays = [core.connection_failed(DROPPED)]
    for _ in range(2):
        core.attempt_started(0)
        delays.append(core.connection_failed(REFUSED))  # refused: never upgraded
    assert delays == [0.5, 1.0, 2.0]
    core.attempt_started(0)
    with pytest.raises(ConnectionFailedError):
        core.connection_failed(REFUSED)


def test_a_ready_connection_resets_the_attempts_and_yields_reconnected() -> None:
    core = make_core(ReconnectPolicy(initial_delay=1, jitter=0, max_attempts=2))
    core.start()
    assert connect_ready(core) is None  # the first connection is no reconnect
    assert core.connection_failed(DROPPED) == 1
    assert core.connection_failed(REFUSED) == 2
    reconnected = connect_ready(core)
    assert reconnected == Reconnected(2, REFUSED)
    assert core.stats().reconnects == 1
    assert core.connection_failed(DROPPED) == 1  # afresh


def test_first_connection_fails_fast_unless_retry_initial() -> None:
    core = make_core()
    core.start()
    with pytest.raises(ConnectionFailedError):
        core.connection_failed(REFUSED)
    core = make_core(ReconnectPolicy(jitter=0, initial_delay=0.1, retry_initial=True))
    core.start()
    assert core.connection_failed(REFUSED) == 0.1


def test_max_attempts_zero_never_reconnects() -> None:
    core = make_core(ReconnectPolicy(max_attempts=0))
    core.start()
    connect_ready(core)
    with pytest.raises(NotifierClosedError):
        core.connection_failed(DROPPED)


@pytest.mark.parametrize(
    ("code", "reason", "kind", "retryable"),
    [
        (1000, "invalid token", InvalidTokenError, False),
        (1003, "operation not allowed", ProtocolError, False),
        (1000, "invalid auth request", ProtocolError, False),
        (1001, "going away", NotifierClosedError, True),
        (1011, "", NotifierClosedError, True),
        (1005, "", NotifierClosedError, True),
        (999, "", ProtocolError, True),
        (1004, "", ProtocolError, True),
        (2999, "", ProtocolError, True),
    ],
)
def test_close_verdicts(code: int, reason: str, kind: type[Exception], retryable: bool) -> None:
    core = make_core()
    core.start()
    connect_ready(core)
    error = core.close_received(code, reason)
    assert type(error) is kind
    assert core.retryable(error) is retryable
    if retryable:
        assert core.connection_failed(error) > 0
    else:
        with pytest.raises(kind):
            core.connection_failed(error)


def test_a_refused_upgrade_is_a_retryable_connection_failure() -> None:
    error = make_core().upgrade_refused(404)
    assert isinstance(error, ConnectionFailedError)
    assert "HTTP 404" in str(error)
    assert make_core().retryable(error)


def test_an_invalid_close_code_is_reported_as_the_clients_finding() -> None:
    """Defect 5: a violation the client detects never reads "the server closed"."""
    core = make_core()
    error = core.close_received(999, "")
    assert str(error).startswith(VIOLATION)
    assert "server closed" not in str(error)


# -- liveness -------------------------------------------------------------------------------


def test_deadlines_and_pings_with_a_fake_clock() -> None:
    core = make_core()
    core.start()
    assert core.attempt_started(100.0) == 110.0
    assert core.read_timeout(104.0) == 6.0
    with pytest.raises(NotifierTimeoutError, match="connecting"):
        core.read_timed_out(110.0)
    core.attempt_started(200.0)
    core.upgraded(200.0)
    assert core.read_timeout(201.0) == 4.0  # auth deadline before the ping interval
    with pytest.raises(NotifierTimeoutError, match="'authenticated'"):
        core.read_timed_out(205.0)
    connect_ready(core, 300.0)
    assert core.read_timeout(300.0) == TIMEOUTS.ping_interval
    assert core.read_timed_out(320.0) == b"jf"  # idle: ping
    assert core.read_timeout(320.0) == TIMEOUTS.ping_timeout
    with pytest.raises(NotifierTimeoutError, match="no answer to ping"):
        core.read_timed_out(327.0)


def test_incoming_data_answers_the_ping() -> None:
    core = make_core()
    core.start()
    connect_ready(core)
    core.read_timed_out(20.0)
    core.data_received()
    assert core.read_timeout(21.0) == TIMEOUTS.ping_interval
    assert core.read_timed_out(41.0) == b"jf"


def test_subscribe_while_ready_arms_the_subscribe_deadline() -> None:
    core = make_core()
    core.start()
    connect_ready(core, 0.0)
    assert core.subscribe(Subscription.METRICS, 10.0, connected=True)
    assert not core.ready
    with pytest.raises(NotifierTimeoutError, match="subscribe_response"):
        core.read_timed_out(13.0)


# -- frame verdicts ---------------------------------------------------------------------------


def test_frame_verdicts_name_the_violation_and_the_close_code() -> None:
    core = make_core(max_size=1000)
    text = core.text_received()
    assert str(text) == f"{VIOLATION}: the server sent a text frame"
    assert core.close_code == 1003
    assert "masked" in str(core.masked_received())
    assert core.close_code == 1002
    core.check_size(1000)
    with pytest.raises(ProtocolError, match="1001 bytes exceeds max_size=1000"):
        core.check_size(1001)
    assert core.close_code == 1009
    assert core.retryable(text)


def test_handshake_violation_is_retryable_and_garbage_is_dropped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    core = make_core()
    core.start()
    connect_ready(core)
    with caplog.at_level(logging.ERROR, logger="jellyfish.notifier"):
        assert core.message_received(b"\xff\xff") is None
    assert "undecodable" in caplog.text
    with pytest.raises(ProtocolError, match="second 'authenticated'") as caught:
        core.message_received(AUTHENTICATED)
    assert core.retryable(caught.value)


def test_notifications_are_decoded_by_the_one_decoder() -> None:
    core = make_core()
    core.start()
    connect_ready(core)
    assert core.message_received(created("r1")) == S.RoomCreated(room_id="r1")
    assert core.stats().received == 1


# -- flow control ------------------------------------------------------------------------------


def test_kinds_nobody_consumes_are_not_queued() -> None:
    core = make_core()
    core.notification_handlers.append(print)
    report = S.MetricsReport(metrics="{}")
    assert not core.accept(report)  # a handler-only user with metrics subscribed
    assert core.accept(S.RoomCreated(room_id="r"))
    assert core.queued == 1
    core.start_iterating([Subscription.SERVER_NOTIFICATIONS, Subscription.METRICS])
    assert core.accept(report)  # iterated now: unhandled kinds reach the iterator
    assert list(core.iteration) == [report]


def test_without_handlers_everything_is_queued_for_iteration() -> None:
    core = make_core()
    assert core.accept(S.RoomCreated(room_id="r"))
    assert list(core.iteration) == [S.RoomCreated(room_id="r")]


def test_handled_events_also_reach_iterators_with_queue_events() -> None:
    core = make_core(queue_events=True)
    core.notification_handlers.append(print)
    event = S.RoomCreated(room_id="r")
    assert core.accept(event)
    assert list(core.pending) == [event]
    assert not core.iteration
    assert core.handled(core.pending.popleft())
    assert list(core.iteration) == [event]


def test_iterating_when_every_event_goes_to_handlers_is_an_error() -> None:
    core = make_core()
    core.notification_handlers.append(print)
    with pytest.raises(RuntimeError, match="queue_events=True"):
        core.start_iterating([Subscription.SERVER_NOTIFICATIONS])
    with pytest.raises(RuntimeError, match="queue_events=False"):
        make_core(queue_events=False).start_iterating([Subscription.SERVER_NOTIFICATIONS])


def test_a_full_queue_pauses_and_close_drops_the_backlog(
    caplog: pytest.LogCaptureFixture,
) -> None:
    core = make_core(max_queue=3)
    for i in range(3):
        assert not core.full
        core.accept(S.RoomCreated(room_id=str(i)))
    assert core.full
    with caplog.at_level(logging.WARNING, logger="jellyfish.notifier"):
        core.paused(100.0)
        core.paused(105.0)  # a burst: not logged again within PAUSE_LOG_INTERVAL
        core.paused(110.0)
        assert core.drop_backlog() == 3
    assert caplog.text.count("paused reading") == 2
    assert "3 pauses so far" in caplog.text
    assert "3 events not yet consumed: dropped" in caplog.text
    stats = core.stats()
    assert (stats.queued, stats.paused, stats.dropped) == (0, 3, 3)


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="max_queue"):
        make_core(max_queue=0)
    with pytest.raises(ValueError, match="max_size"):
        make_core(max_size=0)


# -- what user code sees ------------------------------------------------------------------------


def test_reconnected_and_unknown_notification_are_json_ready_one_liners() -> None:
    event = Reconnected(2, NotifierClosedError("the connection broke"))
    assert repr(event) == "Reconnected(connection=2, error='the connection broke')"
    assert str(event) == repr(event)
    assert json.loads(json.dumps(event.to_dict())) == {
        "connection": 2,
        "error": "the connection broke",
        "errorType": "NotifierClosedError",
    }
    unknown = UnknownNotification(b"\x9a\x06\x00")
    assert "\n" not in repr(unknown)
    assert json.loads(json.dumps(unknown.to_dict())) == {"data": "mgYA"}


def test_the_auth_frame_never_shows_the_token() -> None:
    core = make_core()
    core.attempt_started(0)
    (frame,) = core.upgraded(0)
    assert isinstance(frame, SecretFrame)
    assert b"s3cr3t" in frame  # it is sent as is
    assert "s3cr3t" not in repr(frame)
    assert "s3cr3t" not in str(frame)
    assert "s3cr3t" not in repr([frame])
