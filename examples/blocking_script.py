"""A blocking script: manage a room with RoomApi and follow it with BlockingNotifier.

Run against any Jellyfish v0.5.0 (or `python -m jellyfish.testing`):
    JELLYFISH_ADDRESS=localhost:5002 JELLYFISH_TOKEN=development python examples/blocking_script.py
"""

from __future__ import annotations

import os

from jellyfish import BlockingNotifier, PeerOptionsWebRTC, RoomApi
from jellyfish.events import ServerMessageRoomDeleted

ADDRESS = os.environ.get("JELLYFISH_ADDRESS", "localhost:5002")
TOKEN = os.environ.get("JELLYFISH_TOKEN", "development")


def main() -> None:
    # `with` starts the notifier in a background thread and waits until it is
    # authenticated and subscribed, so no notification about our room can be missed.
    with (
        BlockingNotifier(ADDRESS, TOKEN) as notifier,
        RoomApi(server_address=ADDRESS, server_api_token=TOKEN) as room_api,
    ):
        _, room = room_api.create_room(max_peers=5)
        peer = room_api.add_peer(room.id, options=PeerOptionsWebRTC())
        print(f"room {room.id}: peer {peer.peer.id} joins with token {peer.token[:16]}...")
        print(f"rooms on the server: {[r.id for r in room_api.get_all_rooms()]}")
        room_api.delete_room(room.id)

        for event in notifier:  # the notifications, in the order the server sent them
            if getattr(event, "room_id", None) != room.id:
                continue
            print(f"  {event}")
            if isinstance(event, ServerMessageRoomDeleted):
                break


if __name__ == "__main__":
    main()
