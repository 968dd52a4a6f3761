"""What the REST API defines on httpx's and ssl's types: the timeout aliases, the deadline error.

Importing this module loads httpx, so the modules that importing ``RoomApi`` loads name these
only under ``TYPE_CHECKING`` (or import them when a call needs them).
"""

from __future__ import annotations

import ssl

import httpx

from jellyfish.api._base_api import _Default

Timeout = float | httpx.Timeout | None
"""A timeout in seconds, an ``httpx.Timeout`` for fine control, or ``None`` for no limit."""

VerifyTypes = bool | str | ssl.SSLContext
"""TLS certificate verification: on/off, a CA bundle path, or a ready ``ssl.SSLContext``."""

CallTimeout = Timeout | _Default
"""The type of the per-call ``timeout=`` argument."""


class DeadlineExceeded(httpx.TimeoutException):
    """A call ran out of its total time (raised by ``run_within`` of ``_async_io``/``_sync_io``).

    An httpx timeout, so that the clients turn it into a ``RequestTimeoutError`` as any other.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
