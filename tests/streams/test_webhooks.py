"""Webhooks as the bridge's source, in-process: every bridge receives, the leader publishes.

The emulator POSTs real webhooks (rooms created with a ``webhook_url`` at a bridge) and
each test ends on the convergence check: the stream, applied, is what ``GET /room`` shows
of the rooms that have a webhook URL.
"""

from __future__ import annotations

import logging
import socket
from typing import Any

import anyio
import httpx
import pytest

from jellyfish import AsyncRoomApi, PeerOptionsWebRTC
from jellyfish.events import ServerMessage, ServerMessageRoomCreated
from jellyfish.redis import Bridge
from jellyfish.testing import JellyfishServer

from ._helpers import STREAM, applied, await_until, new_bridge, read_stream, with_webhooks
from ._redis_server import RedisServer

pytestmark = [pytest.mark.anyio, pytest.mark.emulator_only]


def webhook_bridge(
    server: JellyfishServer, redis: RedisServer, name: str, **options: Any
) -> Bridge:
    options.setdefault("catch_up_interval", None)  # every repair here has another cause
    return new_bridge(server, redis, name, webhooks="127.0.0.1:0", **options)


def dead_url() -> str:
    """A URL nothing listens on: its webhooks reach no bridge."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/webhook"


def events_of(redis: RedisServer) -> list[tuple[str, str, bool]]:
    return [
        (type(d.event).__name__.removeprefix("ServerMessage"), d.event.room_id, d.synthetic)
        for d in read_stream(redis)
    ]


async def converged(api: AsyncRoomApi, redis: RedisServer) -> None:
    expected = with_webhooks(await api.get_all_rooms())
    await await_until(
        lambda: applied(read_stream(redis)) == expected, what=f"convergence to {expected}"
    )


async def test_leader_and_standby_receive_and_the_leader_publishes_in_order(
    redis_server: RedisServer,
) -> None:
    async with JellyfishServer() as server, AsyncRoomApi(server.address, server.token) as api:
        await api.create_room(room_id="before", webhook_url=dead_url())
        await api.create_room(room_id="no-webhook")  # sends no webhooks: not published
        leader = webhook_bridge(server, redis_server, "leader")
        standby = webhook_bridge(server, redis_server, "standby")
        sent: list[tuple[str, str, bool]] = []
        async with anyio.create_task_group() as group:
            group.start_soon(leader.run)
            await await_until(lambda: leader.stats.catch_ups == 1, what="the leader's catch-up")
            group.start_soon(standby.run)
            await await_until(lambda: standby.stats.role == "standby", what="a standby")
            for index in range(6):  # half of the rooms post to the standby
                target = leader if index % 2 else standby
                _, room = await api.create_room(
                    room_id=f"r{index}", webhook_url=f"{target.webhook_url}/jellyfish"
                )
                await api.add_peer(room.id, PeerOptionsWebRTC())
                sent += [("RoomCreated", room.id, False), ("PeerAdded", room.id, False)]
            await api.delete_room("r0")
            sent += [("PeerDeleted", "r0", False), ("RoomDeleted", "r0", False)]
            await converged(api, redis_server)
            await await_until(lambda: len(read_stream(redis_server)) == len(sent) + 1)
            async with httpx.AsyncClient() as client:
                health = [(await client.get(b.webhook_url or "")).text for b in (leader, standby)]
                wrong = await client.post(
                    f"{leader.webhook_url}/jellyfish",
                    content=b"{}",
                    headers={"content-type": "text/plain"},
                )
            group.cancel_scope.cancel()
    # Jellyfish sends one webhook at a time, so the inbox is in the order it sent them,
    # whichever bridge received each one; the leader published them in that order
    assert events_of(redis_server) == [("RoomCreated", "before", True), *sent]
    stream = read_stream(redis_server)
    assert [d.sequence for d in stream] == list(range(1, len(stream) + 1))
    assert leader.stats.webhooks_received + standby.stats.webhooks_received == len(sent)
    assert standby.stats.webhooks_received > 0
    assert (standby.stats.appended, standby.stats.takeovers) == (0, 0)
    assert health == ["ok: leader", "ok: standby"]
    assert wrong.status_code == 400
    assert "Content-Type" in wrong.text
    # the cursor of the published inbox was stored with the last append
    last_inbox_entry: Any = redis_server.execute(
        "XREVRANGE", f"{STREAM}:inbox", "+", "-", "COUNT", 1
    )
    assert redis_server.execute("GET", f"{STREAM}:inbox:cursor") == last_inbox_entry[0][0]


async def test_webhooks_wait_in_the_inbox_while_no_bridge_leads(
    redis_server: RedisServer,
) -> None:
    # another bridge holds the lease (paused, say): ours stands by, and still receives
    redis_server.execute("SET", f"{STREAM}:lease", "7:elsewhere", "PX", 60_000)
    async with JellyfishServer() as server, AsyncRoomApi(server.address, server.token) as api:
        standby = webhook_bridge(server, redis_server, "standby")
        async with anyio.create_task_group() as group:
            group.start_soon(standby.run)
            await await_until(lambda: standby.stats.role == "standby", what="a standby")
            _, room = await api.create_room(
                room_id="while-nobody-leads", webhook_url=f"{standby.webhook_url}/hook"
            )
            await api.add_peer(room.id, PeerOptionsWebRTC())
            await api.create_room(room_id="heard-by-no-bridge", webhook_url=dead_url())
            await await_until(lambda: standby.stats.webhooks_received == 2)
            held = redis_server.execute("XLEN", f"{STREAM}:inbox")
            published = redis_server.execute("XLEN", STREAM)
            redis_server.execute("DEL", f"{STREAM}:lease")  # the other bridge is gone
            await converged(api, redis_server)
            group.cancel_scope.cancel()
    assert (held, published) == (2, 0)
    # what waited in the inbox first, as received; then the takeover's catch-up
    assert events_of(redis_server) == [
        ("RoomCreated", "while-nobody-leads", False),
        ("PeerAdded", "while-nobody-leads", False),
        ("RoomCreated", "heard-by-no-bridge", True),
    ]


async def test_an_inbox_trimmed_while_nobody_leads_loses_nothing_that_changes_the_state(
    redis_server: RedisServer,
) -> None:
    """``maxlen`` bounds the inbox too: what the trim dropped, the takeover's catch-up restores.

    Redis trims ``MAXLEN ~`` by whole nodes of 100 entries, hence the 400 webhooks. The
    stream is trimmed as well (``maxlen`` bounds both), so the published state (the hash
    the bridges keep in Redis) is what must end as ``GET /room`` shows.
    """
    redis_server.execute("SET", f"{STREAM}:lease", "7:elsewhere", "PX", 60_000)
    async with JellyfishServer() as server, AsyncRoomApi(server.address, server.token) as api:
        standby = webhook_bridge(server, redis_server, "standby", maxlen=10)
        async with anyio.create_task_group() as group:
            group.start_soon(standby.run)
            await await_until(lambda: standby.stats.role == "standby", what="a standby")
            hook = f"{standby.webhook_url}/hook"
            await api.create_room(room_id="first-in-the-inbox", webhook_url=hook)
            await await_until(lambda: standby.stats.webhooks_received == 1)
            async with httpx.AsyncClient() as client:  # as Jellyfish: one at a time
                for index in range(400):
                    body = ServerMessage(
                        room_created=ServerMessageRoomCreated(room_id=f"gone-{index}")
                    ).SerializeToString()
                    answer = await client.post(
                        hook, content=body, headers={"content-type": "application/x-protobuf"}
                    )
                    assert answer.status_code == 204, answer.text
            held = redis_server.execute("XLEN", f"{STREAM}:inbox")
            first = redis_server.execute("XRANGE", f"{STREAM}:inbox", "-", "+", "COUNT", 1)
            redis_server.execute("DEL", f"{STREAM}:lease")  # the other bridge is gone
            await await_until(lambda: published_rooms(redis_server) == {b"first-in-the-inbox"})
            await await_until(lambda: standby.stats.catch_ups == 1)  # counted after the append
            stats = standby.stats
            group.cancel_scope.cancel()
    assert held < 401  # trimmed, the room's webhook with it
    assert b"first-in-the-inbox" not in first[0][1][1]
    # the inbox replayed (the fake rooms that survived the trim), then the catch-up:
    # it deleted each of them and restored the room whose webhook was trimmed
    assert (stats.appended, stats.synthesized) == (2 * held + 1, held + 1)
    stream = read_stream(redis_server)
    first_sequence = stream[0].sequence
    assert [d.sequence for d in stream] == list(range(first_sequence, first_sequence + len(stream)))


def published_rooms(redis: RedisServer) -> set[bytes]:
    """The rooms of the state the bridges published (the hash beside the stream)."""
    return set(redis.execute("HKEYS", f"{STREAM}:state"))


async def test_a_refused_webhook_marks_a_gap_where_the_leader_catches_up(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    async with JellyfishServer() as server, AsyncRoomApi(server.address, server.token) as api:
        leader = webhook_bridge(server, redis_server, "leader")
        with caplog.at_level(logging.INFO, "jellyfish.bridge"):
            async with anyio.create_task_group() as group:
                group.start_soon(leader.run)
                await await_until(lambda: leader.stats.catch_ups == 1)
                url = f"{leader.webhook_url}/hook"
                _, kept = await api.create_room(room_id="kept", webhook_url=url)
                await await_until(lambda: len(read_stream(redis_server)) == 1)
                # Redis refuses writes (out of memory): the webhooks are answered 503, and
                # Jellyfish never sends them again
                redis_server.execute("CONFIG", "SET", "maxmemory", "1")
                await api.create_room(room_id="lost", webhook_url=url)
                await api.add_peer(kept.id, PeerOptionsWebRTC())
                await await_until(lambda: leader.stats.webhooks_refused == 2, what="refusals")
                redis_server.execute("CONFIG", "SET", "maxmemory", "0")
                await converged(api, redis_server)
                await await_until(lambda: leader.stats.catch_ups == 2)  # counted after the append
                group.cancel_scope.cancel()
        assert server.webhooks is not None
        assert server.webhooks.failed == 2  # Jellyfish's side: two webhooks went nowhere
    assert events_of(redis_server) == [
        ("RoomCreated", "kept", False),
        ("PeerAdded", "kept", True),
        ("RoomCreated", "lost", True),
    ]
    assert (leader.stats.takeovers, leader.stats.catch_ups) == (1, 2)  # no takeover: the gap
    assert "(2 events synthesized; a webhook refused by leader)" in caplog.text
    gap: Any = redis_server.execute("XRANGE", f"{STREAM}:inbox", "-", "+")
    assert [fields[:2] for _, fields in gap][-1] == [b"gap", b"1"]


async def test_the_periodic_catch_up_repairs_what_no_bridge_heard(
    redis_server: RedisServer,
) -> None:
    async with JellyfishServer() as server, AsyncRoomApi(server.address, server.token) as api:
        leader = webhook_bridge(server, redis_server, "leader", catch_up_interval=0.3)
        async with anyio.create_task_group() as group:
            group.start_soon(leader.run)
            await await_until(lambda: leader.stats.catch_ups == 1)
            # a webhook that reached no bridge (a misrouted load balancer): nobody knows
            await api.create_room(room_id="unheard", webhook_url=dead_url())
            await converged(api, redis_server)
            # a Jellyfish restart: its rooms are gone, and no webhook says so
            await anyio.to_thread.run_sync(server.restart)
            await api.create_room(room_id="after", webhook_url=f"{leader.webhook_url}/hook")
            await converged(api, redis_server)
            # its webhook is published too, even when a periodic catch-up got there first
            await await_until(lambda: ("RoomCreated", "after", False) in events_of(redis_server))
            group.cancel_scope.cancel()
    assert events_of(redis_server)[0] == ("RoomCreated", "unheard", True)
    assert ("RoomDeleted", "unheard", True) in events_of(redis_server)
    assert ("RoomCreated", "after", False) in events_of(redis_server)


async def test_a_webhook_port_in_use_is_an_error_of_run(redis_server: RedisServer) -> None:
    async with JellyfishServer() as server:
        first = webhook_bridge(server, redis_server, "first")
        async with anyio.create_task_group() as group:
            group.start_soon(first.run)
            await await_until(lambda: first.webhook_url is not None)
            port = (first.webhook_url or "").rsplit(":", 1)[1]
            second = Bridge(
                redis_server.url, server_address=server.address,
                server_api_token=server.token, webhooks=f"127.0.0.1:{port}",
            )  # fmt: skip
            with pytest.raises(OSError, match=r"(?i)in use"):
                await second.run()
            group.cancel_scope.cancel()
    assert "source='webhooks'" in repr(second)
    with pytest.raises(ValueError, match="PORT"):
        Bridge(redis_server.url, webhooks="8000")
    with pytest.raises(ValueError, match="catch_up_interval"):
        Bridge(redis_server.url, catch_up_interval=0)
