"""The sans-I/O notifier core, fed bytes, without sockets or clocks: the upgrade, frames,
backoff, attempts, liveness, verdicts, the subscribe wait, dispatch and flow control.

A wsproto server connection plays Jellyfish's end of the wire (:class:`Wire`), so every
test runs the same bytes through the core that a shell would.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import struct
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.websocket import AUTHENTICATED, subscribe_response
from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Ping,
    RejectConnection,
    Request,
    TextMessage,
)

from jellyfish._notifications._core import (
    DELIVERED,
    STATE_CHANGED,
    NotifierCore,
    Reconnected,
)
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


def created(room: str) -> bytes:
    return S(room_created=S.RoomCreated(room_id=room)).SerializeToString()


def make_core(
    reconnect: ReconnectPolicy = NO_JITTER,
    *,
    max_queue: int | tuple[int, int] = 4,
    **options: Any,
) -> NotifierCore:
    return NotifierCore(
        NotifierProtocol("s3cr3t"),
        url="ws://jf:5002/socket/server/websocket",
        host_header="jf:5002",
        reconnect=reconnect,
        timeouts=TIMEOUTS,
        max_queue=max_queue,
        max_size=options.pop("max_size", 1000),
        queue_events=options.pop("queue_events", None),
        catch_up=options.pop("catch_up", False),
        router=options.pop("router", None),
    )


class Wire:
    """Jellyfish's end of one connection of ``core``: the upgrade, then frames both ways."""

    def __init__(self, core: NotifierCore, now: float = 0.0) -> None:
        self.core = core
        self.server = WSConnection(ConnectionType.SERVER)
        self.deadline = core.attempt_started(now)
        self.server.receive_data(core.upgrade_request())
        request = next(self.server.events())
        assert isinstance(request, Request)
        assert request.target == "/socket/server/websocket"
        assert request.host == "jf:5002"
        assert not request.extensions  # nothing is offered: max_size is the client's own
        self.accept = self.server.send(AcceptConnection())
        self.pings: list[bytes] = []
        self.closes: list[CloseConnection] = []

    def open(self, now: float = 0.0) -> int:
        return self.core.receive(self.accept, now)

    def sent(self) -> list[bytes]:
        """The binary messages the client sent since the last call (pings, closes kept)."""
        self.server.receive_data(self.core.data_to_send())
        messages = []
        for event in self.server.events():
            if isinstance(event, BytesMessage):
                messages.append(bytes(event.data))
            elif isinstance(event, Ping):
                self.pings.append(bytes(event.payload))
            elif isinstance(event, CloseConnection):
                self.closes.append(event)
        return messages

    def send(self, *messages: bytes, now: float = 0.0) -> int:
        data = b"".join(self.server.send(BytesMessage(data=m)) for m in messages)
        return self.core.receive(data, now)

    def ready(self, now: float = 0.0) -> int:
        """Open, authenticate and acknowledge every subscription; the progress flags."""
        progress = self.open(now)
        (auth,) = self.sent()
        assert S.FromString(auth).WhichOneof("content") == "auth_request"
        progress |= self.send(AUTHENTICATED, now=now)
        for request in self.sent():
            kind = S.FromString(request).subscribe_request.event_type
            progress |= self.send(subscribe_response(kind), now=now)
        assert self.core.ready
        return progress


def connect_ready(core: NotifierCore, now: float = 0.0) -> Wire:
    wire = Wire(core, now)
    wire.ready(now)
    return wire


def drain(core: NotifierCore) -> list[Any]:
    events = []
    while (event := core.next_for_iteration()) is not None:
        events.append(event)
    return events


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


def test_a_ready_connection_resets_the_attempts_and_queues_reconnected_first() -> None:
    core = make_core(ReconnectPolicy(initial_delay=1, jitter=0, max_attempts=2))
    core.start()
    connect_ready(core)
    assert drain(core) == []  # the first connection is no reconnect
    assert core.connection_failed(DROPPED) == 1
    assert core.connection_failed(REFUSED) == 2
    wire = Wire(core)
    wire.open()
    wire.sent()
    # authenticated, acknowledged and a live notification in one read: Reconnected first
    progress = wire.send(AUTHENTICATED)
    (request,) = wire.sent()
    assert S.FromString(request).subscribe_request.event_type == 1
    progress = wire.send(subscribe_response(1), created("live"))
    assert progress == DELIVERED | STATE_CHANGED
    assert drain(core) == [Reconnected(2, REFUSED), S.RoomCreated(room_id="live")]
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


