"""One notifier in one process: a small service beside a multi-worker app.

    JELLYFISH_ADDRESS=localhost:5002 python examples/deploy_notifier_service.py

Run exactly one of these per Jellyfish (not one per web worker). It keeps the set of live
rooms from notifications. The WebSocket loses whatever the server sends while it is
disconnected, so the notifier runs with ``catch_up=True``: once connected, and after every
reconnect, it reads the server's state and delivers what changed as ordinary (synthetic)
notifications, before any later one. Feed your app from here (write to its database, or
POST to it behind its load balancer).

Run as a script, it creates and deletes a room and checks that the directory followed.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

import anyio

from jellyfish import AsyncRoomApi, Delivery, Notifier, ReconnectPolicy, Router
from jellyfish.events import (
    Reconnected,
    ServerMessageRoomCrashed,
    ServerMessageRoomCreated,
    ServerMessageRoomDeleted,
)

logger = logging.getLogger("deploy_notifier_service")


class RoomDirectory:
    """The live rooms of one Jellyfish, kept by one notifier that catches up after gaps."""

    def __init__(
        self,
        server_address: str,
        server_api_token: str,
        reconnect: ReconnectPolicy | None = None,
    ) -> None:
        self.rooms: set[str] = set()
        self.reconnects = 0
        self._changed: anyio.Event | None = None
        events = Router()
        events.add(self._room_created, ServerMessageRoomCreated)
        events.add(self._room_gone, ServerMessageRoomDeleted, ServerMessageRoomCrashed)
        events.add(self._reconnected, Reconnected)
        # catch_up=True: the rooms that exist when it starts, and what changed while it was
        # disconnected, arrive as notifications too (delivery.synthetic tells them apart)
        self.notifier = Notifier(
            server_address, server_api_token, reconnect=reconnect, catch_up=True, router=events
        )

    def _room_created(self, event: ServerMessageRoomCreated, delivery: Delivery) -> None:
        # a second parameter receives the Delivery: synthetic=True for a caught-up room
        self.rooms.add(event.room_id)
        logger.info("room %s (%s)", event.room_id, "caught up" if delivery.synthetic else "new")
        self._signal()

    def _room_gone(self, event: ServerMessageRoomDeleted | ServerMessageRoomCrashed) -> None:
        self.rooms.discard(event.room_id)
        self._signal()

    def _reconnected(self, event: Reconnected) -> None:
        # what happened meanwhile follows at once, as synthetic notifications
        self.reconnects += 1
        logger.warning("reconnected after %s; catching up", event.error)

    def _signal(self) -> None:
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    async def wait_until(self, condition: Callable[[], bool]) -> None:
        """Wait until ``condition()`` holds (re-checked after every change)."""
        while not condition():
            if self._changed is None:
                self._changed = anyio.Event()
            await self._changed.wait()

    async def __aenter__(self) -> RoomDirectory:
        await self.notifier.__aenter__()  # connected, and the first catch-up queued
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.notifier.__aexit__(*exc)


async def main() -> None:
    address = os.environ.get("JELLYFISH_ADDRESS", "localhost:5002")
    token = os.environ.get("JELLYFISH_TOKEN", "development")
    async with (
        RoomDirectory(address, token) as directory,
        AsyncRoomApi(address, token) as room_api,
    ):
        _, room = await room_api.create_room()
        with anyio.fail_after(10):
            await directory.wait_until(lambda: room.id in directory.rooms)
        print(f"room {room.id} created; the directory knows {len(directory.rooms)} room(s)")
        await room_api.delete_room(room.id)
        with anyio.fail_after(10):
            await directory.wait_until(lambda: room.id not in directory.rooms)
        print(f"room {room.id} deleted; the directory followed")


if __name__ == "__main__":
    anyio.run(main)
