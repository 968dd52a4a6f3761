"""The one decoder: bytes of a ``ServerMessage`` -> a typed notification object.

Every transport (server WebSocket frames, v0.5 webhook bodies, v0.3 JSON webhooks) goes
through :func:`decode_notification`. It never returns ``None`` and never raises anything
but :class:`jellyfish.errors.DecodeError`:

* a body that is not protobuf raises ``DecodeError``;
* an empty message, or one whose ``content`` is a case this SDK does not know (a newer
  server), becomes an :class:`UnknownNotification` carrying the raw bytes;
* handshake messages (``Authenticated``, ``AuthRequest``, ``SubscribeRequest``,
  ``SubscribeResponse``) are not notifications: :func:`decode_notification` rejects them
  with ``DecodeError``; the WebSocket protocol uses :func:`decode_server_message`.
"""

from __future__ import annotations

import base64
import json
import reprlib
from collections.abc import Callable
from typing import Any, Final, TypeAlias

from google.protobuf.message import DecodeError as _ProtobufDecodeError

from jellyfish.errors import DecodeError
from jellyfish.events._protos.jellyfish.server_notifications_pb2 import ServerMessage

__all__ = [
    "HANDSHAKE_CASES",
    "Notification",
    "ServerNotification",
    "UnknownNotification",
    "decode_fast",
    "decode_general",
    "decode_metadata",
    "decode_metrics",
    "decode_notification",
    "decode_server_message",
    "offending_bytes",
]


