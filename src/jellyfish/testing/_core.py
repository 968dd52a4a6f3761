"""The Jellyfish v0.5.0 control plane as plain Python.

Rooms, peers, components, timers and the notification sequences of the behaviour
reference (§4, §7).

Nothing here does I/O on sockets. Every method runs on one thread (the emulator's event
loop); time and timers come from a :class:`Scheduler`, notifications leave through
:class:`NotificationBus` and the per-node webhook sink.
"""

from __future__ import annotations

import logging
import math
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from jellyfish.events._protos.jellyfish.server_notifications_pb2 import ServerMessage
from jellyfish.testing._clock import Scheduler
from jellyfish.testing._json import decode_json, encode_json
from jellyfish.testing._media import MEDIA_COMPONENTS, MediaSimulation
from jellyfish.testing._params import (
    INVALID_BODY,
    Crash,
    Invalid,
    LimitReached,
    NotFound,
    RoomConfig,
    parse_file_options,
    parse_hls_options,
    parse_recording_options,
    parse_room_config,
    parse_rtsp_options,
    parse_sip_options,
)
from jellyfish.testing._tokens import PeerTokenSigner, TokenError

logger = logging.getLogger("jellyfish.testing")

COMPONENT_TYPES = ("hls", "rtsp", "file", "sip", "recording")
_EPSILON = 0.001  # timers may fire up to one clock tick early; Jellyfish compares in ms


class ControlError(ValueError):
    """A control-API call that does not fit the emulator's state (unknown room, peer...)."""


class PeerSocket(Protocol):
    """The core's view of a connected peer WebSocket."""

    def close(self, code: int, reason: str) -> None:
        """Close the socket with ``code`` and ``reason`` (asynchronously)."""

    def send_media_event(self, data: str) -> None:
        """Send ``PeerMessage{media_event{data}}``."""


class NotificationBus(Protocol):
    """Cluster-wide delivery to subscribed server WebSockets (Phoenix.PubSub)."""

    def publish(self, message: ServerMessage) -> None:
        """Deliver a server notification to every notification subscriber."""

    def publish_metrics(self, message: ServerMessage) -> None:
        """Deliver a MetricsReport to every metrics subscriber."""


WebhookSink = Callable[[str, ServerMessage], None]


def _seconds(value: float) -> float:
    try:
        return float(value)
    except OverflowError:
        return math.inf


@dataclass
class Track:
    """A media track of a peer or component."""

    id: str
    type: str  # "audio" | "video"
    metadata: Any = None

    def to_json(self) -> dict[str, Any]:
        """REST representation (§3.3)."""
        return {"id": self.id, "type": self.type, "metadata": self.metadata}

    def to_proto(self) -> ServerMessage.Track:
        """Notification representation (metadata JSON-encoded)."""
        track_type = {
            "video": ServerMessage.TRACK_TYPE_VIDEO,
            "audio": ServerMessage.TRACK_TYPE_AUDIO,
        }
        return ServerMessage.Track(
            id=self.id,
            type=track_type.get(self.type, ServerMessage.TRACK_TYPE_UNSPECIFIED),
            metadata=encode_json(self.metadata),
        )


@dataclass(eq=False)
class Peer:
    """A WebRTC peer."""

    id: str
    options: dict[str, Any]
    status: str = "disconnected"
    metadata: Any = None
    tracks: dict[str, Track] = field(default_factory=dict)
    socket: PeerSocket | None = None
    disconnected_at: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """REST representation (§3.2)."""
        return {
            "id": self.id,
            "type": "webrtc",
            "status": self.status,
            "tracks": [self.tracks[key].to_json() for key in sorted(self.tracks)],
            "metadata": self.metadata,
        }


@dataclass(eq=False)
class Component:
    """A component (hls, rtsp, file, sip, recording)."""

    id: str
    type: str
    properties: dict[str, Any]
    tracks: dict[str, Track] = field(default_factory=dict)
    output_dir: str | None = None  # hls only

    @property
    def subscribe_mode(self) -> str | None:
        """``auto``/``manual`` for hls and recording, None otherwise."""
        if self.type in ("hls", "recording"):
            return str(self.properties["subscribeMode"])
        return None

    def to_json(self) -> dict[str, Any]:
        """REST representation (§3.4)."""
        return {
            "id": self.id,
            "type": self.type,
            "properties": dict(self.properties),
            "tracks": [self.tracks[key].to_json() for key in sorted(self.tracks)],
        }


