"""Errors of the Redis bridge and stream consumers (all are ``JellyfishError`` s)."""

from __future__ import annotations

from jellyfish.errors import JellyfishError

__all__ = [
    "LeaseLostError",
    "RedisConnectionError",
    "RedisError",
    "RedisTimeoutError",
    "ReplyError",
]


class RedisError(JellyfishError):
    """Talking to Redis failed."""


class RedisConnectionError(RedisError, ConnectionError):
    """Redis could not be reached, or the connection broke (also a ``ConnectionError``)."""


class RedisTimeoutError(RedisError, TimeoutError):
    """Redis did not answer in time (also a ``TimeoutError``); the connection is dropped."""


class ReplyError(RedisError):
    """Redis answered a command with an error reply (``ERR ...``, ``NOSCRIPT ...``).

    Attributes:
        code: the first word of the reply (``"ERR"``, ``"NOSCRIPT"``, ``"BUSYGROUP"``, ...).
    """

    @property
    def code(self) -> str:
        """The first word of the reply."""
        return str(self.args[0]).split(" ", 1)[0] if self.args else ""


class LeaseLostError(RedisError):
    """A bridge lost its leadership: another bridge holds the lease (or it expired).

    Every append checks the lease atomically, so a bridge that gets this appended nothing
    of the batch it tried; it goes back to standby.
    """
