"""Catch-up that converges: the server's state, what events do to it, and the way back.

Written once, without I/O. :class:`ServerState` is what ``GET /room`` shows that
notifications can express: the rooms, their peers (status, metadata, tracks) and the tracks
of their components. It serves three purposes:

* the consumer-side model: :meth:`ServerState.apply` does to the state what an event says
  (the model the convergence property is stated with);
* the state a source last published: a notifier or the Redis bridge keeps one and applies
  every event it hands on;
* catch-up: :meth:`ServerState.catch_up` turns "what I last published" and a new
  ``GET /room`` snapshot into the events that take a consumer from one to the other, of
  the same protobuf types Jellyfish sends, each wrapped in a :class:`~jellyfish.Delivery`
  with ``synthetic=True``.

The property (tested with random operations during random outages): for a state ``s``
and a snapshot ``t``, applying ``s.catch_up(t)`` to ``s`` gives ``t``; and a consumer that
applies the events it receives, synthesized ones included, ends with what ``GET /room``
shows.

Jellyfish has no notification for a component being added or deleted (only its tracks
and ``ComponentCrashed``), so components appear in the state through their tracks: a
component without tracks is not part of it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from jellyfish._routing import Delivery
from jellyfish.events._protos.jellyfish.server_notifications_pb2 import ServerMessage

__all__ = ["PeerState", "RoomState", "ServerState", "TrackState"]

_TRACK_TYPES = {
    "video": ServerMessage.TRACK_TYPE_VIDEO,
    "audio": ServerMessage.TRACK_TYPE_AUDIO,
}
_TRACK_TYPE_NAMES = {value: name for name, value in _TRACK_TYPES.items()}
_CONNECTED, _DISCONNECTED = "connected", "disconnected"


@dataclass(frozen=True, slots=True)
class TrackState:
    """A track as ``GET /room`` shows it: ``type`` ``"audio"``/``"video"``/``None``, metadata."""

    type: str | None = None
    metadata: Any = None


@dataclass(slots=True)
class PeerState:
    """A peer: ``status`` (``"connected"``/``"disconnected"``), metadata and tracks by id."""

    status: str = _DISCONNECTED
    metadata: Any = None
    tracks: dict[str, TrackState] = field(default_factory=dict)


@dataclass(slots=True)
class RoomState:
    """A room: its peers by id, and the tracks of each component that has tracks."""

    peers: dict[str, PeerState] = field(default_factory=dict)
    components: dict[str, dict[str, TrackState]] = field(default_factory=dict)


def _loads(text: str) -> Any:
    """Jellyfish sends metadata JSON-encoded; REST shows the value (a non-JSON text as is)."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _field(item: Any, name: str, default: Any = None) -> Any:
    """``item[name]`` of a REST JSON dict, or ``item.name`` of a generated model."""
    if isinstance(item, Mapping):
        return item.get(name, default)
    value = getattr(item, name, default)
    return default if type(value).__name__ == "Unset" else value


def _enum_text(value: Any) -> str | None:
    if value is None:
        return None
    return str(getattr(value, "value", value))


def _tracks(items: Any) -> dict[str, TrackState]:
    tracks: dict[str, TrackState] = {}
    for track in items or ():
        track_id = _field(track, "id")
        if track_id:
            tracks[str(track_id)] = TrackState(
                _enum_text(_field(track, "type")), _field(track, "metadata")
            )
    return tracks


def _track_message(track_id: str, track: TrackState) -> ServerMessage.Track:
    return ServerMessage.Track(
        id=track_id,
        type=_TRACK_TYPES.get(track.type or "", ServerMessage.TRACK_TYPE_UNSPECIFIED),
        metadata=_dumps(track.metadata),
    )


def _endpoint(event: Any) -> tuple[str, str] | None:
    """``("peer", id)`` or ``("component", id)`` of a ``Track*`` notification."""
    which = event.WhichOneof("endpoint_info")
    if which == "peer_id":
        return "peer", event.peer_id
    if which == "component_id":
        return "component", event.component_id
    return None


