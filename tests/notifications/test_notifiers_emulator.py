"""Notifiers against the emulator (or a real Jellyfish with JELLYFISH_ADDRESS):
every notification type in §7.2 order, bad tokens, restarts, a 10,000-event burst,
clean shutdown. Each on asyncio, trio and blocking."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import anyio
import pytest

from jellyfish import (
    BlockingNotifier,
    Notifier,
    PeerOptionsWebRTC,
    ReconnectPolicy,
    RoomApi,
    Subscription,
)
from jellyfish.errors import InvalidTokenError
from jellyfish.events import Reconnected, ServerMessage, ServerMessageRoomCreated, decode_metrics
from jellyfish.testing import FakePeer, JellyfishServer

from ._scenario import ALL_TYPES, describe, matches, run_scenario

FAST_RECONNECT = ReconnectPolicy(initial_delay=0.02, max_delay=0.2, jitter=0.5)
BURST = 10_000


def create_room(server: Any) -> str:
    with RoomApi(server_address=server.address, server_api_token=server.token) as api:
        _, room = api.create_room()
        return room.id


def burst(server: Any, count: int) -> tuple[str, str]:
    """RoomCreated, PeerAdded, PeerConnected, then ``count`` PeerMetadataUpdated 0..count-1,
    sent by a peer as fast as its socket goes."""
    with RoomApi(server_address=server.address, server_api_token=server.token) as api:
        _, room = api.create_room()
        token, peer = api.add_peer(room.id, PeerOptionsWebRTC())
    fake = FakePeer(server.address, token)
    fake.connect(metadata=0)
    for i in range(1, count):
        fake.update_metadata(i)
    return room.id, peer.id


def check_burst(events: list[Any], room_id: str) -> None:
    assert [type(e) for e in events[:3]] == [
        ServerMessage.RoomCreated,
        ServerMessage.PeerAdded,
        ServerMessage.PeerConnected,
    ]
    metadata = [e.metadata for e in events[3:]]
    assert metadata == [str(i) for i in range(BURST)]
    assert all(e.room_id == room_id for e in events)


# -- every notification type, in order -----------------------------------------------------


@pytest.mark.emulator_only
@pytest.mark.anyio
async def test_every_notification_reaches_handlers_and_iterator(jellyfish_server: Any) -> None:
    server = jellyfish_server
    notifier = Notifier(server.address, server.token, queue_events=True)
    handled: list[Any] = []
    handled_async: list[Any] = []
    notifier.on_server_notification(handled.append)

    @notifier.on_server_notification
    async def handle(event: Any) -> None:
        handled_async.append(event)

    async with notifier:
        expected = await anyio.to_thread.run_sync(run_scenario, server)
        iterated: list[Any] = []
        with anyio.fail_after(10):
            async for event in notifier:
                iterated.append(event)
                if len(iterated) == len(expected):
                    break
    assert {kind for kind, _ in expected} == ALL_TYPES
    assert matches(iterated, expected), describe(iterated, expected)
    assert handled == iterated
    assert handled_async == iterated


@pytest.mark.emulator_only
def test_every_notification_reaches_blocking_handlers_and_iterator(jellyfish_server: Any) -> None:
    server = jellyfish_server
    notifier = BlockingNotifier(server.address, server.token, queue_events=True)
    handled: list[Any] = []
    notifier.on_server_notification(handled.append)
    with notifier:
        expected = run_scenario(server)
        watchdog = threading.Timer(10, notifier.close)
        watchdog.start()
        iterated = [next(notifier) for _ in expected]
        watchdog.cancel()
    assert matches(iterated, expected), describe(iterated, expected)
    assert handled == iterated


# -- bad token -----------------------------------------------------------------------------


@pytest.mark.anyio
async def test_bad_token_fails_fast(jellyfish_server: Any) -> None:
    start = time.monotonic()
    notifier = Notifier(jellyfish_server.address, "wrong-token", reconnect=FAST_RECONNECT)
    with pytest.raises(InvalidTokenError):
        async with notifier:
            pass
    with pytest.raises(InvalidTokenError):
        await notifier.connect()
    with pytest.raises(InvalidTokenError):
        await notifier.wait_ready()
    assert time.monotonic() - start < 3


def test_bad_token_fails_fast_blocking(jellyfish_server: Any) -> None:
    start = time.monotonic()
    notifier = BlockingNotifier(jellyfish_server.address, "wrong-token", reconnect=FAST_RECONNECT)
    with pytest.raises(InvalidTokenError), notifier:
        pass
    with pytest.raises(InvalidTokenError):
        notifier.connect()
    notifier.start()
    with pytest.raises(InvalidTokenError):
        notifier.wait_ready(5)
    notifier.close()
    assert time.monotonic() - start < 3


# -- restart: reconnect, resubscribe, signal, resume ----------------------------------------


@pytest.mark.emulator_only
@pytest.mark.anyio
async def test_server_restart_reconnects_and_resumes(jellyfish_server: Any) -> None:
    server = jellyfish_server
    notifier = Notifier(server.address, server.token, reconnect=FAST_RECONNECT, queue_events=True)
    hooks: list[Reconnected] = []
    notifier.on_reconnected(hooks.append)
    async with notifier:
        first = await anyio.to_thread.run_sync(create_room, server)
        with anyio.fail_after(10):
            event = await notifier.__anext__()
            assert isinstance(event, ServerMessageRoomCreated)
            assert event.room_id == first
            await anyio.to_thread.run_sync(server.restart)
            event = await notifier.__anext__()
            assert isinstance(event, Reconnected)
            assert event.connection == 2
            assert notifier.ready
            second = await anyio.to_thread.run_sync(create_room, server)
            event = await notifier.__anext__()
            assert isinstance(event, ServerMessageRoomCreated)
            assert event.room_id == second
            # a network drop without a close frame is survived the same way
            await anyio.to_thread.run_sync(server.drop_server_websockets)
            event = await notifier.__anext__()
            assert isinstance(event, Reconnected)
            third = await anyio.to_thread.run_sync(create_room, server)
            event = await notifier.__anext__()
            assert isinstance(event, ServerMessageRoomCreated)
            assert event.room_id == third
    assert [h.connection for h in hooks] == [2, 3]


@pytest.mark.emulator_only
def test_server_restart_reconnects_and_resumes_blocking(jellyfish_server: Any) -> None:
    server = jellyfish_server
    notifier = BlockingNotifier(
        server.address, server.token, reconnect=FAST_RECONNECT, queue_events=True
    )
    hooks: list[Reconnected] = []
    notifier.on_reconnected(hooks.append)
    with notifier:
        watchdog = threading.Timer(10, notifier.close)
        watchdog.start()
        first = create_room(server)
        assert next(notifier).room_id == first  # type: ignore[union-attr]
        server.restart()
        event = next(notifier)
        assert isinstance(event, Reconnected)
        assert notifier.ready
        second = create_room(server)
        assert next(notifier).room_id == second  # type: ignore[union-attr]
        watchdog.cancel()
    assert [h.connection for h in hooks] == [2]


# -- 10,000 in a burst -----------------------------------------------------------------------


@pytest.mark.emulator_only
@pytest.mark.anyio
async def test_burst_of_10000_complete_and_in_order(jellyfish_server: Any) -> None:
    server = jellyfish_server
    async with Notifier(server.address, server.token) as notifier:
        room_id, _ = await anyio.to_thread.run_sync(burst, server, BURST)
        events: list[Any] = []
        with anyio.fail_after(20):
            async for event in notifier:
                events.append(event)
                if len(events) == BURST + 3:
                    break
    check_burst(events, room_id)


@pytest.mark.emulator_only
def test_burst_of_10000_complete_and_in_order_blocking(jellyfish_server: Any) -> None:
    server = jellyfish_server
    notifier = BlockingNotifier(server.address, server.token)
    events: list[Any] = []
    done = threading.Event()

    @notifier.on_server_notification
    def handle(event: Any) -> None:
        events.append(event)
        if len(events) == BURST + 3:
            done.set()

    with notifier:
        room_id, _ = burst(server, BURST)
        assert done.wait(20)
    check_burst(events, room_id)


# -- the 0.4.0 way, unchanged -------------------------------------------------------------


def test_0_4_0_usage_runs_unchanged(jellyfish_server: Any) -> None:
    server = jellyfish_server
    received: list[Any] = []

    async def main() -> None:
        from jellyfish import Notifier

        notifier = Notifier(server_address=server.address, server_api_token=server.token)
        arrived = asyncio.Event()

        @notifier.on_server_notification
        def handle_notification(server_notification: Any) -> None:
            received.append(server_notification)
            arrived.set()

        @notifier.on_metrics
        def handle_metrics(metrics_report: Any) -> None:
            pass

        notifier_task = asyncio.create_task(notifier.connect())
        await notifier.wait_ready()
        room_id = await asyncio.to_thread(create_room, server)
        await asyncio.wait_for(arrived.wait(), 10)
        assert isinstance(received[0], ServerMessageRoomCreated)
        assert received[0].room_id == room_id
        notifier_task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await notifier_task

    asyncio.run(main())


# -- metrics: explicit and later subscriptions -----------------------------------------------


@pytest.mark.emulator_only
@pytest.mark.anyio
async def test_metrics_subscribed_while_connected() -> None:
    async with JellyfishServer(metrics_interval=0.02) as server:
        notifier = Notifier(server.address, server.token, subscribe=["server_notifications"])
        reports: list[Any] = []
        got_report = anyio.Event()

        @notifier.on_metrics
        async def on_metrics(report: Any) -> None:
            reports.append(report)
            got_report.set()

        async with notifier:
            assert notifier.subscriptions == {Subscription.SERVER_NOTIFICATIONS}
            with anyio.fail_after(10):
                await notifier.subscribe_metrics()
                assert notifier.subscriptions == set(Subscription)
                await got_report.wait()
        assert isinstance(reports[0], ServerMessage.MetricsReport)
        assert isinstance(decode_metrics(reports[0]), dict)


@pytest.mark.emulator_only
def test_metrics_blocking_explicit_subscription() -> None:
    with JellyfishServer(metrics_interval=0.02) as server:
        notifier = BlockingNotifier(
            server.address, server.token, subscribe=["metrics"], queue_events=True
        )
        with notifier:
            event = next(notifier)
        assert isinstance(event, ServerMessage.MetricsReport)
        assert isinstance(decode_metrics(event), dict)
