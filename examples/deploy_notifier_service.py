"""One notifier in one process: a small service beside a multi-worker app.

    JELLYFISH_ADDRESS=localhost:5002 python examples/deploy_notifier_service.py

Run exactly one of these per Jellyfish (not one per web worker). It keeps the set of live
rooms from notifications. The WebSocket loses whatever the server sends while it is
disconnected, so after every ``Reconnected`` it reconciles with ``get_all_rooms()``. Feed
your app from here (write to its database, or POST to it behind its load balancer).

Run as a script, it creates and deletes a room and checks that the directory followed.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

import anyio

from jellyfish import AsyncRoomApi, Notifier, ReconnectPolicy, Room
from jellyfish.errors import ConnectionFailedError
from jellyfish.events import (
    Reconnected,
    ServerMessageRoomCrashed,
    ServerMessageRoomCreated,
    ServerMessageRoomDeleted,
)

logger = logging.getLogger("deploy_notifier_service")

RECONCILE_RETRY_DELAYS = (0.1, 0.5, 2.0)


class RoomDirectory:
    """The live rooms of one Jellyfish, kept by one notifier, reconciled after reconnects."""

    def __init__(
        self,
        server_address: str,
        server_api_token: str,
        reconnect: ReconnectPolicy | None = None,
    ) -> None:
        self.rooms: set[str] = set()
        self.reconciled = 0
        """How many times the directory was rebuilt from ``get_all_rooms()``."""
        self._changed: anyio.Event | None = None
        self._room_api = AsyncRoomApi(server_address, server_api_token)
        self.notifier = Notifier(server_address, server_api_token, reconnect=reconnect)
        self.notifier.on_server_notification(self._on_notification)
        self.notifier.on_reconnected(self._on_reconnected)

    async def _on_notification(self, notification: object) -> None:
        if isinstance(notification, ServerMessageRoomCreated):
            self.rooms.add(notification.room_id)
        elif isinstance(notification, ServerMessageRoomDeleted | ServerMessageRoomCrashed):
            self.rooms.discard(notification.room_id)
        self._signal()

    async def _on_reconnected(self, event: Reconnected) -> None:
        # what happened while we were away was never sent to us again: ask for the state
        self.rooms = {room.id for room in await self._all_rooms()}
        self.reconciled += 1
        logger.warning(
            "reconnected after %s; %d rooms after reconciling", event.error, len(self.rooms)
        )
        self._signal()

    async def _all_rooms(self) -> list[Room]:
        # The outage that broke the WebSocket may also have broken the REST client's pooled
        # connection, which only the next request finds out: retry on a fresh one.
        for delay in RECONCILE_RETRY_DELAYS:
            try:
                return await self._room_api.get_all_rooms()
            except ConnectionFailedError as error:
                logger.warning("get_all_rooms failed (%s); retrying in %.1f s", error, delay)
                await anyio.sleep(delay)
        return await self._room_api.get_all_rooms()

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
        await self.notifier.__aenter__()  # connected, authenticated, subscribed
        # notifications start now: take the state that came before them
        self.rooms = {room.id for room in await self._room_api.get_all_rooms()}
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.notifier.__aexit__(*exc)
        await self._room_api.aclose()


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