class ServerState:
    """The rooms, peers and tracks of a Jellyfish, as far as notifications can tell.

    Build it from ``GET /room`` (:meth:`from_rooms`), keep it up to date with
    :meth:`apply`, compare two with ``==``, and compute the events between two with
    :meth:`catch_up`. :meth:`room_to_json` / :meth:`room_from_json` store one room.
    """

    __slots__ = ("rooms",)

    def __init__(self, rooms: Mapping[str, RoomState] | None = None) -> None:
        self.rooms: dict[str, RoomState] = dict(rooms or {})

    @classmethod
    def from_rooms(cls, rooms: Iterable[Any]) -> ServerState:
        """The state of ``rooms``: ``get_all_rooms()``'s result, or ``GET /room``'s JSON list."""
        state = cls()
        for room in rooms:
            peers = {
                str(_field(peer, "id")): PeerState(
                    _enum_text(_field(peer, "status")) or _DISCONNECTED,
                    _field(peer, "metadata"),
                    _tracks(_field(peer, "tracks")),
                )
                for peer in _field(room, "peers") or ()
            }
            components: dict[str, dict[str, TrackState]] = {}
            for component in _field(room, "components") or ():
                tracks = _tracks(_field(component, "tracks"))
                if tracks:
                    components[str(_field(component, "id"))] = tracks
            state.rooms[str(_field(room, "id"))] = RoomState(peers, components)
        return state

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ServerState):
            return NotImplemented
        return self.rooms == other.rooms

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        peers = sum(len(room.peers) for room in self.rooms.values())
        return f"ServerState({len(self.rooms)} rooms, {peers} peers)"

    def copy(self) -> ServerState:
        """An independent copy."""
        return ServerState({room_id: _copy_room(room) for room_id, room in self.rooms.items()})

    # -- the consumer-side model ------------------------------------------------------------

    def apply(self, event: Any) -> str | None:
        """Change the state as ``event`` says; returns the id of the room it touched, if any.

        Idempotent and forgiving: an event about something the state does not hold adds
        it when it can (``PeerAdded`` of an unknown room adds the room) and is a no-op when
        it removes it. Events that say nothing about rooms, peers or tracks (metrics,
        ``HlsPlayable``, ``Reconnected``, ...) return ``None``.
        """
        kind = type(event)
        handler = _APPLY.get(kind)
        if handler is None:
            return None
        room_id: str = event.room_id
        handler(self, event)
        return room_id

    def _room(self, room_id: str) -> RoomState:
        room = self.rooms.get(room_id)
        if room is None:
            room = self.rooms[room_id] = RoomState()
        return room

    def _peer(self, room_id: str, peer_id: str, status: str = _DISCONNECTED) -> PeerState:
        peers = self._room(room_id).peers
        peer = peers.get(peer_id)
        if peer is None:
            peer = peers[peer_id] = PeerState(status)
        return peer

    def _room_created(self, event: Any) -> None:
        self._room(event.room_id)

    def _room_gone(self, event: Any) -> None:
        self.rooms.pop(event.room_id, None)

    def _peer_added(self, event: Any) -> None:
        self._peer(event.room_id, event.peer_id)

    def _peer_gone(self, event: Any) -> None:
        room = self.rooms.get(event.room_id)
        if room is not None:
            room.peers.pop(event.peer_id, None)

    def _peer_connected(self, event: Any) -> None:
        self._peer(event.room_id, event.peer_id).status = _CONNECTED

    def _peer_disconnected(self, event: Any) -> None:
        peer = self._peer(event.room_id, event.peer_id)
        peer.status = _DISCONNECTED
        peer.tracks.clear()  # Jellyfish clears the tracks of a peer that disconnects

    def _peer_metadata(self, event: Any) -> None:
        self._peer(event.room_id, event.peer_id).metadata = _loads(event.metadata)

    def _component_crashed(self, event: Any) -> None:
        room = self.rooms.get(event.room_id)
        if room is not None:
            room.components.pop(event.component_id, None)

    def _track_set(self, event: Any) -> None:
        endpoint = _endpoint(event)
        if endpoint is None or not event.track.id:
            return
        track = TrackState(_TRACK_TYPE_NAMES.get(event.track.type), _loads(event.track.metadata))
        kind, endpoint_id = endpoint
        if kind == "peer":
            # only a connected peer publishes tracks
            self._peer(event.room_id, endpoint_id, _CONNECTED).tracks[event.track.id] = track
        else:
            components = self._room(event.room_id).components
            components.setdefault(endpoint_id, {})[event.track.id] = track

    def _track_removed(self, event: Any) -> None:
        endpoint = _endpoint(event)
        room = self.rooms.get(event.room_id)
        if endpoint is None or room is None:
            return
        kind, endpoint_id = endpoint
        if kind == "peer":
            peer = room.peers.get(endpoint_id)
            if peer is not None:
                peer.tracks.pop(event.track.id, None)
        else:
            tracks = room.components.get(endpoint_id)
            if tracks is not None:
                tracks.pop(event.track.id, None)
                if not tracks:  # a component is in the state only while it has tracks
                    del room.components[endpoint_id]

    # -- catch-up ---------------------------------------------------------------------------

    def catch_up(self, target: ServerState) -> list[Delivery]:
        """The events that take a consumer holding this state to ``target``, synthesized.

        Each is a :class:`~jellyfish.Delivery` with ``synthetic=True`` and
        ``source="catch_up"`` around a ``jellyfish.events`` object. The order is the
        server's own: a room that is gone gets ``TrackRemoved``/``PeerDeleted`` for what it
        held, then ``RoomDeleted`` (whether it was deleted, purged or crashed: the snapshot
        cannot tell); a new room gets ``RoomCreated``, then ``PeerAdded``,
        ``PeerConnected``, ``PeerMetadataUpdated`` and ``TrackAdded`` as its content
        requires. Applying the result to a copy of this state gives ``target``.
        """
        events: list[Any] = []
        for room_id, room in self.rooms.items():
            if room_id not in target.rooms:
                _room_removed(events, room_id, room)
        for room_id, new_room in target.rooms.items():
            old_room = self.rooms.get(room_id)
            if old_room is None:
                events.append(ServerMessage.RoomCreated(room_id=room_id))
                old_room = RoomState()
            _room_changed(events, room_id, old_room, new_room)
        return [Delivery(event, synthetic=True, source="catch_up") for event in events]

    # -- storage ----------------------------------------------------------------------------

    def room_to_json(self, room_id: str) -> str | None:
        """One room as JSON text (``None`` when the state does not hold it)."""
        room = self.rooms.get(room_id)
        if room is None:
            return None
        return _dumps(
            {
                "peers": {
                    peer_id: {
                        "status": peer.status,
                        "metadata": peer.metadata,
                        "tracks": _tracks_json(peer.tracks),
                    }
                    for peer_id, peer in room.peers.items()
                },
                "components": {
                    component_id: _tracks_json(tracks)
                    for component_id, tracks in room.components.items()
                },
            }
        )

    def room_from_json(self, room_id: str, text: str | bytes) -> None:
        """Set one room from :meth:`room_to_json`'s text."""
        data = json.loads(text)
        self.rooms[room_id] = RoomState(
            {
                peer_id: PeerState(
                    peer["status"], peer["metadata"], _tracks_from_json(peer["tracks"])
                )
                for peer_id, peer in data["peers"].items()
            },
            {
                component_id: _tracks_from_json(tracks)
                for component_id, tracks in data["components"].items()
            },
        )


