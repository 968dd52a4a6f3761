"""The two forms ``events`` and ``webhooks listen`` print: a readable line and a JSON line.

The readable form is the notification's ``repr`` and the JSON form its ``to_dict()`` (every
notification, ``Reconnected`` and ``UnknownNotification`` have both). ``_fallback_*`` covers
objects without ``to_dict()`` so that the command works with any notification it is given.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any


def readable(event: object) -> str:
    """One line naming the notification and its fields."""
    if callable(getattr(event, "to_dict", None)):
        return repr(event)
    return _fallback_readable(event)


def as_dict(event: object) -> dict[str, Any]:
    """The notification as JSON-ready data."""
    to_dict = getattr(event, "to_dict", None)
    if callable(to_dict):
        data: dict[str, Any] = to_dict()
        return data
    return _fallback_dict(event)


def type_name(event: object) -> str:
    """The name the readable form starts with (``ServerMessageRoomCreated``)."""
    return readable(event).split("(", 1)[0]


def text_line(event: object, when: datetime) -> str:
    """``HH:MM:SS.mmm <readable form>``; a reconnect stands out."""
    stamp = when.strftime("%H:%M:%S.") + f"{when.microsecond // 1000:03d}"
    if type_name(event) == "Reconnected":
        return f"{stamp} --- reconnected (notifications sent while disconnected are lost): " + (
            readable(event)
        )
    return f"{stamp} {readable(event)}"


def json_line(event: object, when: datetime) -> dict[str, Any]:
    """``{"time": ISO 8601, "type": name, "notification": to_dict()}``."""
    return {
        "time": when.isoformat(timespec="milliseconds"),
        "type": type_name(event),
        "notification": as_dict(event),
    }


def _fallback_readable(event: object) -> str:
    fields = ", ".join(f"{key}={value!r}" for key, value in _fallback_dict(event).items())
    return f"{_fallback_name(event)}({fields})"


def _fallback_name(event: object) -> str:
    from google.protobuf.message import Message

    name = type(event).__name__
    return f"ServerMessage{name}" if isinstance(event, Message) else name


def _fallback_dict(event: object) -> dict[str, Any]:
    from google.protobuf import json_format
    from google.protobuf.message import Message

    if isinstance(event, Message):
        return json_format.MessageToDict(
            event, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
        )
    if dataclasses.is_dataclass(event) and not isinstance(event, type):
        return {field.name: str(getattr(event, field.name)) for field in dataclasses.fields(event)}
    data = getattr(event, "data", None)
    if isinstance(data, bytes):
        return {"data": data.hex()}
    return {"repr": repr(event)}
