"""The bridge in-process: catch-up on start, live events in order, standby, stop."""

from __future__ import annotations

import anyio
import pytest

from jellyfish import AsyncRoomApi, ServerState
from jellyfish.testing import JellyfishServer

from ._helpers import applied, await_until, fences, new_bridge, read_stream
from ._redis_server import RedisServer

pytestmark = [pytest.mark.anyio]


async def test_catch_up_then_live_events_then_standby(redis_server: RedisServer) -> None:
    async with JellyfishServer() as server, AsyncRoomApi(server.address, server.token) as api:
        _, before = await api.create_room(room_id="before-the-bridge")
        await api.add_peer(before.id)
        first, second = (
            new_bridge(server, redis_server, "one"),
            new_bridge(server, redis_server, "two"),
        )
        async with anyio.create_task_group() as group:
            group.start_soon(first.run)
            await await_until(lambda: first.stats.catch_ups == 1, what="the first catch-up")
            group.start_soon(second.run)
            await await_until(lambda: second.stats.role == "standby", what="a standby")
            _, live = await api.create_room(room_id="live")
            await api.add_peer(live.id)
            await api.delete_room(before.id)
            expected = ServerState.from_rooms(await api.get_all_rooms())
            await await_until(lambda: applied(read_stream(redis_server)) == expected)
            group.cancel_scope.cancel()
    deliveries = read_stream(redis_server)
    kinds = [(str(type(d.event).__name__), d.synthetic) for d in deliveries]
    assert kinds[:3] == [
        ("ServerMessageRoomCreated", True),
        ("ServerMessagePeerAdded", True),
        ("ServerMessageRoomCreated", False),
    ]
    assert [d.sequence for d in deliveries] == list(range(1, len(deliveries) + 1))
    assert set(fences(redis_server)) == {1}
    kinds_written = redis_server.execute("XRANGE", "jellyfish:events", "-", "+", "COUNT", 1)
    assert b"ServerMessageRoomCreated" in kinds_written[0][1]  # type: ignore[index]
    assert second.stats.appended == 0
    assert second.stats.takeovers == 0
    # the published state is what a consumer of the whole stream holds
    published = ServerState()
    state = redis_server.execute("HGETALL", "jellyfish:events:state")
    for room_id, text in zip(state[::2], state[1::2], strict=True):  # type: ignore[index]
        published.room_from_json(room_id.decode(), text)
    assert published == applied(deliveries)
    # the leader gave its lease up when it stopped
    assert redis_server.execute("EXISTS", "jellyfish:events:lease") == 0