@dataclass(eq=False)
class Room:
    """A room on one node."""

    id: str
    config: RoomConfig
    peers: dict[str, Peer] = field(default_factory=dict)
    components: dict[str, Component] = field(default_factory=dict)
    alive: bool = True
    last_peer_left: float = 0.0
    webhook_url: str | None = None

    def to_json(self) -> dict[str, Any]:
        """REST representation (§3.1)."""
        return {
            "id": self.id,
            "config": self.config.to_json(self.id),
            "components": [self.components[key].to_json() for key in sorted(self.components)],
            "peers": [self.peers[key].to_json() for key in sorted(self.peers)],
        }

    def all_disconnected(self) -> bool:
        """True when no peer is connected (vacuously with no peers)."""
        return all(peer.status == "disconnected" for peer in self.peers.values())

    def track_count(self) -> int:
        """Tracks published in the room (the load measure for placement)."""
        return sum(len(p.tracks) for p in self.peers.values()) + sum(
            len(c.tracks) for c in self.components.values()
        )


@dataclass
class NodeSettings:
    """Per-node configuration (the env vars of §9 that matter to the control plane)."""

    token: str
    address: str
    resources_dir: str
    webrtc_enabled: bool = True
    sip_enabled: bool = False
    recording_enabled: bool = True
    s3_credentials: dict[str, str] | None = None
    s3_path_prefix: str | None = None
    allow_float_timeouts: bool = False
    failing_s3_buckets: frozenset[str] = frozenset()


def _message(**content: Any) -> ServerMessage:
    return ServerMessage(**content)