# -- the upgrade ----------------------------------------------------------------------------


def test_the_upgrade_answer_is_read_in_pieces_and_frames_after_it_are_kept() -> None:
    core = make_core()
    core.start()
    wire = Wire(core)
    answer = wire.accept + wire.server.send(Ping(payload=b"srv"))
    progress = [core.receive(answer[i : i + 1], 0.0) for i in range(len(answer))]  # dripped
    assert progress.index(STATE_CHANGED) == len(wire.accept) - 1  # opened at the head's end
    assert progress.count(STATE_CHANGED) == 1
    assert core.websocket_open
    wire.server.receive_data(core.data_to_send())
    kinds = [type(event).__name__ for event in wire.server.events()]
    assert kinds == ["BytesMessage", "Pong"]  # auth_request, then the ping's answer


def _answer(wire: Wire, edit: Any) -> bytes:
    head, _, rest = wire.accept.partition(b"\r\n\r\n")
    return edit(head + b"\r\n\r\n") + rest


UPGRADE_FAULTS = {
    "non-HTTP bytes": lambda head: b"SSH-2.0-OpenSSH_9.6\r\n",
    "wrong Sec-WebSocket-Accept": lambda head: head.replace(
        head.split(b"Sec-WebSocket-Accept: ")[1].split(b"\r\n")[0], b"d3JvbmcgYWNjZXB0IHRva2Vu"
    ),
    "101 without Upgrade": lambda head: re.sub(rb"(?i)upgrade: websocket\r\n", b"", head),
    "unrequested extension": lambda head: head.replace(
        b"\r\n\r\n", b"\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n"
    ),
    "unrequested subprotocol": lambda head: head.replace(
        b"\r\n\r\n", b"\r\nSec-WebSocket-Protocol: chat\r\n\r\n"
    ),
}


@pytest.mark.parametrize("fault", UPGRADE_FAULTS)
def test_an_invalid_upgrade_answer_is_a_retryable_violation(fault: str) -> None:
    core = make_core()
    core.start()
    connect_ready(core)
    core.connection_failed(DROPPED)
    wire = Wire(core)
    answer = _answer(wire, UPGRADE_FAULTS[fault])
    assert answer != wire.accept
    with pytest.raises(ProtocolError) as caught:
        core.receive(answer, 0.0)
    assert str(caught.value).startswith(f"{VIOLATION}: invalid WebSocket upgrade answer: ")
    assert core.retryable(caught.value)
    assert core.connection_failed(caught.value) > 0  # a reconnect retries it, by policy


def test_upgrade_verdict_on_what_another_library_accepted() -> None:
    core = make_core()
    core.attempt_started(0)
    with pytest.raises(ProtocolError, match="unrecognized extension permessage-deflate"):
        core.upgrade_accepted({"sec-websocket-extensions": "permessage-deflate"}, 0.0)
    with pytest.raises(ProtocolError, match="unrecognized subprotocol chat"):
        core.upgrade_accepted({"sec-websocket-protocol": "chat"}, 0.0)
    assert core.upgrade_accepted({"upgrade": "websocket"}, 0.0) == STATE_CHANGED
    assert core.websocket_open


def test_a_refused_upgrade_is_a_retryable_connection_failure() -> None:
    core = make_core()
    wire = Wire(core)
    refusal = WSConnection(ConnectionType.SERVER)
    refusal.receive_data(core.upgrade_request())
    next(refusal.events())
    answer = refusal.send(RejectConnection(status_code=404))
    with pytest.raises(ConnectionFailedError, match="HTTP 404") as caught:
        core.receive(answer, 0.0)
    assert core.retryable(caught.value)
    del wire


