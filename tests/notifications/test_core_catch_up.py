"""The core's catch-up and routing, fed bytes (as test_core.py does): when a connection
catches up, what a ``GET /room`` snapshot turns into and where it goes in the stream, the
state it keeps, which failures of the call are retried, and the router in the one
handler lookup.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from support.websocket import AUTHENTICATED, subscribe_response

from jellyfish import Delivery, Router, ServerState
from jellyfish._notifications._core import (
    CATCH_UP_ATTEMPTS,
    DELIVERED,
    STATE_CHANGED,
    NotifierCore,
    Reconnected,
)
from jellyfish._notifications._protocol import ReconnectPolicy, Subscription
from jellyfish.errors import (
    ConnectionFailedError,
    NotifierClosedError,
    ServerError,
    UnauthorizedError,
)
from jellyfish.events import ServerMessage as S

from .test_core import NO_JITTER, Wire, created, drain
from .test_core import make_core as core_of

ROOM = {
    "id": "r1",
    "components": [],
    "peers": [{"id": "p1", "status": "connected", "tracks": [], "metadata": {"n": 1}}],
}
DROPPED = NotifierClosedError("the server closed the TCP connection")


def make_core(
    reconnect: ReconnectPolicy = NO_JITTER,
    *,
    max_queue: int = 100,
    catch_up: bool = True,
    **options: Any,
) -> NotifierCore:
    """test_core's core, with catch-up by default, started."""
    core = core_of(reconnect, max_queue=max_queue, catch_up=catch_up, **options)
    core.start()
    return core


def until_ready(core: NotifierCore, *after: bytes) -> tuple[Wire, int]:
    """Open, authenticate, acknowledge; ``after`` arrives in the same read as the ack."""
    wire = Wire(core)
    progress = wire.open()
    wire.sent()
    progress |= wire.send(AUTHENTICATED)
    (request,) = wire.sent()
    kind = S.FromString(request).subscribe_request.event_type
    progress |= wire.send(subscribe_response(kind), *after)
    return wire, progress


def events(core: NotifierCore) -> list[Any]:
    return [item.event if isinstance(item, Delivery) else item for item in drain(core)]


def test_a_ready_connection_catches_up_before_its_next_frame() -> None:
    core = make_core()
    _, progress = until_ready(core, created("live"))
    assert core.catching_up
    assert not core.ready  # wait_ready() returns once caught up
    assert progress & STATE_CHANGED
    assert core.queued == 0  # the frame after the acknowledgement waits, unparsed
    progress = core.caught_up([ROOM], now=1.0)
    assert progress == STATE_CHANGED | DELIVERED
    assert core.ready
    assert not core.catching_up
    items = drain(core)
    assert all(isinstance(item, Delivery) and item.synthetic for item in items[:-1])
    assert [getattr(item, "event", item) for item in items] == [
        S.RoomCreated(room_id="r1"),
        S.PeerAdded(room_id="r1", peer_id="p1"),
        S.PeerConnected(room_id="r1", peer_id="p1"),
        S.PeerMetadataUpdated(room_id="r1", peer_id="p1", metadata='{"n":1}'),
        S.RoomCreated(room_id="live"),
    ]
    assert items[-1] == S.RoomCreated(room_id="live")  # a real one: queued as it came
    assert core.state == ServerState.from_rooms([ROOM, {"id": "live"}])
    stats = core.stats()
    assert (stats.catch_ups, stats.synthesized, stats.received) == (1, 4, 1)


def test_a_reconnect_delivers_reconnected_then_what_changed_since_the_queued_events() -> None:
    core = make_core()
    until_ready(core)
    core.caught_up([ROOM], now=1.0)  # its events are still queued when the connection drops
    core.connection_failed(DROPPED)
    until_ready(core)
    assert core.catching_up
    core.caught_up([{"id": "r2"}], now=2.0)
    items = drain(core)
    assert isinstance(items[4], Reconnected)
    assert [item.event for item in items[5:]] == [  # from the state with r1 and its peer
        S.PeerDeleted(room_id="r1", peer_id="p1"),
        S.RoomDeleted(room_id="r1"),
        S.RoomCreated(room_id="r2"),
    ]
    assert core.state == ServerState.from_rooms([{"id": "r2"}])


def test_each_run_starts_from_nothing() -> None:
    core = make_core()
    until_ready(core)
    core.caught_up([ROOM], now=1.0)
    drain(core)
    core.start()  # connect() again, later
    until_ready(core)
    core.caught_up([ROOM], now=2.0)
    assert len(drain(core)) == 4  # the whole room again


def test_what_is_not_queued_is_not_part_of_the_consumers_state() -> None:
    core = make_core(queue_events=False)  # nobody consumes anything
    until_ready(core)
    core.caught_up([ROOM], now=1.0)
    assert core.queued == 0
    assert core.state == ServerState()


def test_a_catch_up_larger_than_max_queue_is_queued_whole_then_reading_pauses() -> None:
    core = make_core(max_queue=2)
    until_ready(core, created("live"))
    rooms = [{"id": f"r{i}"} for i in range(5)]
    assert core.caught_up(rooms, now=1.0) == STATE_CHANGED | DELIVERED
    assert core.queued == 5
    assert core.paused
    drain(core)
    assert core.resume(2.0) == DELIVERED
    assert events(core) == [S.RoomCreated(room_id="live")]


