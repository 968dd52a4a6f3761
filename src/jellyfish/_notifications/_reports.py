"""What a notifier reports besides notifications: :class:`Reconnected`, :class:`NotifierStats`.

A module of its own, without the WebSocket machinery, so that ``jellyfish.events`` (which
re-exports :class:`Reconnected`) imports none of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jellyfish.errors import JellyfishError

__all__ = ["NotifierStats", "Reconnected"]


@dataclass(frozen=True)
class Reconnected:
    """The notifier lost its connection and is ready again (authenticated, subscribed).

    Notifications emitted while it was disconnected are lost (the server does not
    replay them): resynchronise with ``RoomApi.get_all_rooms()`` when you see this, or
    create the notifier with ``catch_up=True``, which delivers the difference right after
    it. It reaches ``@notifier.on_reconnected`` handlers and, in stream order, iterators.

    Attributes:
        connection: the number of the new connection (2 after the first reconnect).
        error: why the previous connection ended.
    """

    connection: int
    error: JellyfishError

    def __repr__(self) -> str:
        return f"Reconnected(connection={self.connection}, error={str(self.error)!r})"

    __str__ = __repr__

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{"connection": 2, "error": "...", "errorType": "NotifierClosedError"}``."""
        return {
            "connection": self.connection,
            "error": str(self.error),
            "errorType": type(self.error).__name__,
        }


@dataclass(frozen=True)
class NotifierStats:
    """A snapshot of a notifier's counters, for operators (``notifier.stats``).

    Attributes:
        queued: events waiting now for a handler or an iterator.
        paused: how many times reading paused because ``max_queue`` events were waiting
            (a slow consumer; the server buffers meanwhile).
        reconnects: how many times the connection was re-established (one
            :class:`Reconnected` each).
        dropped: events discarded because the notifier was closed before they were
            consumed.
        received: notifications received (handshake messages not counted).
        catch_ups: catch-ups done (``catch_up=True``: one per connection).
        synthesized: events the catch-ups synthesized.
    """

    queued: int
    paused: int
    reconnects: int
    dropped: int
    received: int
    catch_ups: int = 0
    synthesized: int = 0
