"""The control API's client: one interface to an emulated node, in-process or remote.

:class:`EmulatorControl` has a method per operation of ``_operations`` and reaches the node
through a transport:

* in-process (``JellyfishServer``, ``JellyfishCluster`` nodes): :class:`LocalTransport`
  runs the operation on the emulator's event-loop thread, through the node's portal;
* remote (:class:`~jellyfish.testing.RemoteEmulator`): ``POST /_emulator/v1/<operation>``
  with the parameters as a JSON object, authenticated with the server API token
  (``_control_http``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from jellyfish.testing._fake_peer import PeerMediaEvents
from jellyfish.testing._http import PEER_WS_PATH, SERVER_WS_PATH
from jellyfish.testing._operations import OPERATIONS, ControlTarget


class Endpoint(Protocol):
    """Where a node's API listens, and the token it takes."""

    @property
    def address(self) -> str:
        """``host:port`` as Jellyfish reports it; no scheme."""

    @property
    def token(self) -> str:
        """The server API token."""

    @property
    def http_url(self) -> str:
        """``http(s)://host:port``."""


@dataclass(frozen=True)
class NodeDescription:
    """How a node runs, as its control clients show it."""

    metrics_url: str | None
    resources_dir: str
    media_speed: float


class ControlTransport(Protocol):
    """How :class:`EmulatorControl` reaches the node: in-process or over HTTP."""

    @property
    def endpoint(self) -> Endpoint:
        """Where the node's API listens."""

    def call(self, operation: str, params: Mapping[str, Any]) -> Any:
        """Run ``operation`` with ``params``; its JSON-compatible result."""

    def describe(self) -> NodeDescription:
        """The node's metrics URL, resources directory and clock speed."""


# --- the client ---------------------------------------------------------------------------------