def test_transport_errors_and_5xx_are_tried_again_then_end_the_connection(
    caplog: pytest.LogCaptureFixture,
) -> None:
    core = make_core(ReconnectPolicy(initial_delay=0.5, jitter=0, retry_initial=True))
    until_ready(core)
    refused = ConnectionFailedError("cannot connect", "http://jf:5002/room")
    with caplog.at_level(logging.WARNING, logger="jellyfish.notifier"):
        assert core.catch_up_failed(refused) == 0.5
        assert core.catch_up_failed(ServerError("boom", 500)) == 1.0
        assert CATCH_UP_ATTEMPTS == 3
        with pytest.raises(ServerError):
            core.catch_up_failed(ServerError("boom", 500))
    assert "dropping the connection" in caplog.text
    assert core.connection_failed(ServerError("boom", 500)) == 0.5  # the reconnect policy
    until_ready(core)
    core.caught_up([], now=1.0)
    (reconnected,) = drain(core)
    assert isinstance(reconnected.error, ServerError)


def test_a_catch_up_that_keeps_failing_uses_up_the_reconnect_policy() -> None:
    """The retry budget starts over only once caught up, so the policy can give up."""
    core = make_core(
        ReconnectPolicy(initial_delay=0.5, jitter=0, max_attempts=2, retry_initial=True)
    )
    error = ServerError("boom", 503)

    def a_connection_whose_catch_up_fails() -> None:
        until_ready(core)
        for _ in range(CATCH_UP_ATTEMPTS - 1):
            core.catch_up_failed(error)
        with pytest.raises(ServerError):
            core.catch_up_failed(error)

    a_connection_whose_catch_up_fails()
    assert core.connection_failed(error) == 0.5
    a_connection_whose_catch_up_fails()
    assert core.connection_failed(error) == 1.0  # not reset by the ready connection
    a_connection_whose_catch_up_fails()
    with pytest.raises(ServerError):
        core.connection_failed(error)


def test_the_first_connection_fails_fast_unless_retry_initial() -> None:
    core = make_core()  # retry_initial=False, as in 0.4.0
    until_ready(core)
    error = ConnectionFailedError("cannot connect", "http://jf:5002/room")
    for _ in range(CATCH_UP_ATTEMPTS - 1):
        core.catch_up_failed(error)
    with pytest.raises(ConnectionFailedError):
        core.catch_up_failed(error)
    with pytest.raises(ConnectionFailedError):
        core.connection_failed(error)


def test_other_errors_are_final() -> None:
    core = make_core(ReconnectPolicy(retry_initial=True))
    until_ready(core)
    refused = UnauthorizedError("Invalid token", 401, "GET", "/room")
    with pytest.raises(UnauthorizedError):
        core.catch_up_failed(refused)  # at once
    with pytest.raises(UnauthorizedError):
        core.connection_failed(refused)  # and never retried


def test_without_catch_up_nothing_changes() -> None:
    core = make_core(catch_up=False)
    until_ready(core, created("live"))
    assert core.ready
    assert not core.catching_up
    assert core.state is None
    assert events(core) == [S.RoomCreated(room_id="live")]
    with pytest.raises(RuntimeError, match="without a catch-up"):
        core.caught_up([], now=1.0)


# -- the router in the one handler lookup -------------------------------------------------


def test_router_handlers_run_after_the_on_handlers_and_see_the_delivery() -> None:
    router = Router()
    seen: list[Any] = []

    @router.on(S.RoomCreated)
    def first(event: Any) -> None:
        seen.append(("first", event.room_id))

    @router.on(S.RoomCreated, synthetic=True)
    def synthesized(event: Any, delivery: Delivery) -> None:
        seen.append(("synthesized", delivery.source))

    @router.on(S.PeerAdded, room_id="elsewhere")
    def elsewhere(event: Any) -> None:
        seen.append("elsewhere")

    core = make_core(router=router)
    core.notification_handlers.append(print)
    real = S.RoomCreated(room_id="r")
    assert core.handlers_for(real) == [print, first]
    fake = Delivery(real, synthetic=True, source="catch_up")
    handlers = core.handlers_for(fake)
    assert handlers[:2] == [print, first]
    handlers[2](real)
    assert seen == [("synthesized", "catch_up")]
    assert core.handlers_for(S.PeerAdded(room_id="r", peer_id="p")) == [print]


def test_what_no_route_takes_is_iterated() -> None:
    router = Router()
    router.add(print, S.PeerAdded, room_id="lobby")
    core = make_core(router=router, catch_up=False)
    assert core.accept(S.PeerAdded(room_id="lobby", peer_id="p"))
    assert core.handlers_waiting
    assert not core.accept(S.PeerAdded(room_id="other", peer_id="p"))  # not iterated yet
    core.start_iterating([Subscription.SERVER_NOTIFICATIONS])  # routes filter: no error
    assert core.accept(S.PeerAdded(room_id="other", peer_id="p"))
    assert events(core) == [S.PeerAdded(room_id="other", peer_id="p")]


def test_iterating_when_a_route_takes_every_event_is_an_error() -> None:
    router = Router()
    router.add(print)
    core = make_core(router=router)
    with pytest.raises(RuntimeError, match="queue_events=True"):
        core.start_iterating([Subscription.SERVER_NOTIFICATIONS])


def test_a_router_subscribes_to_what_it_routes() -> None:
    router = Router()
    router.add(print, S.RoomCreated)
    core = make_core(router=router)
    assert core.subscriptions() == {Subscription.SERVER_NOTIFICATIONS}
    router.add(print, S.MetricsReport)
    assert core.subscriptions() == {Subscription.SERVER_NOTIFICATIONS, Subscription.METRICS}
