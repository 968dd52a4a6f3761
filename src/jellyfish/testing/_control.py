"""The control API: what a test may cause that only the media plane, a crash or a network would.

Every operation is written once, here, as a function of the node (:data:`OPERATIONS`), and
reached two ways through one client class, :class:`EmulatorControl`:

* in-process (``JellyfishServer``, ``JellyfishCluster`` nodes): the operation runs on the
  emulator's event-loop thread, through the node's portal;
* remote (:class:`~jellyfish.testing.RemoteEmulator`): ``POST /_emulator/v1/<operation>``
  with the parameters as a JSON object, authenticated with the server API token
  (``_control_http``).

Operations produce exactly the notifications and REST state the real server would. They
raise :class:`~jellyfish.testing.ControlError` (a ``ValueError``) for unknown rooms, peers,
components or tracks, ``ValueError`` for bad arguments and ``RuntimeError`` for what the
emulator's configuration does not allow (``advance()`` without the manual clock).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from jellyfish.testing._core import NodeCore
from jellyfish.testing._fake_peer import FakePeer, FakePeerRegistry, PeerMediaEvents
from jellyfish.testing._http import PEER_WS_PATH, SERVER_WS_PATH
from jellyfish.testing._model import Component, ControlError, Peer
from jellyfish.testing._tokens import TokenError

#: The path prefix of the control API over HTTP (never a Jellyfish route).
CONTROL_PREFIX = "/_emulator/v1"
CONTROL_VERSION = 1


class ControlTarget(Protocol):
    """What the operations act on: one running node (``NodeHost``)."""

    @property
    def core(self) -> NodeCore | None:
        """The node's state while it runs (loop thread only)."""

    @property
    def fake_peers(self) -> FakePeerRegistry:
        """The node's control-API fake peers."""

    @property
    def peer_websocket_url(self) -> str:
        """Where the node's peer WebSocket listens."""

    def drop_server_websockets(self) -> int:
        """Abort every server-WebSocket connection (loop thread)."""

    def restart(self) -> None:
        """Restart the node (not on the loop thread); ``ControlError`` where impossible."""

    def info(self) -> dict[str, Any]:
        """What a remote client needs to know about the node (any thread)."""


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


# --- the operations ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Parameter:
    """One parameter of an operation, as the HTTP schema describes it."""

    name: str
    type: str  # "string", "number", "boolean", "string or null", "any JSON value"
    required: bool
    default: Any = None

    def check(self, operation: str, value: Any) -> None:
        """``ValueError`` if ``value`` does not have the parameter's JSON type."""
        checks: dict[str, Callable[[Any], bool]] = {
            "string": lambda v: isinstance(v, str),
            "string or null": lambda v: v is None or isinstance(v, str),
            "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
            "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
            "boolean": lambda v: isinstance(v, bool),
            "object": lambda v: isinstance(v, dict),
            "any JSON value": lambda v: True,
        }
        if not checks[self.type](value):
            raise ValueError(f"{operation}: {self.name} must be a {self.type}, got {value!r}")

    def to_json(self) -> dict[str, Any]:
        """The schema entry of the parameter."""
        entry: dict[str, Any] = {"name": self.name, "type": self.type, "required": self.required}
        if not self.required:
            entry["default"] = self.default
        return entry


_JSON_TYPES = {
    "str": "string",
    "str | None": "string or null",
    "float": "number",
    "int": "integer",
    "bool": "boolean",
    "Any": "any JSON value",
    "dict[str, Any]": "object",
}


