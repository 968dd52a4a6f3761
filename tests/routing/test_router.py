"""Typed routing: one Router for webhooks, stream consumers and notifier loops."""

from __future__ import annotations

from typing import Any

import pytest

from jellyfish import Delivery, Router, receive_webhook
from jellyfish.errors import NotifierClosedError
from jellyfish.events import (
    Reconnected,
    ServerMessage,
    ServerMessageMetricsReport,
    ServerMessagePeerConnected,
    ServerMessageRoomCreated,
    ServerMessageTrack,
    ServerMessageTrackAdded,
    UnknownNotification,
)

CONNECTED = ServerMessagePeerConnected(room_id="r1", peer_id="p1")


def test_handlers_by_type_and_filters_in_registration_order() -> None:
    events = Router()
    calls: list[str] = []

    @events.on(ServerMessagePeerConnected)
    def any_room(event: Any) -> None:
        calls.append("any")

    @events.on(ServerMessagePeerConnected, room_id="r1")
    def room_one(event: Any) -> None:
        calls.append("r1")

    @events.on(ServerMessagePeerConnected, room_id={"r2", "r3"})
    def other_rooms(event: Any) -> None:
        calls.append("r2/r3")

    @events.on(ServerMessageRoomCreated, ServerMessagePeerConnected, peer_id="p1")
    def peer_one(event: Any) -> None:
        calls.append("p1")

    @events.on()
    def everything(event: Any) -> None:
        calls.append("all")

    assert events.dispatch(CONNECTED) == 4
    assert calls == ["any", "r1", "p1", "all"]
    calls.clear()
    events.dispatch(ServerMessagePeerConnected(room_id="r3", peer_id="p2"))
    assert calls == ["any", "r2/r3", "all"]
    calls.clear()
    # a filter on a field the event does not have never matches
    events.dispatch(Reconnected(connection=2, error=NotifierClosedError("gone")))
    assert calls == ["all"]


def test_track_events_filter_by_their_endpoint() -> None:
    events = Router()
    seen: list[str] = []
    events.add(lambda e: seen.append("peer"), ServerMessageTrackAdded, peer_id="p1")
    events.add(lambda e: seen.append("component"), ServerMessageTrackAdded, component_id="c1")
    track = ServerMessageTrack(id="t")
    events.dispatch(ServerMessageTrackAdded(room_id="r", component_id="c1", track=track))
    events.dispatch(ServerMessageTrackAdded(room_id="r", peer_id="p1", track=track))
    assert seen == ["component", "peer"]


def test_a_handler_with_two_parameters_gets_the_delivery() -> None:
    events = Router()
    got: list[Delivery] = []

    @events.on(ServerMessagePeerConnected)
    def with_delivery(event: Any, delivery: Delivery) -> None:
        got.append(delivery)

    delivery = Delivery(CONNECTED, synthetic=True, source="stream", sequence=7)
    events.dispatch(CONNECTED, delivery)
    events.dispatch(CONNECTED)  # without one, a plain Delivery(event)
    assert got[0] is delivery
    assert got[1] == Delivery(CONNECTED)
    assert not got[1].synthetic
    assert not got[1].redelivered


def test_synthetic_filter() -> None:
    events = Router()
    seen: list[bool] = []
    events.add(lambda e: seen.append(True), synthetic=True)
    events.add(lambda e: seen.append(False), synthetic=False)
    events.dispatch(CONNECTED, Delivery(CONNECTED, synthetic=True))
    events.dispatch(CONNECTED)
    assert seen == [True, False]


@pytest.mark.anyio
async def test_adispatch_awaits_async_handlers_and_calls_plain_ones() -> None:
    events = Router()
    order: list[str] = []

    @events.on(ServerMessagePeerConnected)
    async def first(event: Any) -> None:
        order.append("async")

    @events.on(ServerMessagePeerConnected)
    def second(event: Any) -> None:
        order.append("plain")

    assert await events.adispatch(CONNECTED) == 2
    assert order == ["async", "plain"]


def test_dispatch_refuses_an_async_handler_without_leaving_a_coroutine() -> None:
    events = Router()

    @events.on(ServerMessagePeerConnected)
    async def handler(event: Any) -> None:
        raise AssertionError("never runs")

    with pytest.raises(TypeError, match="adispatch"):
        events.dispatch(CONNECTED)


def test_an_exception_stops_the_later_handlers() -> None:
    events = Router()
    ran: list[str] = []

    @events.on()
    def failing(event: Any) -> None:
        raise ValueError("boom")

    events.add(lambda e: ran.append("later"))
    with pytest.raises(ValueError, match="boom"):
        events.dispatch(CONNECTED)
    assert ran == []


def test_handlers_for_is_what_a_notifier_calls() -> None:
    events = Router()
    events.add(lambda e, d: (e, d.sequence), ServerMessagePeerConnected)
    events.add(lambda e: "plain", UnknownNotification)
    delivery = Delivery(CONNECTED, sequence=3)
    (handler,) = events.handlers_for(CONNECTED, delivery)
    assert handler(CONNECTED) == (CONNECTED, 3)
    (unknown,) = events.handlers_for(UnknownNotification(b"\x00"))
    assert unknown(None) == "plain"


def test_webhook_dispatch() -> None:
    events = Router()
    rooms: list[str] = []
    events.add(lambda e: rooms.append(e.room_id), ServerMessageRoomCreated)
    body = ServerMessage(
        room_created=ServerMessageRoomCreated(room_id="hooked")
    ).SerializeToString()
    events.dispatch(receive_webhook(body, "application/x-protobuf"))
    assert rooms == ["hooked"]


def test_bad_registrations_fail_at_once() -> None:
    events = Router()
    with pytest.raises(TypeError, match="notification classes"):
        events.on("ServerMessageRoomCreated")(print)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="callable"):
        events.add(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="room_id"):
        events.on(room_id=[])(print)
    with pytest.raises(TypeError, match="positional"):
        events.add(lambda *, event: None)
    assert len(events) == 0


def test_what_a_source_asks_a_router_before_it_starts() -> None:
    """registered_for (what to subscribe to), takes_every (whether iteration can yield),
    async_handlers (what a blocking source refuses)."""
    router = Router()
    assert not router.takes_every(object)
    router.add(print, ServerMessageRoomCreated, room_id="lobby")
    assert router.registered_for(ServerMessageRoomCreated)
    assert not router.registered_for(ServerMessageMetricsReport)
    assert not router.takes_every(ServerMessageRoomCreated)  # a filter: not every event

    async def asynchronous(event: Any) -> None:
        pass

    class Callable:
        async def __call__(self, event: Any) -> None:
            pass

    instance = Callable()
    router.add(asynchronous, ServerMessageMetricsReport)
    router.add(instance, ServerMessagePeerConnected)
    assert router.registered_for(ServerMessageMetricsReport)
    assert router.takes_every(ServerMessageMetricsReport)
    assert not router.takes_every(object)
    assert router.async_handlers() == [asynchronous, instance]
    router.add(print)
    assert router.takes_every(object)
    assert router.takes_every(ServerMessagePeerConnected)