# -- close codes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "reason", "kind", "retryable"),
    [
        (1000, "invalid token", InvalidTokenError, False),
        (1003, "operation not allowed", ProtocolError, False),
        (1000, "invalid auth request", ProtocolError, False),
        (1001, "going away", NotifierClosedError, True),
        (1011, "", NotifierClosedError, True),
    ],
)
def test_close_verdicts(code: int, reason: str, kind: type[Exception], retryable: bool) -> None:
    core = make_core()
    core.start()
    wire = connect_ready(core)
    with pytest.raises(kind) as caught:
        core.receive(wire.server.send(CloseConnection(code=code, reason=reason)), 0.0)
    assert core.retryable(caught.value) is retryable  # type: ignore[arg-type]
    wire.sent()
    assert [close.code for close in wire.closes] == [code]  # the close is answered
    assert core.closing_frame() == b""  # and not closed twice
    if retryable:
        assert core.connection_failed(caught.value) > 0  # type: ignore[arg-type]
    else:
        with pytest.raises(kind):
            core.connection_failed(caught.value)  # type: ignore[arg-type]


@pytest.mark.parametrize("code", [999, 1004, 1005, 2999])
def test_an_invalid_close_code_is_reported_as_the_clients_finding(code: int) -> None:
    """Defect 5: a violation the client detects never reads "the server closed"."""
    core = make_core()
    core.start()
    connect_ready(core)
    with pytest.raises(ProtocolError) as caught:
        core.receive(b"\x88\x02" + struct.pack("!H", code), 0.0)
    assert str(caught.value).startswith(VIOLATION)
    assert "server closed" not in str(caught.value)
    assert core.retryable(caught.value)


# -- liveness -------------------------------------------------------------------------------


def test_deadlines_and_pings_with_a_fake_clock() -> None:
    core = make_core()
    core.start()
    assert core.attempt_started(100.0) == 110.0
    assert core.read_timeout(104.0) == 6.0
    with pytest.raises(NotifierTimeoutError, match="connecting"):
        core.read_timed_out(110.0)
    wire = Wire(core, 200.0)
    wire.open(200.0)
    assert core.read_timeout(201.0) == 4.0  # auth deadline before the ping interval
    with pytest.raises(NotifierTimeoutError, match="'authenticated'"):
        core.read_timed_out(205.0)
    wire = connect_ready(core, 300.0)
    assert core.read_timeout(300.0) == TIMEOUTS.ping_interval
    core.read_timed_out(320.0)  # idle: ping
    wire.sent()
    assert wire.pings == [b"jf"]
    assert core.read_timeout(320.0) == TIMEOUTS.ping_timeout
    with pytest.raises(NotifierTimeoutError, match="no answer to ping"):
        core.read_timed_out(327.0)


def test_incoming_data_answers_the_ping_and_server_pings_are_answered() -> None:
    core = make_core()
    core.start()
    wire = connect_ready(core)
    core.read_timed_out(20.0)
    core.receive(wire.server.send(Ping(payload=b"srv")), 21.0)
    assert core.read_timeout(21.0) == TIMEOUTS.ping_interval
    wire.server.receive_data(core.data_to_send())
    kinds = [type(event).__name__ for event in wire.server.events()]
    assert kinds == ["Ping", "Pong"]  # our ping, then the answer to the server's


def test_the_subscribe_acknowledgement_wait_and_its_error() -> None:
    core = make_core()
    core.start()
    assert core.request_subscription(Subscription.METRICS, 0.0) is None  # not connected yet
    wire = connect_ready(core, 0.0)
    assert core.request_subscription(Subscription.METRICS, 0.0) is None  # acknowledged
    core = make_core()
    core.start()
    wire = connect_ready(core, 0.0)
    deadline = core.request_subscription(Subscription.METRICS, 10.0)
    assert deadline == 13.0
    (request,) = wire.sent()
    assert S.FromString(request).subscribe_request.event_type == 2
    assert not core.ready
    assert not core.subscription_acknowledged(Subscription.METRICS, deadline, 12.9)
    with pytest.raises(NotifierTimeoutError, match="no acknowledgement of the METRICS"):
        core.subscription_acknowledged(Subscription.METRICS, deadline, 13.0)
    with pytest.raises(NotifierTimeoutError, match="subscribe_response"):
        core.read_timed_out(13.0)  # and the connection is dropped for it
    wire.send(subscribe_response(2))
    assert core.subscription_acknowledged(Subscription.METRICS, deadline, 14.0)


