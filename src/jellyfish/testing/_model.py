"""The node's data: rooms, peers, components and tracks, and how REST shows them (§3).

Plain data, no behaviour beyond representations; the entity modules (``_rooms``, ``_peers``,
``_components``, ``_tracks``) change it. Nothing here imports the rest of the emulator.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from jellyfish.events._protos.jellyfish.server_notifications_pb2 import ServerMessage
from jellyfish.testing._json import encode_json
from jellyfish.testing._params import RoomConfig

COMPONENT_TYPES = ("hls", "rtsp", "file", "sip", "recording")
#: Timers may fire up to one clock tick early; Jellyfish compares in milliseconds.
TIMER_EPSILON = 0.001


class ControlError(ValueError):
    """A control-API call that does not fit the emulator's state (unknown room, peer...)."""


class PeerSocket(Protocol):
    """A connected peer WebSocket as the node sees it."""

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


def seconds(value: float) -> float:
    """A configured timeout in seconds as a float (an integer too big for one is infinite)."""
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


Endpoint = Peer | Component


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
    created_at: float = 0.0

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

    def hls_component(self) -> Component | None:
        """The room's hls component, if it has one (at most one, §4.1)."""
        return next((c for c in self.components.values() if c.type == "hls"), None)

    def endpoint(self, endpoint_id: str) -> Endpoint:
        """A peer or component of the room, or :class:`ControlError`."""
        endpoint: Endpoint | None = self.peers.get(endpoint_id) or self.components.get(endpoint_id)
        if endpoint is None:
            raise ControlError(f"no peer or component {endpoint_id!r} in room {self.id!r}")
        return endpoint


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

    def path(self, *parts: str) -> str:
        """A path under ``resources_dir``."""
        return os.path.join(self.resources_dir, *parts)

    @property
    def file_sources_dir(self) -> str:
        """``<resources>/file_component_sources``."""
        return self.path("file_component_sources")

    @property
    def recordings_dir(self) -> str:
        """``<resources>/recordings`` (persistent HLS output)."""
        return self.path("recordings")