class EmulatorControl:
    """The control API of one emulated node, in-process or remote, through one interface.

    ``JellyfishServer``, every ``JellyfishCluster`` node and
    :class:`~jellyfish.testing.RemoteEmulator` are control clients; code written against this
    class runs with any of them.
    """

    def __init__(self, transport: ControlTransport) -> None:
        self._control = transport

    def _call(self, operation: str, **params: Any) -> Any:
        return self._control.call(operation, params)

    # --- where ---------------------------------------------------------------------------

    @property
    def address(self) -> str:
        """``host:port`` as Jellyfish reports it (``jellyfish_address``); no scheme."""
        return self._control.endpoint.address

    @property
    def token(self) -> str:
        """The server API token (REST bearer token and server-WebSocket auth token)."""
        return self._control.endpoint.token

    @property
    def http_url(self) -> str:
        """``http://host:port`` of the API listener."""
        return self._control.endpoint.http_url

    @property
    def server_websocket_url(self) -> str:
        """``ws://host:port/socket/server/websocket``."""
        return self.http_url.replace("http", "ws", 1) + SERVER_WS_PATH

    @property
    def peer_websocket_url(self) -> str:
        """``ws://host:port/socket/peer/websocket``."""
        return self.http_url.replace("http", "ws", 1) + PEER_WS_PATH

    @property
    def metrics_url(self) -> str | None:
        """The Prometheus endpoint, ``http://127.0.0.1:<port>/metrics`` (None if turned off)."""
        return self._control.describe().metrics_url

    @property
    def resources_dir(self) -> Path:
        """``JF_RESOURCES_BASE_PATH`` (on the emulator's machine): file_component_sources/, ..."""
        return Path(self._control.describe().resources_dir)

    @property
    def file_sources_dir(self) -> Path:
        """Where file components read their files from (created on start)."""
        return self.resources_dir / "file_component_sources"

    @property
    def recordings_dir(self) -> Path:
        """Persistent HLS output; what ``GET /recording`` lists."""
        return self.resources_dir / "recordings"

    @property
    def media_speed(self) -> float:
        """Simulated seconds per real second (timers, metrics, media)."""
        return self._control.describe().media_speed

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
        params = {"room_id": room_id, "endpoint_id": endpoint_id, "track_type": track_type}
        return str(self._call("add_track", **params, metadata=metadata, track_id=track_id))

    def remove_track(self, room_id: str, endpoint_id: str, track_id: str) -> None:
        """A peer or component unpublishes a track: ``TrackRemoved``."""
        self._call("remove_track", room_id=room_id, endpoint_id=endpoint_id, track_id=track_id)

    def update_track_metadata(
        self, room_id: str, endpoint_id: str, track_id: str, metadata: Any
    ) -> None:
        """New track metadata: ``TrackMetadataUpdated``; REST shows the raw value."""
        ids = {"room_id": room_id, "endpoint_id": endpoint_id, "track_id": track_id}
        self._call("update_track_metadata", **ids, metadata=metadata)

    def set_peer_metadata(self, room_id: str, peer_id: str, metadata: Any) -> None:
        """The peer's endpoint metadata changes: ``PeerMetadataUpdated``."""
        self._call("set_peer_metadata", room_id=room_id, peer_id=peer_id, metadata=metadata)

    # --- crashes -------------------------------------------------------------------------

    def crash_peer(self, room_id: str, peer_id: str, reason: str = "") -> None:
        """The peer's engine endpoint crashes.

        ``TrackRemoved`` for each track, then ``PeerCrashed{reason}``; the peer is removed and
        its socket closes with 1011 ``reason`` (or ``Internal server error``).
        """
        self._call("crash_peer", room_id=room_id, peer_id=peer_id, reason=reason)

    def crash_component(self, room_id: str, component_id: str) -> None:
        """The component crashes: ``TrackRemoved`` per track, then ``ComponentCrashed``; it goes."""
        self._call("crash_component", room_id=room_id, component_id=component_id)

    def crash_room(self, room_id: str) -> None:
        """The room crashes: ``RoomCrashed`` only; peer sockets close with 1011."""
        self._call("crash_room", room_id=room_id)

    # --- media shortcuts -----------------------------------------------------------------

    def end_of_stream(self, room_id: str, component_id: str) -> None:
        """A component ends before its media does: ``TrackRemoved`` per track, then it is gone.

        File components end on their own when their file has played; this ends one early.
        """
        self._call("end_of_stream", room_id=room_id, component_id=component_id)

    def hls_playable(self, room_id: str) -> str:
        """Force ``HlsPlayable`` and ``playable: true`` now; returns the hls component id.

        The media simulation does this on its own after the first video segment.
        """
        return str(self._call("hls_playable", room_id=room_id))

    def hls_uploaded(self, room_id: str) -> None:
        """Emit ``HlsUploaded`` now (the simulation does it after ``RoomDeleted`` with ``s3``)."""
        self._call("hls_uploaded", room_id=room_id)

    def hls_upload_crashed(self, room_id: str) -> None:
        """Emit ``HlsUploadCrashed`` now (see ``failing_s3_buckets`` for the simulated one)."""
        self._call("hls_upload_crashed", room_id=room_id)

    def hls_directory(self, room_id: str) -> Path | None:
        """Where the room's live hls component writes (and ``GET /hls`` reads), or None.

        A path on the emulator's machine.
        """
        directory = self._call("hls_directory", room_id=room_id)
        return None if directory is None else Path(directory)

    def register_rtsp_source(self, uri: str) -> None:
        """Make ``uri`` a reachable RTSP source.

        rtsp components with that ``sourceUri`` connect (at once, or at their next reconnect
        attempt) and publish a video track.
        """
        self._call("register_rtsp_source", uri=uri)

    def unregister_rtsp_source(self, uri: str) -> None:
        """Make ``uri`` unreachable again for later connection attempts."""
        self._call("unregister_rtsp_source", uri=uri)

    # --- time ----------------------------------------------------------------------------

    def advance(self, seconds: float) -> int:
        """Manual clock: move time forward, running every timer, segment and file end due.

        Needs ``manual_clock=True``. Returns how many timer callbacks ran.
        """
        return int(self._call("advance", seconds=seconds))

    def now(self) -> float:
        """The node's clock (simulated seconds; starts at 0)."""
        return float(self._call("now"))

    # --- the node ------------------------------------------------------------------------

    def verify_peer_token(self, token: str) -> tuple[str, str]:
        """``(room_id, peer_id)`` of a peer token; ``ValueError(reason)`` if it is invalid."""
        room_id, peer_id = self._call("verify_peer_token", token=token)
        return str(room_id), str(peer_id)

    def room_ids(self) -> list[str]:
        """The ids of the rooms on this node."""
        return [str(room_id) for room_id in self._call("room_ids")]

    def drop_server_websockets(self) -> int:
        """Abruptly kill every server-WebSocket connection (no close frame).

        This is what a network drop looks like to clients; the server keeps running.
        Returns how many connections were dropped.
        """
        return int(self._call("drop_server_websockets"))

    def restart(self) -> None:
        """Stop and start again on the same port, like a real restart.

        State (rooms, peers, subscriptions, webhook registrations, the token key unless
        ``secret_key_base`` is set) is lost and every socket is dropped. Files in
        ``resources_dir`` survive. Returns once the node accepts connections again.
        """
        self._call("restart")

    # --- fake peers ----------------------------------------------------------------------

    def fake_peer(self, token: str, *, timeout: float = 5.0) -> ControlledFakePeer:
        """A fake peer that the node itself connects to its peer WebSocket with ``token``.

        Unlike :class:`~jellyfish.testing.FakePeer` (which connects from the caller's
        process), this one works the same in-process and against an emulator in another
        process, from any language (the ``fake_peer_*`` operations).
        """
        state = self._call("fake_peer_open", token=token, timeout=timeout)
        return ControlledFakePeer(self, state, timeout)