# -- frame verdicts ---------------------------------------------------------------------------


def _frame(first_byte: int, payload: bytes, *, masked: bool = False, length: int = -1) -> bytes:
    size = len(payload) if length < 0 else length
    mask_bit = 0x80 if masked else 0
    if size < 126:
        header = bytes([first_byte, mask_bit | size])
    elif size < 1 << 16:
        header = bytes([first_byte, mask_bit | 126]) + struct.pack("!H", size)
    else:
        header = bytes([first_byte, mask_bit | 127]) + struct.pack("!Q", size)
    return header + (b"\0\0\0\0" if masked else b"") + payload


@pytest.mark.parametrize(
    ("data", "description", "close_code"),
    [
        (_frame(0x81, b"hello"), "the server sent a text frame", 1003),
        (_frame(0x82, created("x"), masked=True), "masked", 1002),
        (_frame(0xC2, created("x")), "Reserved bit", 1002),
        (_frame(0x83, created("x")), "Invalid opcode", 1002),
        # announces 1,001 bytes and sends none of them: refused from the header
        (_frame(0x82, b"", length=1001), "a message of 1001 bytes exceeds max_size=1000", 1009),
        # fragments: refused at the header of the fragment that passes max_size
        (_frame(0x02, bytes(600)) + _frame(0x80, b"", length=401), "1001 bytes exceeds", 1009),
    ],
    ids=["text", "masked", "reserved-bit", "reserved-opcode", "oversize", "oversize-fragments"],
)
def test_frame_verdicts_name_the_violation_and_the_close_code(
    data: bytes, description: str, close_code: int
) -> None:
    core = make_core(max_size=1000)
    core.start()
    wire = connect_ready(core)
    with pytest.raises(ProtocolError, match=description) as caught:
        core.receive(data, 0.0)
    assert str(caught.value).startswith(VIOLATION)
    assert core.retryable(caught.value)
    wire.server.receive_data(core.closing_frame())
    (close,) = wire.server.events()
    assert isinstance(close, CloseConnection)
    assert close.code == close_code


def test_a_message_of_max_size_is_accepted_fragmented_or_not() -> None:
    core = make_core(max_size=1000)
    core.start()
    wire = connect_ready(core)
    metrics = S(metrics_report=S.MetricsReport(metrics="x" * 994)).SerializeToString()
    assert len(metrics) == 1000
    wire.send(metrics)
    assert core.receive(_frame(0x02, metrics[:500]) + _frame(0x80, metrics[500:]), 0.0)
    assert drain(core) == [S.MetricsReport(metrics="x" * 994)] * 2


def test_handshake_violation_is_retryable_and_garbage_is_dropped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    core = make_core()
    core.start()
    wire = connect_ready(core)
    with caplog.at_level(logging.ERROR, logger="jellyfish.notifier"):
        assert wire.send(b"\xff\xff", created("after")) & DELIVERED
    assert "undecodable" in caplog.text
    assert drain(core) == [S.RoomCreated(room_id="after")]
    with pytest.raises(ProtocolError, match="second 'authenticated'") as caught:
        wire.send(AUTHENTICATED)
    assert core.retryable(caught.value)


def test_notifications_are_decoded_by_the_one_decoder() -> None:
    core = make_core()
    core.start()
    wire = connect_ready(core)
    unknown = bytes([0x9A, 0x06, 0x03, 0x0A, 0x01, 0x72])
    wire.send(created("r1"), unknown)
    assert drain(core) == [S.RoomCreated(room_id="r1"), UnknownNotification(unknown)]
    assert core.stats().received == 2


# -- dispatch -------------------------------------------------------------------------------


