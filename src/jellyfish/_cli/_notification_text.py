"""The two forms ``events`` and ``webhooks listen`` print: a readable line and a JSON line.

The readable form is the notification's ``repr`` and the JSON form its ``to_dict()``: every
notification, ``Reconnected`` and ``UnknownNotification`` have both.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol


class Printable(Protocol):
    """What a notifier or the webhook decoder hands over."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""


def readable(event: Printable) -> str:
    """One line naming the notification and its fields."""
    return repr(event)


def as_dict(event: Printable) -> dict[str, Any]:
    """The notification as JSON-ready data."""
    return event.to_dict()


def type_name(event: Printable) -> str:
    """The name the readable form starts with (``ServerMessageRoomCreated``)."""
    return readable(event).split("(", 1)[0]


def text_line(event: Printable, when: datetime) -> str:
    """``HH:MM:SS.mmm <readable form>``; a reconnect stands out."""
    stamp = when.strftime("%H:%M:%S.") + f"{when.microsecond // 1000:03d}"
    if type_name(event) == "Reconnected":
        return f"{stamp} --- reconnected (notifications sent while disconnected are lost): " + (
            readable(event)
        )
    return f"{stamp} {readable(event)}"


def json_line(event: Printable, when: datetime) -> dict[str, Any]:
    """``{"time": ISO 8601, "type": name, "notification": to_dict()}``."""
    return {
        "time": when.isoformat(timespec="milliseconds"),
        "type": type_name(event),
        "notification": as_dict(event),
    }
