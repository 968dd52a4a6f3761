"""Peers: add/delete, the peer socket's lifecycle, media events, crashes (§2.6, §2.7, §4.5, §6)."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

from jellyfish.events._protos.jellyfish.server_notifications_pb2 import ServerMessage
from jellyfish.testing._context import NodeContext
from jellyfish.testing._json import decode_json, encode_json
from jellyfish.testing._media_plane import MediaPlane
from jellyfish.testing._model import TIMER_EPSILON, Peer, PeerSocket, Room, seconds
from jellyfish.testing._params import INVALID_BODY, Crash, Invalid, LimitReached, NotFound
from jellyfish.testing._rooms import Rooms
from jellyfish.testing._tokens import PeerTokenSigner, TokenError

logger = logging.getLogger("jellyfish.testing")


@dataclass(eq=False)
class Peers:
    """The WebRTC peers of one node's rooms.

    REST add/delete, the peer socket's lifecycle, media events, crashes and the
    peer-disconnected purge. Tokens are signed and checked by ``signer``; the room-level
    consequences (peerless purge, crashes) go through ``rooms``.
    """

    context: NodeContext
    rooms: Rooms
    media: MediaPlane
    signer: PeerTokenSigner

    def _emit(self, room: Room, **content: Any) -> None:
        self.context.emit(ServerMessage(**content), room)

    # --- REST --------------------------------------------------------------------------------

    def add(self, room_id: str, params: dict[str, Any]) -> tuple[Room, Peer, str]:
        """``POST /room/<id>/peer`` (§2.6 check order); returns the room, peer and token."""
        if "type" not in params:
            raise Invalid(INVALID_BODY)
        if params["type"] != "webrtc":
            raise Invalid("Invalid peer type")
        room = self.context.room(room_id)
        max_peers = room.config.max_peers
        if max_peers is not None and len(room.peers) >= max_peers:
            raise LimitReached(f"Reached peer limit in room {room_id}")
        options = params.get("options", {})
        if isinstance(options, dict) and not isinstance(options.get("enableSimulcast", True), bool):
            raise Invalid(INVALID_BODY)
        if not isinstance(options, dict):
            self.rooms.crash(room)
            raise Crash("peer options are not a map")
        if not self.context.settings.webrtc_enabled:
            self.rooms.crash(room)
            raise Crash(
                "WebRTC peers can only be used if JF_WEBRTC_USED environmental variable is not "
                'set to "false"'
            )
        peer = Peer(str(uuid.uuid4()), {"enableSimulcast": options.get("enableSimulcast", True)})
        room.peers[peer.id] = peer
        logger.info("Added peer %s to room %s", peer.id, room.id)
        self._arm_disconnected(room, peer)
        self.rooms.arm_peerless(room)
        self._emit(room, peer_added=ServerMessage.PeerAdded(room_id=room.id, peer_id=peer.id))
        return room, peer, self.signer.sign(room.id, peer.id)

    def delete(self, room_id: str, peer_id: str) -> None:
        """``DELETE /room/<id>/peer/<peer_id>`` (§2.7)."""
        room = self.context.room(room_id)
        peer = room.peers.get(peer_id)
        if peer is None:
            raise NotFound(f"Peer {peer_id} does not exist")
        del room.peers[peer_id]
        self.media.remove_all_tracks(room, peer)
        if peer.socket is not None:
            peer.socket.close(1000, "Peer removed")
            peer.socket = None
            self._emit(
                room,
                peer_disconnected=ServerMessage.PeerDisconnected(room_id=room.id, peer_id=peer_id),
            )
            self.context.telemetry.peer_disconnected(room.id)
        peer.status = "disconnected"
        self._emit(room, peer_deleted=ServerMessage.PeerDeleted(room_id=room.id, peer_id=peer_id))
        self.rooms.arm_peerless(room)

    # --- the peer socket (§6) ------------------------------------------------------------------

    def authenticate(self, token: str, socket: PeerSocket) -> tuple[Room, Peer]:
        """Peer-socket auth (§6.2); raises :class:`TokenError` with the close reason."""
        room_id, peer_id = self.signer.verify(token)
        room = self.context.rooms.get(room_id)
        if room is None:
            raise TokenError("room not found")
        peer = room.peers.get(peer_id)
        if peer is None:
            raise TokenError("peer not found")
        if peer.socket is not None:
            raise TokenError("peer already connected")
        peer.socket = socket
        peer.status = "connected"
        logger.info("Peer %s connected to room %s", peer_id, room_id)
        self.context.telemetry.peer_connected(room.id)
        self._emit(
            room, peer_connected=ServerMessage.PeerConnected(room_id=room_id, peer_id=peer_id)
        )
        return room, peer

    def socket_closed(self, room: Room, peer: Peer, socket: PeerSocket) -> None:
        """The peer's socket went away (§4.5 disconnect)."""
        if not room.alive or room.peers.get(peer.id) is not peer or peer.socket is not socket:
            return
        peer.socket = None
        logger.info("Peer %s disconnected from room %s", peer.id, room.id)
        self._emit(
            room, peer_disconnected=ServerMessage.PeerDisconnected(room_id=room.id, peer_id=peer.id)
        )
        self.context.telemetry.peer_disconnected(room.id)
        self.media.remove_all_tracks(room, peer)
        peer.status = "disconnected"
        self._arm_disconnected(room, peer)
        self.rooms.arm_peerless(room)

    def media_event(self, room: Room, peer: Peer, socket: PeerSocket, data: str) -> None:
        """A media event from a connected peer (a small subset of the RTC engine)."""
        if not room.alive or peer.socket is not socket:
            return
        try:
            event = decode_json(data)
        except ValueError:
            logger.warning("Invalid media event from peer %s: %r", peer.id, data)
            return
        if not isinstance(event, dict):
            return
        kind = event.get("type")
        raw_payload = event.get("data")
        payload: dict[str, Any] = raw_payload if isinstance(raw_payload, dict) else {}
        if kind == "connect":
            others = [
                {"id": other.id, "type": "webrtc", "metadata": other.metadata, "tracks": {}}
                for other in room.peers.values()
                if other is not peer and other.status == "connected"
            ]
            socket.send_media_event(
                encode_json(
                    {"type": "connected", "data": {"id": peer.id, "otherEndpoints": others}}
                )
            )
            self.set_metadata(room, peer, payload.get("metadata"))
        elif kind == "updateEndpointMetadata":
            self.set_metadata(room, peer, payload.get("metadata"))
        elif kind == "updateTrackMetadata":
            track = peer.tracks.get(str(payload.get("trackId")))
            if track is not None:
                self.media.update_track_metadata(room, peer, track.id, payload.get("trackMetadata"))

    # --- what the engine reports -----------------------------------------------------------------

    def set_metadata(self, room: Room, peer: Peer, metadata: Any) -> None:
        """The engine reports new endpoint metadata for a peer: ``PeerMetadataUpdated``."""
        peer.metadata = metadata
        self._emit(
            room,
            peer_metadata_updated=ServerMessage.PeerMetadataUpdated(
                room_id=room.id, peer_id=peer.id, metadata=encode_json(metadata)
            ),
        )

    def crash(self, room: Room, peer: Peer, reason: str) -> None:
        """The peer's engine endpoint crashes (§4.5)."""
        self.media.remove_all_tracks(room, peer)
        self._emit(
            room,
            peer_crashed=ServerMessage.PeerCrashed(room_id=room.id, peer_id=peer.id, reason=reason),
        )
        self.context.telemetry.peer_crashed(room.id)
        del room.peers[peer.id]
        if peer.socket is not None:
            peer.socket.close(1011, reason or "Internal server error")
            peer.socket = None
        peer.status = "disconnected"
        self.rooms.arm_peerless(room)

    # --- the peer-disconnected purge (§4.4) ------------------------------------------------------

    def _arm_disconnected(self, room: Room, peer: Peer) -> None:
        scheduler = self.context.scheduler
        peer.disconnected_at = scheduler.now()
        timeout = room.config.peer_disconnected_timeout
        if timeout is None:
            return
        scheduler.call_later(seconds(timeout), lambda: self._disconnected_fired(room, peer))

    def _disconnected_fired(self, room: Room, peer: Peer) -> None:
        timeout = room.config.peer_disconnected_timeout
        if not room.alive or timeout is None or room.peers.get(peer.id) is not peer:
            return
        due = peer.disconnected_at + seconds(timeout) - TIMER_EPSILON
        if peer.status == "disconnected" and self.context.scheduler.now() >= due:
            del room.peers[peer.id]
            self._emit(
                room, peer_deleted=ServerMessage.PeerDeleted(room_id=room.id, peer_id=peer.id)
            )
            self.rooms.arm_peerless(room)