def _tracks_json(tracks: Mapping[str, TrackState]) -> dict[str, Any]:
    return {track_id: [track.type, track.metadata] for track_id, track in tracks.items()}


def _tracks_from_json(data: Mapping[str, Any]) -> dict[str, TrackState]:
    return {track_id: TrackState(kind, metadata) for track_id, (kind, metadata) in data.items()}


def _copy_room(room: RoomState) -> RoomState:
    return RoomState(
        {
            peer_id: PeerState(peer.status, peer.metadata, dict(peer.tracks))
            for peer_id, peer in room.peers.items()
        },
        {component_id: dict(tracks) for component_id, tracks in room.components.items()},
    )


def _track_removed_events(
    events: list[Any], room_id: str, endpoint: dict[str, str], tracks: Mapping[str, TrackState]
) -> None:
    for track_id, track in tracks.items():
        events.append(
            ServerMessage.TrackRemoved(
                room_id=room_id, track=_track_message(track_id, track), **endpoint
            )
        )


def _room_removed(events: list[Any], room_id: str, room: RoomState) -> None:
    for peer_id, peer in room.peers.items():
        _track_removed_events(events, room_id, {"peer_id": peer_id}, peer.tracks)
        events.append(ServerMessage.PeerDeleted(room_id=room_id, peer_id=peer_id))
    for component_id, tracks in room.components.items():
        _track_removed_events(events, room_id, {"component_id": component_id}, tracks)
    events.append(ServerMessage.RoomDeleted(room_id=room_id))