def test_handler_dispatch_and_what_a_failing_or_misplaced_handler_does(
    caplog: pytest.LogCaptureFixture,
) -> None:
    core = make_core()

    async def asynchronous(event: Any) -> None:
        pass

    core.notification_handlers.extend([print, asynchronous])
    event = S.RoomCreated(room_id="r")
    assert core.handlers_for(event) == [print, asynchronous]  # in registration order
    assert core.handlers_for(S.MetricsReport()) == []
    assert core.handlers_for(Reconnected(2, DROPPED)) == []
    with caplog.at_level(logging.ERROR, logger="jellyfish.notifier"):
        try:
            raise RuntimeError("handler bug")
        except RuntimeError:
            core.handler_failed(print)
        coroutine = asynchronous(event)
        core.handler_returned(asynchronous, coroutine)  # the blocking notifier's verdict
        core.handler_returned(print, 42)  # not an awaitable: nothing to say
    assert coroutine.cr_frame is None  # closed: no "never awaited" warning
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2, messages
    assert "handler" in messages[0]
    assert "failed" in messages[0]
    assert "handler bug" in caplog.text
    assert "is async: use jellyfish.Notifier" in messages[1]


# -- queues and flow control --------------------------------------------------------------------


def test_kinds_nobody_consumes_are_not_queued() -> None:
    core = make_core()
    core.notification_handlers.append(print)
    report = S.MetricsReport(metrics="{}")
    assert not core.accept(report)  # a handler-only user with metrics subscribed
    assert core.accept(S.RoomCreated(room_id="r"))
    assert core.queued == 1
    core.start_iterating([Subscription.SERVER_NOTIFICATIONS, Subscription.METRICS])
    assert core.accept(report)  # iterated now: unhandled kinds reach the iterator
    assert drain(core) == [report]


def test_without_handlers_everything_is_queued_for_iteration() -> None:
    core = make_core()
    assert core.accept(S.RoomCreated(room_id="r"))
    assert drain(core) == [S.RoomCreated(room_id="r")]


def test_handled_events_also_reach_iterators_with_queue_events() -> None:
    core = make_core(queue_events=True)
    core.notification_handlers.append(print)
    event = S.RoomCreated(room_id="r")
    assert core.accept(event)
    assert core.handlers_waiting
    assert drain(core) == []
    handled = core.next_for_handlers()
    assert handled is event
    assert core.handled(handled)
    assert drain(core) == [event]


def test_iterating_when_every_event_goes_to_handlers_is_an_error() -> None:
    core = make_core()
    core.notification_handlers.append(print)
    with pytest.raises(RuntimeError, match="queue_events=True"):
        core.start_iterating([Subscription.SERVER_NOTIFICATIONS])
    with pytest.raises(RuntimeError, match="queue_events=False"):
        make_core(queue_events=False).start_iterating([Subscription.SERVER_NOTIFICATIONS])


def test_high_and_low_water_marks(caplog: pytest.LogCaptureFixture) -> None:
    """websockets' max_queue: pause at the high mark, resume at the low one (high // 4)."""
    core = make_core(max_queue=8)
    assert (core.high_water, core.low_water) == (8, 2)
    core.start()
    wire = connect_ready(core)
    with caplog.at_level(logging.WARNING, logger="jellyfish.notifier"):
        assert wire.send(*[created(str(i)) for i in range(20)], now=100.0) == DELIVERED
    assert core.paused
    assert core.queued == 8  # the other 12 frames wait, unparsed, in the frame buffer
    assert core.stats().received == 8
    popped = [core.next_for_iteration() for _ in range(5)]
    assert not core.resume_due  # 3 left: above the low-water mark
    popped.append(core.next_for_iteration())
    assert core.resume_due  # 2 left
    assert core.resume(105.0) == DELIVERED
    assert core.paused  # 2 + 6 more: full again
    assert core.queued == 8
    popped.extend(drain(core))
    assert core.resume(106.0) == DELIVERED
    assert not core.paused
    popped.extend(drain(core))
    assert popped == [S.RoomCreated(room_id=str(i)) for i in range(20)]
    stats = core.stats()
    assert (stats.paused, stats.received, stats.queued) == (2, 20, 0)
    assert caplog.text.count("paused reading") == 1  # at most every PAUSE_LOG_INTERVAL
    assert make_core(max_queue=(10, 7)).low_water == 7