class UnknownNotification:
    """A ``ServerMessage`` whose content this SDK does not know (or an empty one).

    A newer server may send notification types that did not exist in Jellyfish 0.5.0.
    They are surfaced as this type instead of ``None`` or an exception, so a handler can
    log or ignore them and keep going.

    Attributes:
        data: the raw bytes of the whole ``ServerMessage``.
    """

    __slots__ = ("data",)

    def __init__(self, data: bytes | bytearray) -> None:
        self.data: Final = bytes(data)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UnknownNotification) and other.data == self.data

    def __hash__(self) -> int:
        return hash((UnknownNotification, self.data))

    def __repr__(self) -> str:
        return f"UnknownNotification(data={self.data!r})"

    __str__ = __repr__

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{"data": "<base64 of the raw bytes>"}`` (as protobuf's JSON does)."""
        return {"data": base64.b64encode(self.data).decode("ascii")}

    def __reduce__(self) -> tuple[type[UnknownNotification], tuple[bytes]]:
        return (UnknownNotification, (self.data,))


ServerNotification: TypeAlias = (
    ServerMessage.RoomCreated
    | ServerMessage.RoomDeleted
    | ServerMessage.RoomCrashed
    | ServerMessage.PeerAdded
    | ServerMessage.PeerDeleted
    | ServerMessage.PeerConnected
    | ServerMessage.PeerDisconnected
    | ServerMessage.PeerCrashed
    | ServerMessage.PeerMetadataUpdated
    | ServerMessage.ComponentCrashed
    | ServerMessage.TrackAdded
    | ServerMessage.TrackRemoved
    | ServerMessage.TrackMetadataUpdated
    | ServerMessage.HlsPlayable
    | ServerMessage.HlsUploaded
    | ServerMessage.HlsUploadCrashed
)
"""Every server notification of Jellyfish 0.5.0 (``MetricsReport`` is not one)."""

Notification: TypeAlias = ServerNotification | ServerMessage.MetricsReport | UnknownNotification
"""Anything the decoder can hand to user code."""

HANDSHAKE_CASES: Final = frozenset(
    {"authenticated", "auth_request", "subscribe_request", "subscribe_response"}
)
"""``ServerMessage.content`` cases that belong to the WebSocket handshake."""

_from_string = ServerMessage.FromString


def _fast_path_slots() -> tuple[tuple[Callable[[bytes], Any], int, int] | None, ...]:
    """For each first byte of a frame: ``(parse, tag length, second tag byte)`` or ``None``.

    ``parse`` is the ``FromString`` of the notification case whose tag starts with that
    byte. Tags of fields 1-15 take one byte; those of fields 16-2047 two (a varint), told
    apart by their first byte up to field 31 (the second byte then being 1); a field whose
    first byte is taken already (field 32 on) is left to the general path.
    """
    slots: list[tuple[Callable[[bytes], Any], int, int] | None] = [None] * 256
    for field in ServerMessage.DESCRIPTOR.oneofs_by_name["content"].fields:
        if field.name in HANDSHAKE_CASES:
            continue
        case_class = getattr(ServerMessage, field.name.title().replace("_", ""), None)
        message_type = field.message_type
        if case_class is None or message_type is None or case_class.DESCRIPTOR is not message_type:
            raise ImportError(f"no generated class for ServerMessage.{field.name}")
        tag = (field.number << 3) | 2  # wire type 2: length-delimited
        if tag < 0x80:
            slots[tag] = (case_class.FromString, 1, 0)
        elif tag < 1 << 14 and slots[(tag & 0x7F) | 0x80] is None:
            slots[(tag & 0x7F) | 0x80] = (case_class.FromString, 2, tag >> 7)
    return tuple(slots)


_FAST_PATH_SLOTS: Final = _fast_path_slots()


def decode_server_message(data: bytes) -> tuple[str | None, Any]:
    """Decode any ``ServerMessage``: ``(case, message)``.

    ``case`` is the name of the ``content`` oneof case (``"room_created"``,
    ``"authenticated"``, ...) and ``message`` the generated class of that case; for an
    empty or unknown content it is ``(None, UnknownNotification(data))``.

    Raises:
        DecodeError: ``data`` is not a protobuf ``ServerMessage``.
    """
    try:
        message = _from_string(data)
    except (_ProtobufDecodeError, TypeError, ValueError, RecursionError) as error:
        raise DecodeError(
            f"not a Jellyfish ServerMessage: {error}", offending_bytes(data)
        ) from None
    case = message.WhichOneof("content")
    if case is None:
        return None, UnknownNotification(data)
    return case, getattr(message, case)


def decode_fast(data: bytes) -> Notification | None:
    """The notification in ``data`` if it has Jellyfish's usual layout, else ``None``.

    Never raises: ``None`` means "take the general path" (:func:`decode_server_message`),
    which judges whatever this one cannot take. Handshake messages always give ``None``.
    """
    # The hot path of every notifier and webhook, kept to one Python call: Jellyfish encodes
    # a ServerMessage as one length-delimited field and nothing else. For such a frame,
    # parsing the field's payload with its own class gives the very object that parsing the
    # envelope and reading the oneof would, without building the envelope. Any other layout
    # (several fields, unknown fields, handshake cases, payloads of 16 KiB or more, non-bytes
    # input) takes the general path.
    try:
        parse, start, second = _FAST_PATH_SLOTS[data[0]]  # type: ignore[misc]  # None: general
        if start == 2 and data[1] != second:
            return None
        length = data[start]
        if length < 0x80:
            start += 1
        else:  # a two-byte varint length (a longer one, or an over-long zero: general path)
            high = data[start + 1]
            if not 0 < high < 0x80:
                return None
            length = (length & 0x7F) | high << 7
            start += 2
        if start + length == len(data):
            return parse(data[start:])  # type: ignore[no-any-return]
    except Exception:  # whatever the fast path cannot take, the general path judges
        pass
    return None


def decode_general(data: bytes) -> Notification:
    """:func:`decode_notification` for what :func:`decode_fast` does not take."""
    case, notification = decode_server_message(data)
    if case in HANDSHAKE_CASES:
        raise DecodeError(
            f"a {case!r} handshake message is not a notification", offending_bytes(data)
        )
    result: Notification = notification
    return result


def decode_notification(data: bytes) -> Notification:
    """Decode the bytes of one ``ServerMessage`` into its notification object.

    Returns the generated protobuf class of the oneof case (for example a
    ``jellyfish.events.ServerMessageRoomCreated``), or an :class:`UnknownNotification`
    for an empty message or a content this SDK does not know.

    Raises:
        DecodeError: ``data`` is not a protobuf ``ServerMessage``, or it is a WebSocket
            handshake message (``Authenticated``, ``SubscribeResponse``, ...), which is
            never a notification.
    """
    notification = decode_fast(data)
    if notification is None:
        notification = decode_general(data)
    return notification


def offending_bytes(data: object) -> bytes:
    """What a :class:`DecodeError` keeps of ``data``: its first KiB as bytes.

    Text is encoded; anything else is described by a bounded repr (``reprlib``: no
    recursion into deeply nested containers, no exception from a broken ``__repr__``).
    """
    if isinstance(data, bytes | bytearray | memoryview):
        return bytes(data)[:1024]
    if isinstance(data, str):
        return data[:1024].encode("utf-8", "replace")
    return reprlib.repr(data).encode("utf-8", "replace")


_METADATA_TYPES = (
    ServerMessage.PeerMetadataUpdated,
    ServerMessage.Track,
    ServerMessage.TrackAdded,
    ServerMessage.TrackRemoved,
    ServerMessage.TrackMetadataUpdated,
)


def decode_metadata(
    event: ServerMessage.PeerMetadataUpdated
    | ServerMessage.Track
    | ServerMessage.TrackAdded
    | ServerMessage.TrackRemoved
    | ServerMessage.TrackMetadataUpdated,
) -> Any:
    """The metadata of a notification, JSON-decoded.

    Jellyfish sends metadata as a JSON-encoded string (``"null"`` for none). This
    returns the decoded value: for ``PeerMetadataUpdated`` the peer's metadata, for a
    ``Track`` or a ``Track*`` notification the track's metadata.

    Raises:
        DecodeError: the string is not JSON (or is nested too deeply).
        TypeError: ``event`` carries no metadata.
    """
    if not isinstance(event, _METADATA_TYPES):
        raise TypeError(f"{type(event).__name__} carries no metadata")
    if isinstance(event, ServerMessage.PeerMetadataUpdated | ServerMessage.Track):
        raw = event.metadata
    else:
        raw = event.track.metadata
    return _loads(raw, "metadata")


def decode_metrics(report: ServerMessage.MetricsReport) -> dict[str, Any]:
    """The metrics of a ``MetricsReport``, JSON-decoded into a dict.

    Keys are flattened as the server sends them (``"room_id=<id>"`` at the top level,
    ``"endpoint_id=<peer id>"`` below it).

    Raises:
        DecodeError: the report is not a JSON object (or is nested too deeply).
        TypeError: ``report`` is not a ``MetricsReport``.
    """
    if not isinstance(report, ServerMessage.MetricsReport):
        raise TypeError(f"{type(report).__name__} is not a MetricsReport")
    value = _loads(report.metrics or "{}", "metrics")
    if not isinstance(value, dict):
        raise DecodeError("metrics report is not a JSON object", report.metrics.encode())
    return value


def _loads(raw: str, what: str) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as error:  # RecursionError: nested too deeply
        raise DecodeError(f"{what} is not valid JSON: {error}", raw.encode()) from None
