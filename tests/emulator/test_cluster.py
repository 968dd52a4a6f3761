"""JellyfishCluster (§2.3, §2.14): placement, node-local rooms, cluster-wide notifications."""

from __future__ import annotations

import pytest

from jellyfish.testing import JellyfishCluster

from .helpers import Rest, WebhookReceiver, server_ws

pytestmark = pytest.mark.emulator_only


def test_load_balancing_and_node_local_rooms() -> None:
    with JellyfishCluster(nodes=2) as cluster:
        first, second = cluster.nodes
        assert first.address != second.address
        with Rest(first) as rest1, Rest(second) as rest2:
            room_a, data_a = rest1.create_room()
            room_b, data_b = rest1.create_room()
            addresses = {data_a["jellyfish_address"], data_b["jellyfish_address"]}
            assert addresses == {first.address, second.address}
            on_first = [r["id"] for r in rest1.request("GET", "/room").json()["data"]]
            on_second = [r["id"] for r in rest2.request("GET", "/room").json()["data"]]
            assert len(on_first) == 1
            assert len(on_second) == 1
            assert {*on_first, *on_second} == {room_a, room_b}
            # every other endpoint is node-local
            elsewhere = rest2 if on_first == [room_a] else rest1
            missing = elsewhere.request("GET", f"/room/{room_a}")
            assert missing.json() == {"errors": f"Room {room_a} does not exist"}
            health = rest1.request("GET", "/health").json()["data"]["distribution"]
            assert health == {"enabled": True, "nodeStatus": "UP", "nodesInCluster": 2}


def test_placement_prefers_fewer_tracks_then_fewer_rooms() -> None:
    with JellyfishCluster(nodes=3) as cluster, Rest(cluster.nodes[0]) as rest:
        placed = [rest.create_room()[1]["jellyfish_address"] for _ in range(3)]
        assert sorted(placed) == sorted(node.address for node in cluster.nodes)
        # the receiving node wins ties
        assert placed[0] == cluster.nodes[0].address


def test_notifications_from_all_nodes_and_webhooks_from_the_rooms_node() -> None:
    with JellyfishCluster(nodes=2) as cluster, WebhookReceiver() as hook:
        first = cluster.nodes[0]
        with server_ws(first.address, cluster.token) as client, Rest(first) as rest:
            ids = [rest.create_room(webhookUrl=hook.url)[0] for _ in range(2)]
            assert {client.next_kind()[1].room_id for _ in ids} == set(ids)
            assert {hook.next()[1].room_created.room_id for _ in ids} == set(ids)
            for room_id, node in ((room_id, node) for room_id in ids for node in cluster.nodes):
                if room_id in node.room_ids():
                    node.crash_room(room_id)
            assert {client.next_kind()[0] for _ in ids} == {"room_crashed"}