class ControlledFakePeer(PeerMediaEvents):
    """A fake peer run by the emulator for its control API (see :meth:`EmulatorControl.fake_peer`).

    The same methods as :class:`~jellyfish.testing.FakePeer`.
    """

    def __init__(self, control: EmulatorControl, state: dict[str, Any], timeout: float) -> None:
        self._control = control
        self.id = str(state["id"])
        self.timeout = timeout
        self._state = state

    def _call(self, operation: str, **params: Any) -> Any:
        return self._control._call(operation, fake_peer_id=self.id, **params)

    def _refresh(self) -> dict[str, Any]:
        if not self._state["closed"]:
            self._state = self._call("fake_peer_state")
        return self._state

    @property
    def authenticated(self) -> bool:
        """True once the server answered ``Authenticated``."""
        return bool(self._state["authenticated"])

    @property
    def closed(self) -> bool:
        """True once the connection is closed (by either side, or dropped)."""
        return bool(self._refresh()["closed"])

    @property
    def close_code(self) -> int | None:
        """The close code the server sent (1006 for a dropped connection), else None."""
        code = self._refresh()["close_code"]
        return None if code is None else int(code)

    @property
    def close_reason(self) -> str | None:
        """The close reason the server sent, else None."""
        reason = self._refresh()["close_reason"]
        return None if reason is None else str(reason)

    def wait_closed(self, timeout: float | None = None) -> tuple[int | None, str | None]:
        """Wait until the server closes the socket; ``(code, reason)`` (``TimeoutError``)."""
        wait = self.timeout if timeout is None else timeout
        code, reason = self._call("fake_peer_wait_closed", timeout=wait)
        self._state = {**self._state, "closed": True, "close_code": code, "close_reason": reason}
        return code, reason

    def send_media_event(self, event: dict[str, Any] | str) -> None:
        """Send ``media_event{data}``; a dict is JSON-encoded."""
        self._call("fake_peer_send_media_event", event=event)

    def receive_media_event(self, timeout: float | None = None) -> dict[str, Any]:
        """The next media event from the server, decoded from JSON (``TimeoutError``)."""
        wait = self.timeout if timeout is None else timeout
        event: dict[str, Any] = self._call("fake_peer_receive_media_event", timeout=wait)
        return event

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the socket (the server emits ``PeerDisconnected``)."""
        if not self._state["closed"]:
            self._state = self._call("fake_peer_close", code=code, reason=reason)

    def kill(self) -> None:
        """Drop the TCP connection without a close frame."""
        if not self._state["closed"]:
            self._state = self._call("fake_peer_kill")

    def __enter__(self) -> ControlledFakePeer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@dataclass(frozen=True)
class LocalTransport:
    """Runs operations in this process: loop operations on the node's event-loop thread."""

    target: ControlTarget
    on_loop: Callable[[Callable[[], Any]], Any]
    endpoint: Endpoint
    describe: Callable[[], NodeDescription]

    def call(self, operation: str, params: Mapping[str, Any]) -> Any:
        """Run ``operation`` on the node (``ValueError`` for an unknown one or bad params)."""
        found = OPERATIONS.get(operation)
        if found is None:
            raise ValueError(f"unknown control operation {operation!r}")
        arguments = found.bind(params)
        if found.where == "loop":
            return self.on_loop(lambda: found.function(self.target, **arguments))
        return found.function(self.target, **arguments)
