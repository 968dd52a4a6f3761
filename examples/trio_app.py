"""A trio app: the same SDK objects as under asyncio (they run on anyio).

A handler-style Notifier runs in a nursery next to the REST calls.

    JELLYFISH_ADDRESS=localhost:5002 python examples/trio_app.py
"""

from __future__ import annotations

import os

import trio

from jellyfish import AsyncRoomApi, Notifier
from jellyfish.events import ServerMessageRoomCreated, ServerMessageRoomDeleted

ADDRESS = os.environ.get("JELLYFISH_ADDRESS", "localhost:5002")
TOKEN = os.environ.get("JELLYFISH_TOKEN", "development")


async def main() -> None:
    notifier = Notifier(server_address=ADDRESS, server_api_token=TOKEN)
    room_ids: list[str] = []
    deleted = trio.Event()

    @notifier.on_server_notification
    async def on_notification(notification: object) -> None:  # async handlers are awaited
        ours = getattr(notification, "room_id", None) in room_ids
        if ours and isinstance(notification, ServerMessageRoomCreated | ServerMessageRoomDeleted):
            print(f"{type(notification).__name__}: {notification.room_id}")
            if isinstance(notification, ServerMessageRoomDeleted):
                deleted.set()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(notifier.connect)  # as in 0.4.0: connect() runs until closed
        await notifier.wait_ready(timeout=10)

        async with AsyncRoomApi(server_address=ADDRESS, server_api_token=TOKEN) as room_api:
            _, room = await room_api.create_room()
            room_ids.append(room.id)
            print(f"health: {(await room_api.get_health()).status}")
            await room_api.delete_room(room.id)

        with trio.fail_after(10):
            await deleted.wait()
        await notifier.close()


if __name__ == "__main__":
    trio.run(main)
