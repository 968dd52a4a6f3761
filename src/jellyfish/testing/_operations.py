"""The control API's operations, each written once as a function of the running node.

:data:`OPERATIONS` maps an operation's name to its function, its JSON parameters and where it
runs (the node's event loop, or a worker thread). The in-process client
(``_control.LocalTransport``) and the HTTP control API (``_control_http``) both run them
from here. Operations produce exactly the notifications and REST state the real server
would; they raise :class:`~jellyfish.testing.ControlError` (a ``ValueError``) for unknown
rooms, peers, components or tracks, ``ValueError`` for bad arguments and ``RuntimeError``
for what the emulator's configuration does not allow (``advance()`` without the manual
clock).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from jellyfish.testing._core import NodeCore
from jellyfish.testing._fake_peer import FakePeer, FakePeerRegistry
from jellyfish.testing._model import Component, ControlError, Peer
from jellyfish.testing._tokens import TokenError

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
