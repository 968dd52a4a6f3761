"""The sans-IO protocol: handshake, subscriptions, close codes, reconnect policy."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.websocket import AUTHENTICATED, subscribe_response

from jellyfish import NO_RECONNECT, ReconnectPolicy, Subscription
from jellyfish._notifications._common import split_address
from jellyfish._notifications._protocol import (
    ConnectionState,
    NotifierProtocol,
    interpret_close,
    server_websocket_url,
)
from jellyfish.errors import (
    DecodeError,
    InvalidTokenError,
    NotifierClosedError,
    ProtocolError,
)
from jellyfish.events import ServerMessage as S
from jellyfish.events import UnknownNotification


def decode(frame: bytes) -> S:
    return S.FromString(frame)


def test_handshake_auth_then_subscribe_then_ready() -> None:
    protocol = NotifierProtocol("secret", ["server_notifications", "metrics"])
    assert protocol.state is ConnectionState.IDLE
    (auth,) = protocol.connection_made()
    assert decode(auth).auth_request.token == "secret"
    assert protocol.state is ConnectionState.AUTHENTICATING
    assert not protocol.ready
    assert protocol.receive(AUTHENTICATED) is None
    assert protocol.authenticated
    assert not protocol.ready
    requests = [decode(f).subscribe_request.event_type for f in protocol.data_to_send()]
    assert requests == [S.EVENT_TYPE_SERVER_NOTIFICATION, S.EVENT_TYPE_METRICS]
    assert protocol.data_to_send() == []
    assert protocol.receive(subscribe_response(S.EVENT_TYPE_SERVER_NOTIFICATION)) is None
    assert not protocol.ready  # ready means authenticated AND every subscription acked
    # a notification between two acks is delivered, not dropped
    created = S(room_created=S.RoomCreated(room_id="r")).SerializeToString()
    assert protocol.receive(created) == S.RoomCreated(room_id="r")
    assert protocol.receive(subscribe_response(S.EVENT_TYPE_METRICS)) is None
    assert protocol.ready
    assert protocol.acknowledged == {Subscription.SERVER_NOTIFICATIONS, Subscription.METRICS}


def test_no_subscription_is_ready_right_after_auth() -> None:
    protocol = NotifierProtocol("t")
    protocol.connection_made()
    protocol.receive(AUTHENTICATED)
    assert protocol.ready
    assert protocol.data_to_send() == []


def test_subscribe_while_connected_and_resubscribe_after_reconnect() -> None:
    protocol = NotifierProtocol("t", [Subscription.SERVER_NOTIFICATIONS])
    protocol.connection_made()
    protocol.receive(AUTHENTICATED)
    protocol.data_to_send()
    protocol.receive(subscribe_response(S.EVENT_TYPE_SERVER_NOTIFICATION))
    assert protocol.ready
    (frame,) = protocol.subscribe("metrics")
    assert decode(frame).subscribe_request.event_type == S.EVENT_TYPE_METRICS
    assert not protocol.ready
    assert protocol.subscribe("metrics") == []  # idempotent while pending
    protocol.receive(subscribe_response(S.EVENT_TYPE_METRICS))
    assert protocol.ready
    assert protocol.connection_lost(None, "")[1] is True
    # the next connection re-sends every subscription
    protocol.connection_made()
    assert protocol.connections == 2
    assert protocol.acknowledged == frozenset()
    protocol.receive(AUTHENTICATED)
    kinds = sorted(decode(f).subscribe_request.event_type for f in protocol.data_to_send())
    assert kinds == [S.EVENT_TYPE_SERVER_NOTIFICATION, S.EVENT_TYPE_METRICS]


def test_subscribe_before_connecting_sends_nothing() -> None:
    protocol = NotifierProtocol("t")
    assert protocol.subscribe(Subscription.METRICS) == []
    assert protocol.wanted == {Subscription.METRICS}


@pytest.mark.parametrize(
    ("frame", "match"),
    [
        (
            S(room_created=S.RoomCreated(room_id="r")).SerializeToString(),
            "expected 'authenticated'",
        ),
        (b"", "expected 'authenticated'"),
        (subscribe_response(S.EVENT_TYPE_METRICS), "before 'authenticated'"),
        (S(auth_request=S.AuthRequest(token="x")).SerializeToString(), "client-only"),
    ],
)
def test_protocol_violations_before_auth(frame: bytes, match: str) -> None:
    protocol = NotifierProtocol("t")
    protocol.connection_made()
    with pytest.raises(ProtocolError, match=match):
        protocol.receive(frame)


def test_protocol_violations_after_auth() -> None:
    protocol = NotifierProtocol("t")
    protocol.connection_made()
    protocol.receive(AUTHENTICATED)
    with pytest.raises(ProtocolError, match="second"):
        protocol.receive(AUTHENTICATED)
    with pytest.raises(ProtocolError, match="never requested"):
        protocol.receive(subscribe_response(S.EVENT_TYPE_METRICS))
    with pytest.raises(ProtocolError, match="unknown event type"):
        protocol.receive(subscribe_response(7))
    with pytest.raises(DecodeError):
        protocol.receive(b"\xff\xff")
    assert isinstance(protocol.receive(b""), UnknownNotification)


def test_close_codes() -> None:
    error, retryable = interpret_close(1000, "invalid token")
    assert isinstance(error, InvalidTokenError)
    assert not retryable
    error, retryable = interpret_close(1000, "invalid auth request")
    assert isinstance(error, ProtocolError)
    assert not retryable
    error, retryable = interpret_close(1003, "operation not allowed")
    assert isinstance(error, ProtocolError)
    assert not retryable
    for code, reason in [(1001, "going away"), (1000, ""), (1011, "crash"), (None, "")]:
        error, retryable = interpret_close(code, reason)
        assert isinstance(error, NotifierClosedError)
        assert retryable
        assert error.code == code


def test_backoff_grows_caps_and_jitters() -> None:
    policy = ReconnectPolicy(initial_delay=1.0, max_delay=8.0, multiplier=2.0, jitter=0.5)
    assert [policy.delay(n, lambda: 0.0) for n in range(6)] == [1, 2, 4, 8, 8, 8]
    assert [policy.delay(n, lambda: 1.0) for n in range(3)] == [0.5, 1.0, 2.0]
    assert policy.delay(10_000, lambda: 0.0) == 8.0
    assert policy.should_retry(10**6)
    assert not NO_RECONNECT.should_retry(0)
    assert ReconnectPolicy(max_attempts=2).should_retry(1)
    assert not ReconnectPolicy(max_attempts=2).should_retry(2)
    with pytest.raises(ValueError, match="jitter"):
        ReconnectPolicy(jitter=2)
    with pytest.raises(ValueError, match="multiplier"):
        ReconnectPolicy(multiplier=0.5)
    with pytest.raises(ValueError, match="max_attempts"):
        ReconnectPolicy(max_attempts=-1)


def test_addresses() -> None:
    assert (
        server_websocket_url("localhost:5002", False)
        == "ws://localhost:5002/socket/server/websocket"
    )
    assert (
        server_websocket_url("jf.example.com", True)
        == "wss://jf.example.com/socket/server/websocket"
    )
    with pytest.raises(ValueError, match="scheme"):
        server_websocket_url("http://localhost:5002", False)
    assert split_address("localhost:5002", False) == ("localhost", 5002, "localhost:5002")
    assert split_address("example.com", True)[:2] == ("example.com", 443)
    assert split_address("[::1]:5002", False)[:2] == ("::1", 5002)


def test_subscription_parsing() -> None:
    assert Subscription.parse("metrics") is Subscription.METRICS
    assert Subscription.parse("server_notification") is Subscription.SERVER_NOTIFICATIONS
    assert Subscription.parse(S.EVENT_TYPE_METRICS) is Subscription.METRICS
    with pytest.raises(ValueError, match="unknown subscription"):
        Subscription.parse("nope")
    with pytest.raises(ValueError, match="is not a valid"):
        Subscription.parse(0)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=1000), max_size=30),
    st.integers(min_value=0, max_value=30),
    st.booleans(),
)
def test_notifications_interleaved_with_the_handshake_are_never_dropped(
    ids: list[int], ack_at: int, metrics_later: bool
) -> None:
    protocol = NotifierProtocol("t", ["server_notifications", "metrics"])
    protocol.connection_made()
    protocol.receive(AUTHENTICATED)
    protocol.data_to_send()
    protocol.receive(subscribe_response(S.EVENT_TYPE_SERVER_NOTIFICATION))
    frames = [S(room_created=S.RoomCreated(room_id=str(i))).SerializeToString() for i in ids]
    frames.insert(min(ack_at, len(frames)), subscribe_response(S.EVENT_TYPE_METRICS))
    if metrics_later:
        frames.append(S(metrics_report=S.MetricsReport(metrics="{}")).SerializeToString())
    received = [protocol.receive(frame) for frame in frames]
    delivered = [event for event in received if event is not None]
    assert [e.room_id for e in delivered if isinstance(e, S.RoomCreated)] == [str(i) for i in ids]
    assert protocol.ready
