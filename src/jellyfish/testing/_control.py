"""The control API: what a test may cause that only the media plane or a crash would.

Every method runs its work on the emulator's event-loop thread (through the node's portal)
and produces exactly the notifications and REST state the real server would. They raise
:class:`~jellyfish.testing.ControlError` (a ``ValueError``) for unknown rooms, peers,
components or tracks.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import anyio.from_thread

from jellyfish.testing._core import Component, ControlError, NodeCore, Peer, Room
from jellyfish.testing._tokens import TokenError

T = TypeVar("T")


def _peer(core: NodeCore, room_id: str, peer_id: str) -> tuple[Room, Peer]:
    room, endpoint = core.find_endpoint(room_id, peer_id)
    if not isinstance(endpoint, Peer):
        raise ControlError(f"{peer_id!r} is a component, not a peer")
    return room, endpoint


def _component(core: NodeCore, room_id: str, component_id: str) -> tuple[Room, Component]:
    room, endpoint = core.find_endpoint(room_id, component_id)
    if not isinstance(endpoint, Component):
        raise ControlError(f"{component_id!r} is a peer, not a component")
    return room, endpoint


def _room(core: NodeCore, room_id: str) -> Room:
    room = core.rooms.get(room_id)
    if room is None:
        raise ControlError(f"room {room_id!r} does not exist")
    return room


class ControlApi:
    """The media-plane control API of a running node (mixed into ``EmulatorNode``)."""

    _portal: anyio.from_thread.BlockingPortal | None
    _core: NodeCore | None

    def _on_loop(self, function: Callable[[NodeCore], T]) -> T:
        """Run ``function(core)`` on the loop thread and return its result."""
        portal = self._portal
        if portal is None:
            raise RuntimeError("the emulator is not running")

        def run() -> T:
            if self._core is None:
                raise RuntimeError("the emulator is not running")
            return function(self._core)

        return portal.call(run)

    # --- tracks and metadata -------------------------------------------------------------

    def add_track(
        self,
        room_id: str,
        endpoint_id: str,
        track_type: str = "video",
        metadata: Any = None,
        *,
        track_id: str | None = None,
    ) -> str:
        """A connected peer or a component publishes a track: ``TrackAdded``. Returns its id.

        The track feeds the room's hls and recording components like any other (all tracks in
        ``auto`` mode, the subscribed origins' tracks in ``manual`` mode).
        """
        return self._on_loop(
            lambda core: (
                core.add_track(
                    *core.find_endpoint(room_id, endpoint_id), track_type, metadata, track_id
                ).id
            )
        )

    def remove_track(self, room_id: str, endpoint_id: str, track_id: str) -> None:
        """A peer or component unpublishes a track: ``TrackRemoved``."""
        self._on_loop(
            lambda core: core.remove_track(*core.find_endpoint(room_id, endpoint_id), track_id)
        )

    def update_track_metadata(
        self, room_id: str, endpoint_id: str, track_id: str, metadata: Any
    ) -> None:
        """New track metadata: ``TrackMetadataUpdated``; REST shows the raw value."""
        self._on_loop(
            lambda core: core.update_track_metadata(
                *core.find_endpoint(room_id, endpoint_id), track_id, metadata
            )
        )

    def set_peer_metadata(self, room_id: str, peer_id: str, metadata: Any) -> None:
        """The peer's endpoint metadata changes: ``PeerMetadataUpdated``."""
        self._on_loop(lambda core: core.set_peer_metadata(*_peer(core, room_id, peer_id), metadata))

    # --- crashes -------------------------------------------------------------------------

    def crash_peer(self, room_id: str, peer_id: str, reason: str = "") -> None:
        """The peer's engine endpoint crashes.

        ``TrackRemoved`` for each track, then ``PeerCrashed{reason}``; the peer is removed and
        its socket closes with 1011 ``reason`` (or ``Internal server error``).
        """
        self._on_loop(lambda core: core.crash_peer(*_peer(core, room_id, peer_id), reason))

    def crash_component(self, room_id: str, component_id: str) -> None:
        """The component crashes: ``TrackRemoved`` per track, ``ComponentCrashed``; it goes."""
        self._on_loop(lambda core: core.crash_component(*_component(core, room_id, component_id)))

    def crash_room(self, room_id: str) -> None:
        """The room crashes: ``RoomCrashed`` only; peer sockets close with 1011."""
        self._on_loop(lambda core: core.crash_room(_room(core, room_id)))

    # --- media shortcuts -----------------------------------------------------------------

    def end_of_stream(self, room_id: str, component_id: str) -> None:
        """A component ends before its media does: ``TrackRemoved`` per track, then it is gone.

        File components end on their own when their file has played; this ends one early.
        """
        self._on_loop(lambda core: core.end_of_stream(*_component(core, room_id, component_id)))

    def hls_playable(self, room_id: str) -> str:
        """Force ``HlsPlayable`` and ``playable: true`` now; returns the hls component id.

        The media simulation does this on its own after the first video segment.
        """
        return self._on_loop(lambda core: core.hls_playable(_room(core, room_id)).id)

    def hls_uploaded(self, room_id: str) -> None:
        """Emit ``HlsUploaded`` now (the simulation does it after ``RoomDeleted`` with ``s3``)."""
        self._on_loop(lambda core: core.hls_upload_result(room_id, ok=True))

    def hls_upload_crashed(self, room_id: str) -> None:
        """Emit ``HlsUploadCrashed`` now (see ``failing_s3_buckets`` for the simulated one)."""
        self._on_loop(lambda core: core.hls_upload_result(room_id, ok=False))

    def hls_directory(self, room_id: str) -> Path | None:
        """Where the room's live hls component writes (and ``GET /hls`` reads), or None."""
        directory = self._on_loop(lambda core: core.hls_output_dir(room_id))
        return None if directory is None else Path(directory)

    def register_rtsp_source(self, uri: str) -> None:
        """Make ``uri`` a reachable RTSP source.

        rtsp components with that ``sourceUri`` connect (at once, or at their next reconnect
        attempt) and publish a video track.
        """
        self._on_loop(lambda core: core.media.rtsp_sources.add(uri))

    def unregister_rtsp_source(self, uri: str) -> None:
        """Make ``uri`` unreachable again for later connection attempts."""
        self._on_loop(lambda core: core.media.rtsp_sources.discard(uri))

    # --- time ----------------------------------------------------------------------------

    def advance(self, seconds: float) -> int:
        """Manual clock: move time forward, running every timer, segment and file end due.

        Needs ``manual_clock=True``. Returns how many timer callbacks ran.
        """
        return self._on_loop(lambda core: core.clock_advance(seconds))

    def now(self) -> float:
        """The node's clock (simulated seconds; starts at 0)."""
        return self._on_loop(lambda core: core.scheduler.now())

    # --- misc ----------------------------------------------------------------------------

    def verify_peer_token(self, token: str) -> tuple[str, str]:
        """``(room_id, peer_id)`` of a peer token; ``ValueError(reason)`` if it is invalid."""
        try:
            return self._on_loop(lambda core: core.signer.verify(token))
        except TokenError as error:
            raise ValueError(error.reason) from None

    def room_ids(self) -> list[str]:
        """The ids of the rooms on this node."""
        return self._on_loop(lambda core: list(core.rooms))
