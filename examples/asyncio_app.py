"""An asyncio app: AsyncRoomApi for REST calls, Notifier for notifications (`async for`).

JELLYFISH_ADDRESS=localhost:5002 python examples/asyncio_app.py
"""

from __future__ import annotations

import asyncio
import os

from jellyfish import AsyncRoomApi, Notifier, PeerOptionsWebRTC
from jellyfish.events import ServerMessagePeerAdded, ServerMessageRoomDeleted

ADDRESS = os.environ.get("JELLYFISH_ADDRESS", "localhost:5002")
TOKEN = os.environ.get("JELLYFISH_TOKEN", "development")


async def main() -> None:
    async with (
        Notifier(ADDRESS, TOKEN) as notifier,  # connected, authenticated and subscribed
        AsyncRoomApi(server_address=ADDRESS, server_api_token=TOKEN) as room_api,
    ):
        _, room = await room_api.create_room(video_codec="vp8")
        # Several REST calls at once, on one pooled connection set.
        await asyncio.gather(
            *(room_api.add_peer(room.id, options=PeerOptionsWebRTC()) for _ in range(3))
        )
        await room_api.delete_room(room.id)

        peers_added = 0
        async for event in notifier:
            if getattr(event, "room_id", None) != room.id:
                continue
            print(event)
            peers_added += isinstance(event, ServerMessagePeerAdded)
            if isinstance(event, ServerMessageRoomDeleted):
                break
        print(f"{peers_added} peers were added to room {room.id} before it was deleted")


if __name__ == "__main__":
    asyncio.run(main())
