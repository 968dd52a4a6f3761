"""What the media engine reports to the control plane: tracks, HLS state, metrics (§7, §8).

The control API and the media simulation (``_media``) both come through here, so a track
published by a test and one published by a file component produce the same notifications.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from jellyfish.events._protos.jellyfish.server_notifications_pb2 import ServerMessage
from jellyfish.testing._context import NodeContext
from jellyfish.testing._json import encode_json
from jellyfish.testing._media import MediaSimulation
from jellyfish.testing._model import Component, ControlError, Endpoint, Peer, Room, Track

_TRACK_EVENT_FIELDS = {
    "TrackAdded": "track_added",
    "TrackRemoved": "track_removed",
    "TrackMetadataUpdated": "track_metadata_updated",
}


@dataclass(eq=False)
class MediaPlane:
    """Tracks of peers and components, HLS notifications and the MetricsReport."""

    context: NodeContext
    simulation: MediaSimulation

    def _track_event(self, kind: str, room: Room, endpoint: Endpoint, track: Track) -> None:
        endpoint_key = "peer_id" if isinstance(endpoint, Peer) else "component_id"
        body = getattr(ServerMessage, kind)(
            room_id=room.id, track=track.to_proto(), **{endpoint_key: endpoint.id}
        )
        self.context.emit(ServerMessage(**{_TRACK_EVENT_FIELDS[kind]: body}), room)

    # --- tracks ----------------------------------------------------------------------------

    def add_track(
        self,
        room: Room,
        endpoint: Endpoint,
        track_type: str,
        metadata: Any = None,
        track_id: str | None = None,
    ) -> Track:
        """A peer or component publishes a track: ``TrackAdded``."""
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
        self.simulation.track_added(room, endpoint, track)
        return track

    def publish_track(self, room: Room, component: Component, track_type: str) -> Track:
        """A component's endpoint publishes a track (file and rtsp in the simulation)."""
        return self.add_track(room, component, track_type)

    def remove_track(self, room: Room, endpoint: Endpoint, track_id: str) -> None:
        """A peer or component unpublishes a track: ``TrackRemoved``."""
        track = endpoint.tracks.pop(track_id, None)
        if track is None:
            raise ControlError(f"no track {track_id!r} on {endpoint.id!r}")
        self._track_event("TrackRemoved", room, endpoint, track)
        self.simulation.track_removed(room, endpoint, track)

    def remove_all_tracks(self, room: Room, endpoint: Endpoint) -> None:
        """``TrackRemoved`` for each of the endpoint's tracks (in id order)."""
        for key in sorted(endpoint.tracks):
            track = endpoint.tracks[key]
            self._track_event("TrackRemoved", room, endpoint, track)
            self.simulation.track_removed(room, endpoint, track)
        endpoint.tracks.clear()

    def update_track_metadata(
        self, room: Room, endpoint: Endpoint, track_id: str, metadata: Any
    ) -> None:
        """New metadata for a published track: ``TrackMetadataUpdated``."""
        track = endpoint.tracks.get(track_id)
        if track is None:
            raise ControlError(f"no track {track_id!r} on {endpoint.id!r}")
        track.metadata = metadata
        self._track_event("TrackMetadataUpdated", room, endpoint, track)

    # --- hls -------------------------------------------------------------------------------

    def hls_playable(self, room: Room) -> Component:
        """The room's HLS video playlist becomes playable: ``HlsPlayable``."""
        hls = room.hls_component()
        if hls is None:
            raise ControlError(f"room {room.id!r} has no hls component")
        hls.properties["playable"] = True
        message = ServerMessage(
            hls_playable=ServerMessage.HlsPlayable(room_id=room.id, component_id=hls.id)
        )
        self.context.emit(message, room)
        return hls

    def hls_upload_result(self, room_id: str, ok: bool) -> None:
        """HlsUploaded / HlsUploadCrashed (usually after the room is gone)."""
        room = self.context.rooms.get(room_id)
        if ok:
            message = ServerMessage(hls_uploaded=ServerMessage.HlsUploaded(room_id=room_id))
        else:
            message = ServerMessage(
                hls_upload_crashed=ServerMessage.HlsUploadCrashed(room_id=room_id)
            )
        self.context.emit(message, room)

    def hls_output_dir(self, room_id: str) -> str | None:
        """The output directory of the room's live hls component, if any."""
        room = self.context.rooms.get(room_id)
        hls = None if room is None else room.hls_component()
        return None if hls is None else hls.output_dir

    def hls_low_latency(self, room_id: str) -> bool:
        """Whether the room's live hls component is LL-HLS (only those answer blocking requests)."""
        room = self.context.rooms.get(room_id)
        hls = None if room is None else room.hls_component()
        return hls is not None and bool(hls.properties["lowLatency"])

    def hls_part(self, room_id: str, filename: str) -> bytes | None:
        """An LL-HLS partial segment of the room's live hls component, from memory."""
        return self.simulation.hls_part(room_id, filename)

    def is_live_recording(self, recording_id: str) -> bool:
        """A recording whose room still has an hls component is live (not listed/served)."""
        return self.hls_output_dir(recording_id) is not None

    # --- rtsp sources ------------------------------------------------------------------------

    def register_rtsp_source(self, uri: str) -> None:
        """Make ``uri`` reachable for rtsp components (now or at their next attempt)."""
        self.simulation.rtsp_sources.add(uri)

    def unregister_rtsp_source(self, uri: str) -> None:
        """Make ``uri`` unreachable for later connection attempts."""
        self.simulation.rtsp_sources.discard(uri)

    # --- metrics ---------------------------------------------------------------------------

    def metrics_report(self) -> str:
        """The MetricsReport JSON string: per room, per connected WebRTC endpoint (§8)."""
        report: dict[str, Any] = {}
        for room in self.context.rooms.values():
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

    def active_media_rooms(self) -> int:
        """Rooms with media-simulation state (rooms without media components have none)."""
        return self.simulation.active_rooms()