@dataclass(frozen=True)
class Operation:
    """One control operation: a function of the node and named JSON parameters."""

    name: str
    function: Callable[..., Any]
    where: Literal["loop", "thread"]
    parameters: tuple[Parameter, ...]
    summary: str
    returns: str

    def bind(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The keyword arguments for ``params``: defaults filled, types checked."""
        known = {parameter.name for parameter in self.parameters}
        unknown = sorted(set(params) - known)
        if unknown:
            raise ValueError(f"{self.name}: unknown parameter(s) {', '.join(unknown)}")
        arguments = {}
        for parameter in self.parameters:
            if parameter.name in params:
                value = params[parameter.name]
                parameter.check(self.name, value)
            elif parameter.required:
                raise ValueError(f"{self.name}: missing parameter {parameter.name}")
            else:
                value = parameter.default
            arguments[parameter.name] = value
        return arguments

    def to_json(self) -> dict[str, Any]:
        """The schema entry of the operation."""
        return {
            "summary": self.summary,
            "runs": "on the event loop" if self.where == "loop" else "in a worker thread",
            "parameters": [parameter.to_json() for parameter in self.parameters],
            "returns": self.returns,
        }


OPERATIONS: dict[str, Operation] = {}


def _operation(
    where: Literal["loop", "thread"], returns: str = "null"
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``function(target, **params)`` as the operation of the same name."""

    def register(function: Callable[..., Any]) -> Callable[..., Any]:
        signature = inspect.signature(function)
        parameters = tuple(
            Parameter(
                name,
                _JSON_TYPES[str(p.annotation)],
                p.default is inspect.Parameter.empty,
                None if p.default is inspect.Parameter.empty else p.default,
            )
            for name, p in list(signature.parameters.items())[1:]
        )
        summary = (function.__doc__ or "").strip().splitlines()[0]
        OPERATIONS[function.__name__] = Operation(
            function.__name__, function, where, parameters, summary, returns
        )
        return function

    return register


def _core(target: ControlTarget) -> NodeCore:
    core = target.core
    if core is None:
        raise RuntimeError("the emulator is not running")
    return core


@_operation("loop", returns="string: the track id")
def add_track(
    target: ControlTarget,
    room_id: str,
    endpoint_id: str,
    track_id: str | None = None,
    track_type: str = "video",
    metadata: Any = None,
) -> str:
    """A connected peer or a component publishes a track: ``TrackAdded``."""
    core = _core(target)
    room = core.context.room(room_id, ControlError)
    return core.media.add_track(room, room.endpoint(endpoint_id), track_type, metadata, track_id).id


@_operation("loop")
def remove_track(target: ControlTarget, room_id: str, endpoint_id: str, track_id: str) -> None:
    """A peer or component unpublishes a track: ``TrackRemoved``."""
    core = _core(target)
    room = core.context.room(room_id, ControlError)
    core.media.remove_track(room, room.endpoint(endpoint_id), track_id)


@_operation("loop")
def update_track_metadata(
    target: ControlTarget, room_id: str, endpoint_id: str, track_id: str, metadata: Any
) -> None:
    """New track metadata: ``TrackMetadataUpdated``; REST shows the raw value."""
    core = _core(target)
    room = core.context.room(room_id, ControlError)
    core.media.update_track_metadata(room, room.endpoint(endpoint_id), track_id, metadata)


@_operation("loop")
def set_peer_metadata(target: ControlTarget, room_id: str, peer_id: str, metadata: Any) -> None:
    """The peer's endpoint metadata changes: ``PeerMetadataUpdated``."""
    core = _core(target)
    core.peers.set_metadata(*core.context.endpoint(room_id, peer_id, Peer), metadata)


@_operation("loop")
def crash_peer(target: ControlTarget, room_id: str, peer_id: str, reason: str = "") -> None:
    """The peer's endpoint crashes: ``TrackRemoved`` per track, ``PeerCrashed``, socket 1011."""
    core = _core(target)
    core.peers.crash(*core.context.endpoint(room_id, peer_id, Peer), reason)


@_operation("loop")
def crash_component(target: ControlTarget, room_id: str, component_id: str) -> None:
    """The component crashes: ``TrackRemoved`` per track, then ``ComponentCrashed``; it goes."""
    core = _core(target)
    core.components.crash(*core.context.endpoint(room_id, component_id, Component))


@_operation("loop")
def crash_room(target: ControlTarget, room_id: str) -> None:
    """The room crashes: ``RoomCrashed`` only; peer sockets close with 1011."""
    core = _core(target)
    core.rooms.crash(core.context.room(room_id, ControlError))


@_operation("loop")
def end_of_stream(target: ControlTarget, room_id: str, component_id: str) -> None:
    """A component ends before its media does: ``TrackRemoved`` per track, then it is gone."""
    core = _core(target)
    core.components.finish(*core.context.endpoint(room_id, component_id, Component))


@_operation("loop", returns="string: the hls component id")
def hls_playable(target: ControlTarget, room_id: str) -> str:
    """Force ``HlsPlayable`` and ``playable: true`` now."""
    core = _core(target)
    return core.media.hls_playable(core.context.room(room_id, ControlError)).id


@_operation("loop")
def hls_uploaded(target: ControlTarget, room_id: str) -> None:
    """Emit ``HlsUploaded`` now."""
    _core(target).media.hls_upload_result(room_id, ok=True)


@_operation("loop")
def hls_upload_crashed(target: ControlTarget, room_id: str) -> None:
    """Emit ``HlsUploadCrashed`` now."""
    _core(target).media.hls_upload_result(room_id, ok=False)


@_operation("loop", returns="string or null: a directory on the emulator's machine")
def hls_directory(target: ControlTarget, room_id: str) -> str | None:
    """Where the room's live hls component writes (and ``GET /hls`` reads)."""
    return _core(target).media.hls_output_dir(room_id)


@_operation("loop")
def register_rtsp_source(target: ControlTarget, uri: str) -> None:
    """Make an RTSP source reachable for rtsp components with that ``sourceUri``."""
    _core(target).media.register_rtsp_source(uri)


@_operation("loop")
def unregister_rtsp_source(target: ControlTarget, uri: str) -> None:
    """Make an RTSP source unreachable again for later connection attempts."""
    _core(target).media.unregister_rtsp_source(uri)


@_operation("loop", returns="integer: how many timer callbacks ran")
def advance(target: ControlTarget, seconds: float) -> int:
    """Manual clock: move time forward, running every timer, segment and file end due."""
    return _core(target).scheduler.advance(seconds)


@_operation("loop", returns="number: simulated seconds since the node started")
def now(target: ControlTarget) -> float:
    """The node's clock (simulated seconds; starts at 0)."""
    return _core(target).scheduler.now()


@_operation("loop", returns="[room_id, peer_id]")
def verify_peer_token(target: ControlTarget, token: str) -> list[str]:
    """Check a peer token as the peer socket would; ``ValueError(reason)`` if invalid."""
    try:
        return list(_core(target).peers.signer.verify(token))
    except TokenError as error:
        raise ValueError(error.reason) from None


@_operation("loop", returns="list of strings")
def room_ids(target: ControlTarget) -> list[str]:
    """The ids of the rooms on this node."""
    return [room.id for room in _core(target).room_list()]


@_operation("loop", returns="integer: how many connections were dropped")
def drop_server_websockets(target: ControlTarget) -> int:
    """Abruptly kill every server-WebSocket connection (no close frame)."""
    _core(target)
    return target.drop_server_websockets()


@_operation("thread")
def restart(target: ControlTarget) -> None:
    """Stop and start again on the same port: state lost, every socket dropped."""
    target.restart()


# --- fake peers -------------------------------------------------------------------------------


def _fake_peer(target: ControlTarget, fake_peer_id: str) -> FakePeer:
    try:
        return target.fake_peers.get(fake_peer_id)
    except KeyError:
        raise ControlError(f"no fake peer {fake_peer_id!r}") from None


def _fake_peer_state(fake_peer_id: str, peer: FakePeer) -> dict[str, Any]:
    return {
        "id": fake_peer_id,
        "authenticated": peer.authenticated,
        "closed": peer.closed,
        "close_code": peer.close_code,
        "close_reason": peer.close_reason,
    }


@_operation(
    "thread", returns="fake peer state: id, authenticated, closed, close_code, close_reason"
)
def fake_peer_open(target: ControlTarget, token: str, timeout: float = 5.0) -> dict[str, Any]:
    """Connect a fake peer to the node's peer WebSocket with ``token`` (``PeerConnected``)."""
    fake_peer_id, peer = target.fake_peers.open(target.peer_websocket_url, token, timeout)
    return _fake_peer_state(fake_peer_id, peer)


@_operation("thread", returns="fake peer state")
def fake_peer_state(target: ControlTarget, fake_peer_id: str) -> dict[str, Any]:
    """Whether a fake peer is authenticated or closed, and how it was closed."""
    return _fake_peer_state(fake_peer_id, _fake_peer(target, fake_peer_id))


@_operation("thread")
def fake_peer_send_media_event(target: ControlTarget, fake_peer_id: str, event: Any) -> None:
    """Send ``media_event{data}`` (a string is sent as is, anything else JSON-encoded)."""
    _fake_peer(target, fake_peer_id).send_media_event(event)


@_operation("thread", returns="object: the media event, decoded from JSON")
def fake_peer_receive_media_event(
    target: ControlTarget, fake_peer_id: str, timeout: float = 5.0
) -> dict[str, Any]:
    """The next media event the server sent to the fake peer (``TimeoutError`` after timeout)."""
    return _fake_peer(target, fake_peer_id).receive_media_event(timeout)


@_operation("thread", returns="[close_code, close_reason]")
def fake_peer_wait_closed(
    target: ControlTarget, fake_peer_id: str, timeout: float = 5.0
) -> list[Any]:
    """Wait until the server closes the fake peer's socket (``TimeoutError`` if it stays)."""
    return list(_fake_peer(target, fake_peer_id).wait_closed(timeout))


@_operation("thread", returns="fake peer state")
def fake_peer_close(
    target: ControlTarget, fake_peer_id: str, code: int = 1000, reason: str = ""
) -> dict[str, Any]:
    """Close the fake peer's socket with a close frame (``PeerDisconnected``)."""
    _fake_peer(target, fake_peer_id)
    peer = target.fake_peers.forget(fake_peer_id)
    peer.close(code, reason)
    return _fake_peer_state(fake_peer_id, peer)


@_operation("thread", returns="fake peer state")
def fake_peer_kill(target: ControlTarget, fake_peer_id: str) -> dict[str, Any]:
    """Drop the fake peer's TCP connection without a close frame."""
    _fake_peer(target, fake_peer_id)
    peer = target.fake_peers.forget(fake_peer_id)
    peer.kill()
    return _fake_peer_state(fake_peer_id, peer)


def schema() -> dict[str, Any]:
    """Every operation's summary, parameters and result (``GET /_emulator/v1``)."""
    return {name: operation.to_json() for name, operation in OPERATIONS.items()}


ERRORS: dict[str, type[Exception]] = {
    "ControlError": ControlError,
    "ValueError": ValueError,
    "RuntimeError": RuntimeError,
    "TimeoutError": TimeoutError,
}


def error_type(error: Exception) -> str | None:
    """The name under which the HTTP control API reports ``error``, None if unexpected."""
    for name, cls in ERRORS.items():
        if type(error) is cls:
            return name
    return None


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
