"""Rooms in a Jellyfish cluster: RoomApi sends each room's calls to the node that holds it.

In a cluster, `POST /room` on any node may create the room on another node, and only that
node knows the room. `RoomApi` learns the node from `create_room`'s `jellyfish_address` and
routes later calls about that room there, so one `RoomApi` serves the whole cluster.

    JELLYFISH_ADDRESS=node1:5002 python examples/cluster.py

Without JELLYFISH_ADDRESS it starts a 2-node emulated cluster (jellyfish.testing).
"""

from __future__ import annotations

import contextlib
import os

from jellyfish import PeerOptionsWebRTC, RoomApi


def main() -> None:
    with contextlib.ExitStack() as stack:
        address = os.environ.get("JELLYFISH_ADDRESS")
        token = os.environ.get("JELLYFISH_TOKEN", "development")
        if not address:
            from jellyfish.testing import JellyfishCluster

            cluster = stack.enter_context(JellyfishCluster(nodes=2))
            address, token = cluster.nodes[0].address, cluster.token
            print(f"emulated cluster: {[node.address for node in cluster.nodes]}")

        room_api = stack.enter_context(RoomApi(server_address=address, server_api_token=token))
        health = room_api.get_health()
        print(f"{address}: cluster of {health.distribution.nodes_in_cluster} node(s)")

        rooms = [room_api.create_room() for _ in range(2)]
        for node_address, room in rooms:
            # Routed to node_address: no per-node RoomApi needed (0.4.0 required one).
            peer = room_api.add_peer(room.id, options=PeerOptionsWebRTC())
            print(f"room {room.id} lives on {node_address}; peer {peer.peer.id} added there")
            print(f"  peers now: {[p.id for p in room_api.get_room(room.id).peers]}")
        for _, room in rooms:
            room_api.delete_room(room.id)


if __name__ == "__main__":
    main()
