"""The two forms ``events`` and ``webhooks listen`` print: a readable line and a JSON line.

The readable form is the notification's ``repr`` and the JSON form its ``to_dict()`` (every
notification, ``Reconnected`` and ``UnknownNotification`` have both). ``_fallback_*`` covers
objects without ``to_dict()`` (SDK versions before the one-line reprs) the same way: camelCase
keys, default values left out, bytes in base64, so the output does not depend on which.
"""

from __future__ import annotations

import base64
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
    from google.protobuf.message import Message

    if isinstance(event, Message):
        return _message_repr(event)
    fields = ", ".join(f"{key}={value!r}" for key, value in _fallback_dict(event).items())
    return f"{type(event).__name__}({fields})"


def _message_repr(message: Any) -> str:
    """``ServerMessageX(field=value, ...)``: the fields set, enums by name, as 0.4.0 printed."""
    parts = []
    for field, value in message.ListFields():
        if field.message_type is not None:
            shown = (
                _message_repr(value)
                if hasattr(value, "ListFields")
                else "[" + ", ".join(_message_repr(item) for item in value) + "]"
            )
        elif field.enum_type is not None:
            shown = field.enum_type.values_by_number[value].name
        else:
            shown = repr(value)
        parts.append(f"{field.name}={shown}")
    return f"ServerMessage{type(message).__name__}({', '.join(parts)})"


def _fallback_dict(event: object) -> dict[str, Any]:
    from google.protobuf import json_format
    from google.protobuf.message import Message

    if isinstance(event, Message):
        return json_format.MessageToDict(event)
    if dataclasses.is_dataclass(event) and not isinstance(event, type):  # Reconnected
        error = getattr(event, "error", None)
        return {
            "connection": getattr(event, "connection", None),
            "error": str(error),
            "errorType": type(error).__name__,
        }
    data = getattr(event, "data", None)
    if isinstance(data, bytes):  # UnknownNotification
        return {"data": base64.b64encode(data).decode("ascii")}
    return {"repr": repr(event)}
