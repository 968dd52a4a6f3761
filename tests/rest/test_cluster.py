"""Cluster routing on a 2-node emulator cluster: room calls follow the room to its node."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from jellyfish import (
    AsyncRoomApi,
    ComponentOptionsHLS,
    ComponentOptionsRTSP,
    PeerOptionsWebRTC,
    RoomApi,
)
from jellyfish.errors import NotFoundError
from jellyfish.testing import JellyfishCluster


@pytest.fixture(scope="module")
def cluster() -> Iterator[JellyfishCluster]:
    with JellyfishCluster(nodes=2) as running:
        yield running


def test_rooms_land_on_both_nodes_and_calls_follow_them(cluster: JellyfishCluster) -> None:
    node1, node2 = cluster.nodes
    with (
        RoomApi(node1.address, cluster.token) as api,
        RoomApi(node1.address, cluster.token, cluster_routing=False) as unrouted,
    ):
        created = [api.create_room(video_codec="h264") for _ in range(2)]
        addresses = {address for address, _ in created}
        assert addresses == {node1.address, node2.address}  # §2.3 load balancing
        for address, room in created:
            assert api.room_address(room.id) == address
            assert api.get_room(room.id).id == room.id
            peer = api.add_peer(room.id, PeerOptionsWebRTC())
            assert peer.peer_websocket_url == f"{address}/socket/peer/websocket"
            hls = api.add_component(room.id, ComponentOptionsHLS())
            rtsp = api.add_component(room.id, ComponentOptionsRTSP(source_uri="rtsp://x"))
            api.delete_component(room.id, rtsp.id)
            assert [c.id for c in api.get_room(room.id).components] == [hls.id]
            api.delete_peer(room.id, peer.peer.id)
        # Without routing, the room on node 2 is invisible from node 1 (§2.14).
        remote = next(room for address, room in created if address == node2.address)
        with pytest.raises(NotFoundError, match=f"Room {remote.id} does not exist"):
            unrouted.get_room(remote.id)
        # get_all_rooms is node-local: it lists node 1's rooms only.
        local = next(room for address, room in created if address == node1.address)
        assert local.id in {room.id for room in api.get_all_rooms()}
        assert remote.id not in {room.id for room in api.get_all_rooms()}
        for _, room in created:
            api.delete_room(room.id)
            assert api.room_address(room.id) == node1.address
        assert node1.room_ids() == [] and node2.room_ids() == []  # noqa: PT018


def test_remember_room_from_a_stored_address(cluster: JellyfishCluster) -> None:
    node1, node2 = cluster.nodes
    with RoomApi(node2.address, cluster.token) as creator:
        created = [creator.create_room() for _ in range(2)]
    address, room = next((a, r) for a, r in created if a == node1.address)
    # Another API object (another process) only knows the stored address.
    with RoomApi(node2.address, cluster.token) as api:
        api.remember_room(room.id, address)
        assert api.get_room(room.id).id == room.id
        for each_address, each in created:
            api.remember_room(each.id, each_address)
            api.delete_room(each.id)


@pytest.mark.anyio
async def test_async_calls_follow_the_room(cluster: JellyfishCluster) -> None:
    node1, node2 = cluster.nodes
    async with AsyncRoomApi(node1.address, cluster.token) as api:
        created = [await api.create_room() for _ in range(2)]
        assert {address for address, _ in created} == {node1.address, node2.address}
        for _, room in created:
            details = await api.add_peer(room.id)
            assert (await api.get_room(room.id)).peers == [details.peer]
            await api.delete_room(room.id)


def test_single_node_advertising_an_unreachable_address() -> None:
    """Docker's default: the node reports 0.0.0.0:8080 while clients use a mapped port.
    "auto" routing asks /health once, sees no cluster and keeps calls on server_address."""
    from jellyfish.testing import JellyfishServer

    with JellyfishServer(external_address="0.0.0.0:8080") as server:
        reachable = server.http_url.removeprefix("http://")
        with RoomApi(reachable, server.token) as api:
            address, room = api.create_room()
            assert address == "0.0.0.0:8080"
            assert api.get_room(room.id).id == room.id
            api.add_peer(room.id)
            api.delete_room(room.id)
        with RoomApi(reachable, server.token, cluster_routing=True, timeout=2) as trusting:
            _, room = trusting.create_room()
            assert trusting.room_address(room.id) == "0.0.0.0:8080"
