"""Rooms: creation, deletion, crashes and the peerless purge timer (§2.3, §2.5, §4.2-§4.4)."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

from jellyfish.events._protos.jellyfish.server_notifications_pb2 import ServerMessage
from jellyfish.testing._context import NodeContext
from jellyfish.testing._media import MediaSimulation
from jellyfish.testing._media_plane import MediaPlane
from jellyfish.testing._model import TIMER_EPSILON, Room, seconds
from jellyfish.testing._params import Invalid, RoomConfig, parse_room_config

logger = logging.getLogger("jellyfish.testing")


@dataclass(eq=False)
class Rooms:
    """The rooms of one node."""

    context: NodeContext
    media: MediaPlane
    simulation: MediaSimulation

    def validate(self, params: dict[str, Any]) -> RoomConfig:
        """Validate ``POST /room`` parameters (raises :class:`ApiError`)."""
        return parse_room_config(params, self.context.settings.allow_float_timeouts)

    def load(self) -> tuple[int, int]:
        """``(forwarded tracks, rooms)``: what the cluster placement compares (§2.3)."""
        rooms = self.context.rooms
        return sum(room.track_count() for room in rooms.values()), len(rooms)

    def create(self, config: RoomConfig) -> Room:
        """Start a room (steps 1-3 of §2.3)."""
        context = self.context
        room_id = config.room_id if config.room_id is not None else str(uuid.uuid4())
        if room_id in context.rooms:
            raise Invalid(f'Cannot add room with id "{room_id}" - room already exists')
        room = Room(room_id, config, created_at=context.scheduler.now())
        context.rooms[room_id] = room
        logger.info("Created room %s", room_id)
        self.arm_peerless(room)
        room.webhook_url = config.webhook_url
        context.emit(ServerMessage(room_created=ServerMessage.RoomCreated(room_id=room_id)), room)
        return room

    def delete(self, room_id: str) -> None:
        """``DELETE /room/<id>``: a normal stop; RoomDeleted follows asynchronously."""
        self._stop(self.context.room(room_id), defer_room_deleted=True)

    def crash(self, room: Room) -> None:
        """An abnormal room exit (§4.3)."""
        if not room.alive:
            return
        logger.error("Room %s crashed", room.id)
        context = self.context
        room.alive = False
        context.rooms.pop(room.id, None)
        for peer in room.peers.values():
            if peer.socket is not None:
                peer.socket.close(1011, "Internal server error")
                peer.socket = None
        self.simulation.room_stopped(room)
        context.emit(ServerMessage(room_crashed=ServerMessage.RoomCrashed(room_id=room.id)), room)
        context.telemetry.room_gone(room.id)
        room.webhook_url = None
        self.simulation.room_deleted(room, crashed=True)

    def _stop(self, room: Room, defer_room_deleted: bool) -> None:
        context = self.context
        room.alive = False
        context.rooms.pop(room.id, None)
        for key in sorted(room.peers):
            peer = room.peers[key]
            self.media.remove_all_tracks(room, peer)
            if peer.socket is not None:
                peer.socket.close(1000, "Room stopped")
                peer.socket = None
            context.emit(
                ServerMessage(
                    peer_deleted=ServerMessage.PeerDeleted(room_id=room.id, peer_id=peer.id)
                ),
                room,
            )
        for key in sorted(room.components):
            self.media.remove_all_tracks(room, room.components[key])
        self.simulation.room_stopped(room)

        def finish() -> None:
            context.emit(
                ServerMessage(room_deleted=ServerMessage.RoomDeleted(room_id=room.id)), room
            )
            context.telemetry.room_gone(room.id)
            room.webhook_url = None
            self.simulation.room_deleted(room, crashed=False)

        if defer_room_deleted:
            context.scheduler.call_soon(finish)
        else:
            finish()

    # --- the peerless purge (§4.4) ------------------------------------------------------------

    def arm_peerless(self, room: Room) -> None:
        """Start the peerless purge timer if the room is configured for it and has no peer on."""
        timeout = room.config.peerless_purge_timeout
        if timeout is None or not room.all_disconnected():
            return
        scheduler = self.context.scheduler
        room.last_peer_left = scheduler.now()
        scheduler.call_later(seconds(timeout), lambda: self._peerless_fired(room))

    def _peerless_fired(self, room: Room) -> None:
        timeout = room.config.peerless_purge_timeout
        if not room.alive or self.context.rooms.get(room.id) is not room or timeout is None:
            return
        due = room.last_peer_left + seconds(timeout) - TIMER_EPSILON
        if room.all_disconnected() and self.context.scheduler.now() >= due:
            logger.info("Removing room %s due to peerless purge timeout", room.id)
            self._stop(room, defer_room_deleted=False)

    # --- metrics (§8) ---------------------------------------------------------------------------

    def scrape_metrics(self) -> None:
        """The room service's periodic room gauges (peer counts include disconnected peers)."""
        rooms = self.context.rooms.values()
        self.context.telemetry.scrape_rooms((room.id, len(room.peers)) for room in rooms)
