"""What every entity of a node shares: its settings, clock, rooms and notification outlets."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TypeVar

from jellyfish.events._protos.jellyfish.server_notifications_pb2 import ServerMessage
from jellyfish.testing._clock import Scheduler
from jellyfish.testing._model import (
    Component,
    ControlError,
    NodeSettings,
    NotificationBus,
    Peer,
    Room,
    WebhookSink,
)
from jellyfish.testing._params import NotFound
from jellyfish.testing._telemetry import Telemetry

logger = logging.getLogger("jellyfish.testing")

E = TypeVar("E", Peer, Component)


@dataclass(eq=False)
class NodeContext:
    """One node's shared state; the entity classes (rooms, peers, components, media) use it.

    ``rooms`` holds the live rooms of this node (a stopped or crashed room leaves it at
    once, as the server's room registry forgets a process that exits).
    """

    settings: NodeSettings
    scheduler: Scheduler
    bus: NotificationBus
    webhooks: WebhookSink
    telemetry: Telemetry
    rooms: dict[str, Room] = field(default_factory=dict)

    def emit(self, message: ServerMessage, room: Room | None) -> None:
        """Publish a server notification; post it to ``room``'s webhook if registered (§7.3)."""
        self.bus.publish(message)
        if room is not None and room.webhook_url is not None:
            self.webhooks(room.webhook_url, message)

    def room(self, room_id: str, missing: type[Exception] = NotFound) -> Room:
        """The room; else 404 ``Room <id> does not exist`` (§2.4), or ``missing``."""
        room = self.rooms.get(room_id)
        if room is None:
            if missing is NotFound:
                raise NotFound(f"Room {room_id} does not exist")
            raise missing(f"room {room_id!r} does not exist")
        return room

    def endpoint(self, room_id: str, endpoint_id: str, kind: type[E]) -> tuple[Room, E]:
        """A peer or component of a room for the control API, or :class:`ControlError`."""
        room = self.room(room_id, ControlError)
        endpoint = room.endpoint(endpoint_id)
        if not isinstance(endpoint, kind):
            other = "component" if kind is Peer else "peer"
            raise ControlError(f"{endpoint_id!r} is a {other}, not a {kind.__name__.lower()}")
        return room, endpoint