class NodeCore:
    """The state of one Jellyfish node."""

    def __init__(
        self,
        settings: NodeSettings,
        scheduler: Scheduler,
        bus: NotificationBus,
        webhooks: WebhookSink,
        signer: PeerTokenSigner,
    ) -> None:
        self.settings = settings
        self.scheduler = scheduler
        self.bus = bus
        self.webhooks = webhooks
        self.signer = signer
        self.rooms: dict[str, Room] = {}
        self.media = MediaSimulation(
            scheduler, self, settings.resources_dir, settings.failing_s3_buckets
        )

    def clock_advance(self, seconds: float) -> int:
        """Manual clock: move time forward (timers, metrics, media); callbacks that ran."""
        return self.scheduler.advance(seconds)

    # --- directories ---------------------------------------------------------------------

    def _dir(self, *parts: str) -> str:
        return os.path.join(self.settings.resources_dir, *parts)

    @property
    def file_sources_dir(self) -> str:
        """``<resources>/file_component_sources``."""
        return self._dir("file_component_sources")

    @property
    def recordings_dir(self) -> str:
        """``<resources>/recordings`` (persistent HLS output)."""
        return self._dir("recordings")

    # --- notifications -------------------------------------------------------------------

    def emit(self, message: ServerMessage, room: Room | None) -> None:
        """Publish a server notification; post it to ``room``'s webhook if registered."""
        self.bus.publish(message)
        if room is not None and room.webhook_url is not None:
            self.webhooks(room.webhook_url, message)

    def _track_event(self, kind: str, room: Room, endpoint: Peer | Component, track: Track) -> None:
        endpoint_key = "peer_id" if isinstance(endpoint, Peer) else "component_id"
        cls = getattr(ServerMessage, kind)
        body = cls(room_id=room.id, track=track.to_proto(), **{endpoint_key: endpoint.id})
        name = {"TrackAdded": "track_added", "TrackRemoved": "track_removed"}.get(
            kind, "track_metadata_updated"
        )
        self.emit(_message(**{name: body}), room)

    def _remove_tracks(self, room: Room, endpoint: Peer | Component) -> None:
        for key in sorted(endpoint.tracks):
            track = endpoint.tracks[key]
            self._track_event("TrackRemoved", room, endpoint, track)
            self.media.track_removed(room, endpoint, track)
        endpoint.tracks.clear()

    # --- timers (§4.4) -------------------------------------------------------------------

    def _arm_peerless(self, room: Room) -> None:
        timeout = room.config.peerless_purge_timeout
        if timeout is None or not room.all_disconnected():
            return
        room.last_peer_left = self.scheduler.now()
        self.scheduler.call_later(_seconds(timeout), lambda: self._peerless_fired(room))

    def _peerless_fired(self, room: Room) -> None:
        timeout = room.config.peerless_purge_timeout
        if not room.alive or self.rooms.get(room.id) is not room or timeout is None:
            return
        due = room.last_peer_left + _seconds(timeout) - _EPSILON
        if room.all_disconnected() and self.scheduler.now() >= due:
            logger.info("Removing room %s due to peerless purge timeout", room.id)
            self._stop_room(room, defer_room_deleted=False)

    def _arm_disconnected(self, room: Room, peer: Peer) -> None:
        peer.disconnected_at = self.scheduler.now()
        timeout = room.config.peer_disconnected_timeout
        if timeout is None:
            return
        self.scheduler.call_later(_seconds(timeout), lambda: self._disconnected_fired(room, peer))

    def _disconnected_fired(self, room: Room, peer: Peer) -> None:
        timeout = room.config.peer_disconnected_timeout
        if not room.alive or timeout is None or room.peers.get(peer.id) is not peer:
            return
        due = peer.disconnected_at + _seconds(timeout) - _EPSILON
        if peer.status == "disconnected" and self.scheduler.now() >= due:
            del room.peers[peer.id]
            self.emit(
                _message(peer_deleted=ServerMessage.PeerDeleted(room_id=room.id, peer_id=peer.id)),
                room,
            )
            self._arm_peerless(room)

    # --- rooms ---------------------------------------------------------------------------

    def validate_room(self, params: dict[str, Any]) -> RoomConfig:
        """Validate ``POST /room`` parameters (raises :class:`ApiError`)."""
        return parse_room_config(params, self.settings.allow_float_timeouts)

    def load(self) -> tuple[int, int]:
        """``(forwarded tracks, rooms)``: what the cluster placement compares (§2.3)."""
        return sum(room.track_count() for room in self.rooms.values()), len(self.rooms)

    def create_room(self, config: RoomConfig) -> Room:
        """Start a room (steps 1-3 of §2.3)."""
        room_id = config.room_id if config.room_id is not None else str(uuid.uuid4())
        if room_id in self.rooms:
            raise Invalid(f'Cannot add room with id "{room_id}" - room already exists')
        room = Room(room_id, config)
        self.rooms[room_id] = room
        logger.info("Created room %s", room_id)
        self._arm_peerless(room)
        room.webhook_url = config.webhook_url
        self.emit(_message(room_created=ServerMessage.RoomCreated(room_id=room_id)), room)
        return room

    def get_room(self, room_id: str) -> Room:
        """The room, or 404 ``Room <id> does not exist``."""
        room = self.rooms.get(room_id)
        if room is None:
            raise NotFound(f"Room {room_id} does not exist")
        return room

    def delete_room(self, room_id: str) -> None:
        """``DELETE /room/<id>``: a normal stop; RoomDeleted follows asynchronously."""
        self._stop_room(self.get_room(room_id), defer_room_deleted=True)

    def _stop_room(self, room: Room, defer_room_deleted: bool) -> None:
        room.alive = False
        self.rooms.pop(room.id, None)
        for key in sorted(room.peers):
            peer = room.peers[key]
            self._remove_tracks(room, peer)
            if peer.socket is not None:
                peer.socket.close(1000, "Room stopped")
                peer.socket = None
            self.emit(
                _message(peer_deleted=ServerMessage.PeerDeleted(room_id=room.id, peer_id=peer.id)),
                room,
            )
        for key in sorted(room.components):
            self._remove_tracks(room, room.components[key])
        self.media.room_stopped(room)

        def finish() -> None:
            self.emit(_message(room_deleted=ServerMessage.RoomDeleted(room_id=room.id)), room)
            room.webhook_url = None
            self.media.room_deleted(room, crashed=False)

        if defer_room_deleted:
            self.scheduler.call_soon(finish)
        else:
            finish()

    def crash_room(self, room: Room) -> None:
        """An abnormal room exit (§4.3)."""
        if not room.alive:
            return
        logger.error("Room %s crashed", room.id)
        room.alive = False
        self.rooms.pop(room.id, None)
        for peer in room.peers.values():
            if peer.socket is not None:
                peer.socket.close(1011, "Internal server error")
                peer.socket = None
        self.media.room_stopped(room)
        self.emit(_message(room_crashed=ServerMessage.RoomCrashed(room_id=room.id)), room)
        room.webhook_url = None
        self.media.room_deleted(room, crashed=True)

    # --- peers ---------------------------------------------------------------------------

    def add_peer(self, room_id: str, params: dict[str, Any]) -> tuple[Room, Peer, str]:
        """``POST /room/<id>/peer`` (§2.6 check order); returns the room, peer and token."""
        if "type" not in params:
            raise Invalid(INVALID_BODY)
        if params["type"] != "webrtc":
            raise Invalid("Invalid peer type")
        room = self.get_room(room_id)
        max_peers = room.config.max_peers
        if max_peers is not None and len(room.peers) >= max_peers:
            raise LimitReached(f"Reached peer limit in room {room_id}")
        options = params.get("options", {})
        if isinstance(options, dict) and not isinstance(options.get("enableSimulcast", True), bool):
            raise Invalid(INVALID_BODY)
        if not isinstance(options, dict):
            self.crash_room(room)
            raise Crash("peer options are not a map")
        if not self.settings.webrtc_enabled:
            self.crash_room(room)
            raise Crash(
                "WebRTC peers can only be used if JF_WEBRTC_USED environmental variable is not "
                'set to "false"'
            )
        peer = Peer(str(uuid.uuid4()), {"enableSimulcast": options.get("enableSimulcast", True)})
        room.peers[peer.id] = peer
        logger.info("Added peer %s to room %s", peer.id, room.id)
        self._arm_disconnected(room, peer)
        self._arm_peerless(room)
        self.emit(
            _message(peer_added=ServerMessage.PeerAdded(room_id=room.id, peer_id=peer.id)), room
        )
        return room, peer, self.signer.sign(room.id, peer.id)

    def delete_peer(self, room_id: str, peer_id: str) -> None:
        """``DELETE /room/<id>/peer/<peer_id>`` (§2.7)."""
        room = self.get_room(room_id)
        peer = room.peers.get(peer_id)
        if peer is None:
            raise NotFound(f"Peer {peer_id} does not exist")
        del room.peers[peer_id]
        self._remove_tracks(room, peer)
        if peer.socket is not None:
            peer.socket.close(1000, "Peer removed")
            peer.socket = None
            self.emit(
                _message(
                    peer_disconnected=ServerMessage.PeerDisconnected(
                        room_id=room.id, peer_id=peer_id
                    )
                ),
                room,
            )
        peer.status = "disconnected"
        self.emit(
            _message(peer_deleted=ServerMessage.PeerDeleted(room_id=room.id, peer_id=peer_id)), room
        )
        self._arm_peerless(room)

    def authenticate_peer(self, token: str, socket: PeerSocket) -> tuple[Room, Peer]:
        """Peer-socket auth (§6.2); raises :class:`TokenError` with the close reason."""
        room_id, peer_id = self.signer.verify(token)
        room = self.rooms.get(room_id)
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
        self.emit(
            _message(peer_connected=ServerMessage.PeerConnected(room_id=room_id, peer_id=peer_id)),
            room,
        )
        return room, peer

    def peer_socket_closed(self, room: Room, peer: Peer, socket: PeerSocket) -> None:
        """The peer's socket went away (§4.5 disconnect)."""
        if not room.alive or room.peers.get(peer.id) is not peer or peer.socket is not socket:
            return
        peer.socket = None
        logger.info("Peer %s disconnected from room %s", peer.id, room.id)
        self.emit(
            _message(
                peer_disconnected=ServerMessage.PeerDisconnected(room_id=room.id, peer_id=peer.id)
            ),
            room,
        )
        self._remove_tracks(room, peer)
        peer.status = "disconnected"
        self._arm_disconnected(room, peer)
        self._arm_peerless(room)

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
            self.set_peer_metadata(room, peer, payload.get("metadata"))
        elif kind == "updateEndpointMetadata":
            self.set_peer_metadata(room, peer, payload.get("metadata"))
        elif kind == "updateTrackMetadata":
            track = peer.tracks.get(str(payload.get("trackId")))
            if track is not None:
                self.update_track_metadata(room, peer, track.id, payload.get("trackMetadata"))

    # --- media plane (control API) -------------------------------------------------------

    def set_peer_metadata(self, room: Room, peer: Peer, metadata: Any) -> None:
        """The engine reports new endpoint metadata for a peer."""
        peer.metadata = metadata
        self.emit(
            _message(
                peer_metadata_updated=ServerMessage.PeerMetadataUpdated(
                    room_id=room.id, peer_id=peer.id, metadata=encode_json(metadata)
                )
            ),
            room,
        )

    def find_endpoint(self, room_id: str, endpoint_id: str) -> tuple[Room, Peer | Component]:
        """A room's peer or component, or :class:`ControlError`."""
        room = self.rooms.get(room_id)
        if room is None:
            raise ControlError(f"room {room_id!r} does not exist")
        endpoint: Peer | Component | None = room.peers.get(endpoint_id) or room.components.get(
            endpoint_id
        )
        if endpoint is None:
            raise ControlError(f"no peer or component {endpoint_id!r} in room {room_id!r}")
        return room, endpoint

    def add_track(
        self,
        room: Room,
        endpoint: Peer | Component,
        track_type: str,
        metadata: Any,
        track_id: str | None,
    ) -> Track:
        """A peer or component publishes a track."""
        if track_type not in ("audio", "video"):
            raise ControlError(f"track type must be 'audio' or 'video', not {track_type!r}")
        if isinstance(endpoint, Peer) and endpoint.status != "connected":
            raise ControlError(
                f"peer {endpoint.id!r} is not connected; only connected peers publish"
            )
        track = Track(track_id or f"{endpoint.id}:{uuid.uuid4()}", track_type, metadata)
        if track.id in endpoint.tracks:
            raise ControlError(f"track {track.id!r} already exists")
        endpoint.tracks[track.id] = track
        self._track_event("TrackAdded", room, endpoint, track)
        self.media.track_added(room, endpoint, track)
        return track

    def publish_track(self, room: Room, component: Component, track_type: str) -> Track:
        """A component's endpoint publishes a track (the media simulation's file and rtsp)."""
        return self.add_track(room, component, track_type, None, None)

    def remove_track(self, room: Room, endpoint: Peer | Component, track_id: str) -> None:
        """A peer or component unpublishes a track."""
        track = endpoint.tracks.pop(track_id, None)
        if track is None:
            raise ControlError(f"no track {track_id!r} on {endpoint.id!r}")
        self._track_event("TrackRemoved", room, endpoint, track)
        self.media.track_removed(room, endpoint, track)

    def update_track_metadata(
        self, room: Room, endpoint: Peer | Component, track_id: str, metadata: Any
    ) -> None:
        """New metadata for a published track."""
        track = endpoint.tracks.get(track_id)
        if track is None:
            raise ControlError(f"no track {track_id!r} on {endpoint.id!r}")
        track.metadata = metadata
        self._track_event("TrackMetadataUpdated", room, endpoint, track)

    def crash_peer(self, room: Room, peer: Peer, reason: str) -> None:
        """The peer's engine endpoint crashes (§4.5)."""
        self._remove_tracks(room, peer)
        self.emit(
            _message(
                peer_crashed=ServerMessage.PeerCrashed(
                    room_id=room.id, peer_id=peer.id, reason=reason
                )
            ),
            room,
        )
        del room.peers[peer.id]
        if peer.socket is not None:
            peer.socket.close(1011, reason or "Internal server error")
            peer.socket = None
        peer.status = "disconnected"
        self._arm_peerless(room)

    def crash_component(self, room: Room, component: Component) -> None:
        """The component's engine endpoint crashes."""
        self._remove_tracks(room, component)
        self.emit(
            _message(
                component_crashed=ServerMessage.ComponentCrashed(
                    room_id=room.id, component_id=component.id
                )
            ),
            room,
        )
        room.components.pop(component.id, None)
        self.media.component_removed(room, component)

    def end_of_stream(self, room: Room, component: Component) -> None:
        """A component that finishes on its own (a file that ends)."""
        self._remove_tracks(room, component)
        room.components.pop(component.id, None)
        self.media.component_removed(room, component)

    def finish_component(self, room: Room, component: Component) -> None:
        """The media simulation's end of stream (same as :meth:`end_of_stream`)."""
        self.end_of_stream(room, component)

    def hls_playable(self, room: Room) -> Component:
        """The room's HLS video playlist becomes playable."""
        hls = next((c for c in room.components.values() if c.type == "hls"), None)
        if hls is None:
            raise ControlError(f"room {room.id!r} has no hls component")
        hls.properties["playable"] = True
        self.emit(
            _message(hls_playable=ServerMessage.HlsPlayable(room_id=room.id, component_id=hls.id)),
            room,
        )
        return hls

    def hls_upload_result(self, room_id: str, ok: bool) -> None:
        """HlsUploaded / HlsUploadCrashed (usually after the room is gone)."""
        room = self.rooms.get(room_id)
        if ok:
            message = _message(hls_uploaded=ServerMessage.HlsUploaded(room_id=room_id))
        else:
            message = _message(hls_upload_crashed=ServerMessage.HlsUploadCrashed(room_id=room_id))
        self.emit(message, room)

    # --- components ----------------------------------------------------------------------

    def add_component(self, room_id: str, params: dict[str, Any]) -> Component:
        """``POST /room/<id>/component`` (§2.8 check order)."""
        if "type" not in params:
            raise Invalid(INVALID_BODY)
        component_type = params["type"]
        if component_type not in COMPONENT_TYPES:
            raise Invalid("Invalid component type")
        room = self.get_room(room_id)
        codec = room.config.video_codec
        if component_type in ("hls", "recording", "rtsp") and codec != "h264":
            raise Invalid(f"Incompatible video codec enforced in room {room_id}")
        if component_type in ("hls", "recording") and any(
            c.type == component_type for c in room.components.values()
        ):
            raise Invalid(
                f"Reached {component_type} components limit for component in room {room_id}"
            )
        options = params.get("options", {})
        if not isinstance(options, dict):
            self.crash_room(room)
            raise Crash("component options are not a map")
        component_id = str(uuid.uuid4())
        file_path: str | None = None
        output_dir: str | None = None
        try:
            if component_type == "hls":
                properties = {"playable": False, **parse_hls_options(options)}
                base = "recordings" if properties["persistent"] else "temporary_hls"
                output_dir = self._dir(base, room_id)
            elif component_type == "rtsp":
                properties = parse_rtsp_options(options)
            elif component_type == "file":
                properties, _ = parse_file_options(options, self.file_sources_dir)
                file_path = os.path.realpath(
                    os.path.join(self.file_sources_dir, str(properties["filePath"]))
                )
            elif component_type == "sip":
                properties = parse_sip_options(options)
                if not self.settings.sip_enabled:
                    raise Crash(
                        "SIP components can only be used if JF_SIP_USED environmental variable "
                        'is set to "true"'
                    )
            else:
                properties = parse_recording_options(
                    options, self.settings.s3_credentials, self.settings.s3_path_prefix
                )
                if not self.settings.recording_enabled:
                    raise Crash(
                        "Recording components can only be used if JF_RECORDING_USED "
                        'environmental variable is not set to "false"'
                    )
        except Crash:
            self.crash_room(room)
            raise
        if output_dir is not None:
            os.makedirs(output_dir, exist_ok=True)
        component = Component(component_id, component_type, properties, output_dir=output_dir)
        room.components[component_id] = component
        logger.info("Added component %s (%s) to room %s", component_id, component_type, room_id)
        if component_type in MEDIA_COMPONENTS:
            s3 = options.get("s3") if component_type == "hls" else None
            bucket = str(s3["bucket"]) if isinstance(s3, dict) else None
            self.media.component_added(room, component, file_path=file_path, s3_bucket=bucket)
        return component

    def delete_component(self, room_id: str, component_id: str) -> None:
        """``DELETE /room/<id>/component/<component_id>`` (§2.9)."""
        room = self.get_room(room_id)
        component = room.components.get(component_id)
        if component is None:
            raise NotFound(f"Component {component_id} does not exist")
        self._remove_tracks(room, component)
        del room.components[component_id]
        self.media.component_removed(room, component)

    def subscribe(self, room_id: str, component_id: str, params: dict[str, Any]) -> None:
        """``POST /room/<id>/component/<cid>/subscribe`` (§2.10)."""
        if "origins" not in params:
            raise Invalid(INVALID_BODY)
        room = self.get_room(room_id)
        component = room.components.get(component_id)
        if component is None:
            raise Invalid(f"Component {component_id} does not exist")
        mode = component.subscribe_mode
        if mode == "auto":
            raise Invalid(f"Component {component_id} option `subscribe_mode` is set to :auto")
        if mode is None:
            raise Invalid("Subscribe mode is supported only for HLS and Recording components")
        origins = params["origins"]
        if isinstance(origins, list):
            self.media.subscribed(room, component, [str(origin) for origin in origins])

    def sip_component(self, room_id: str, component_id: str, dial: bool) -> Component:
        """The checks of ``POST``/``DELETE /sip/<room>/<component>/call`` (§2.11)."""
        room = self.get_room(room_id)
        component = room.components.get(component_id)
        if component is None:
            raise Invalid(f"Component {component_id} does not exist")
        if component.type != "sip":
            article = "a " if dial else ""
            raise Invalid(f"Component {component_id} is not {article}SIP component")
        return component

    # --- hls and recordings --------------------------------------------------------------

    def hls_output_dir(self, room_id: str) -> str | None:
        """The output directory of the room's live hls component, if any."""
        room = self.rooms.get(room_id)
        if room is None:
            return None
        hls = next((c for c in room.components.values() if c.type == "hls"), None)
        return None if hls is None else hls.output_dir

    def hls_low_latency(self, room_id: str) -> bool:
        """Whether the room's live hls component is LL-HLS (only those answer blocking requests)."""
        room = self.rooms.get(room_id)
        hls = (
            None
            if room is None
            else next((c for c in room.components.values() if c.type == "hls"), None)
        )
        return hls is not None and bool(hls.properties["lowLatency"])

    def is_live_recording(self, recording_id: str) -> bool:
        """A recording whose room still has an hls component is live (not listed/served)."""
        return self.hls_output_dir(recording_id) is not None

    # --- metrics -------------------------------------------------------------------------

    def metrics_report(self) -> str:
        """The MetricsReport JSON string: per room, per connected WebRTC endpoint."""
        report: dict[str, Any] = {}
        for room in self.rooms.values():
            endpoints: dict[str, Any] = {}
            for peer in room.peers.values():
                if peer.status != "connected":
                    continue
                endpoints[f"endpoint_id={peer.id}"] = {
                    "endpoint.metadata": encode_json(peer.metadata),
                    "endpoint.bandwidth": 0,
                    "ice.bytes_received": 0,
                    "ice.bytes_sent": 0,
                    "ice.packets_received": 0,
                    "ice.packets_sent": 0,
                    "ice.bytes_received-per-second": 0.0,
                    "ice.bytes_sent-per-second": 0.0,
                    "ice.packets_received-per-second": 0.0,
                    "ice.packets_sent-per-second": 0.0,
                }
            if endpoints:
                report[f"room_id={room.id}"] = endpoints
        return encode_json(report)