def _tracks_changed(
    events: list[Any],
    room_id: str,
    endpoint: dict[str, str],
    old: Mapping[str, TrackState],
    new: Mapping[str, TrackState],
) -> None:
    gone = {track_id: track for track_id, track in old.items() if track_id not in new}
    _track_removed_events(events, room_id, endpoint, gone)
    for track_id, track in new.items():
        previous = old.get(track_id)
        if previous == track:
            continue
        message = _track_message(track_id, track)
        if previous is not None and previous.type == track.type:
            events.append(
                ServerMessage.TrackMetadataUpdated(room_id=room_id, track=message, **endpoint)
            )
            continue
        if previous is not None:  # a track does not change its type: it was replaced
            _track_removed_events(events, room_id, endpoint, {track_id: previous})
        events.append(ServerMessage.TrackAdded(room_id=room_id, track=message, **endpoint))


def _room_changed(events: list[Any], room_id: str, old: RoomState, new: RoomState) -> None:
    for peer_id, peer in old.peers.items():
        if peer_id not in new.peers:
            _track_removed_events(events, room_id, {"peer_id": peer_id}, peer.tracks)
            events.append(ServerMessage.PeerDeleted(room_id=room_id, peer_id=peer_id))
    for peer_id, peer in new.peers.items():
        previous = old.peers.get(peer_id)
        tracks_before: Mapping[str, TrackState] = {}
        if previous is None:
            events.append(ServerMessage.PeerAdded(room_id=room_id, peer_id=peer_id))
            previous = PeerState()
        else:
            tracks_before = previous.tracks
        if previous.status != peer.status:
            if peer.status == _CONNECTED:
                events.append(ServerMessage.PeerConnected(room_id=room_id, peer_id=peer_id))
            else:
                # as a REST delete does: the tracks go first, then the peer disconnects
                _track_removed_events(events, room_id, {"peer_id": peer_id}, tracks_before)
                events.append(ServerMessage.PeerDisconnected(room_id=room_id, peer_id=peer_id))
                tracks_before = {}
        if previous.metadata != peer.metadata:
            events.append(
                ServerMessage.PeerMetadataUpdated(
                    room_id=room_id, peer_id=peer_id, metadata=_dumps(peer.metadata)
                )
            )
        _tracks_changed(events, room_id, {"peer_id": peer_id}, tracks_before, peer.tracks)
    for component_id, tracks in old.components.items():
        if component_id not in new.components:
            _track_removed_events(events, room_id, {"component_id": component_id}, tracks)
    for component_id, tracks in new.components.items():
        _tracks_changed(
            events,
            room_id,
            {"component_id": component_id},
            old.components.get(component_id, {}),
            tracks,
        )


_APPLY = {
    ServerMessage.RoomCreated: ServerState._room_created,
    ServerMessage.RoomDeleted: ServerState._room_gone,
    ServerMessage.RoomCrashed: ServerState._room_gone,
    ServerMessage.PeerAdded: ServerState._peer_added,
    ServerMessage.PeerDeleted: ServerState._peer_gone,
    ServerMessage.PeerCrashed: ServerState._peer_gone,
    ServerMessage.PeerConnected: ServerState._peer_connected,
    ServerMessage.PeerDisconnected: ServerState._peer_disconnected,
    ServerMessage.PeerMetadataUpdated: ServerState._peer_metadata,
    ServerMessage.ComponentCrashed: ServerState._component_crashed,
    ServerMessage.TrackAdded: ServerState._track_set,
    ServerMessage.TrackMetadataUpdated: ServerState._track_set,
    ServerMessage.TrackRemoved: ServerState._track_removed,
}