def test_close_drops_the_backlog_and_says_so_at_info(caplog: pytest.LogCaptureFixture) -> None:
    core = make_core(max_queue=3)
    for i in range(3):
        core.accept(S.RoomCreated(room_id=str(i)))
    with caplog.at_level(logging.DEBUG, logger="jellyfish.notifier"):
        assert core.drop_backlog() == 3
    (record,) = caplog.records
    assert record.levelno == logging.INFO  # leaving early is the caller's choice, not a fault
    assert "3 events not yet consumed: dropped" in record.getMessage()
    stats = core.stats()
    assert (stats.queued, stats.dropped) == (0, 3)


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="max_queue"):
        make_core(max_queue=0)
    with pytest.raises(ValueError, match="low-water"):
        make_core(max_queue=(4, 5))
    with pytest.raises(ValueError, match="max_size"):
        make_core(max_size=0)
    with pytest.raises(ValueError, match=r"Timeouts\.send"):
        Timeouts(send=0)


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
    (frame,) = core.protocol.connection_made()
    assert isinstance(frame, SecretFrame)
    assert b"s3cr3t" in frame  # it is sent as is (masked on the wire, as every client frame)
    assert "s3cr3t" not in repr(frame)
    assert "s3cr3t" not in str(frame)
    assert "s3cr3t" not in repr([frame])
    wire = Wire(core)
    wire.open()
    (auth,) = wire.sent()
    assert S.FromString(auth).auth_request.token == "s3cr3t"


def test_text_frames_never_reach_the_queue() -> None:
    core = make_core()
    core.start()
    wire = connect_ready(core)
    with pytest.raises(ProtocolError):
        core.receive(wire.server.send(TextMessage(data="{}")), 0.0)
    assert core.queued == 0


# -- where frames start, in any chunking ------------------------------------------------------

_SIZES = st.one_of(st.integers(0, 130), st.integers(65530, 65540), st.integers(1000, 3000))


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(_SIZES, min_size=1, max_size=8),
    pings=st.lists(st.booleans(), min_size=8, max_size=8),
    cuts=st.lists(st.integers(1, 70000), max_size=12),
    fragmented=st.booleans(),
)
def test_frames_of_every_size_in_any_chunking_are_delivered_or_refused_from_the_header(
    sizes: list[int], pings: list[bool], cuts: list[int], fragmented: bool
) -> None:
    """The core reads the header of the frame in progress to refuse it before its payload;
    wherever reads cut the stream, the frames it delivers are exactly the ones sent, and the
    first message over max_size is refused by the read that completes its header."""
    max_size = 2000
    core = make_core(max_size=max_size, max_queue=1000)
    core.start()
    wire = connect_ready(core)
    stream = b""
    header_ends: list[int] = []  # where each message's first too-big header ends
    expected = []
    for index, size in enumerate(sizes):
        metrics = "x" * size
        message = S(metrics_report=S.MetricsReport(metrics=metrics)).SerializeToString()
        if pings[index]:
            stream += wire.server.send(Ping(payload=b"p" * (index * 17 % 126)))
        if fragmented and len(message) > 10:
            first, rest = message[: len(message) // 3], message[len(message) // 3 :]
            head = _frame(0x02, first)
            tail = _frame(0x80, rest)
            if len(first) > max_size:  # the first fragment alone is too big
                too_big_at = len(stream) + len(head) - len(first)
            else:
                too_big_at = len(stream) + len(head) + (len(tail) - len(rest))
            big = len(message) > max_size
            stream += head + tail
        else:
            head = _frame(0x82, message)
            too_big_at = len(stream) + len(head) - len(message)
            big = len(message) > max_size
            stream += head
        if big:
            header_ends.append(too_big_at)
            break
        expected.append(S.MetricsReport(metrics=metrics))
    positions = sorted({c % (len(stream) + 1) for c in cuts} | {0, len(stream)})
    delivered: list[Any] = []
    refused_at = None
    for start, end in itertools.pairwise(positions):
        try:
            core.receive(stream[start:end], 0.0)
        except ProtocolError as error:
            refusal = str(error)
            refused_at = end
            break
        finally:
            delivered.extend(drain(core))
    else:
        refusal = ""
    assert delivered == expected
    if header_ends:
        assert refused_at is not None, "a message over max_size was not refused"
        assert "exceeds max_size=2000" in refusal
        # refused by the read that completed the header, or (a whole frame in one read)
        # at the latest by the read that brought it entirely
        assert refused_at >= header_ends[0]
        first_read_with_header = min(p for p in positions if p >= header_ends[0])
        assert refused_at == first_read_with_header
    else:
        assert refused_at is None
