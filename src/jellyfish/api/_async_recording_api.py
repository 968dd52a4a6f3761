"""AsyncRecordingApi: list, delete and download recordings (async: asyncio and trio).

Written once, as async code; the blocking twin is generated from it (``nox -s unasync``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING

from jellyfish.api import _calls
from jellyfish.api._async_client import AsyncClient
from jellyfish.api._base_api import DEFAULT

if TYPE_CHECKING:
    from jellyfish._openapi_client.models import HealthReport
    from jellyfish.api._http_types import CallTimeout


class AsyncRecordingApi(AsyncClient):
    """Manage the recordings (persistent HLS outputs) of a Jellyfish node (async: asyncio and trio).

    Drop-in compatible with ``jellyfish-server-sdk`` 0.4.0, plus timeouts, TLS settings,
    connection reuse, the health check and content downloads. Errors are the
    :class:`jellyfish.errors.HTTPError` and :class:`jellyfish.errors.TransportError`
    families. Recordings are node-local: in a cluster, use one ``RecordingApi`` per node.
    """

    async def get_list(self, *, timeout: CallTimeout = DEFAULT) -> list[str]:
        """Return the ids of the available (finished) recordings."""
        return await self._send(_calls.get_recordings(), timeout)

    async def delete(self, recording_id: str, *, timeout: CallTimeout = DEFAULT) -> None:
        """Delete the recording with the given id."""
        await self._send(_calls.delete_recording(recording_id), timeout)

    async def get_health(
        self, *, node: str | None = None, timeout: CallTimeout = DEFAULT
    ) -> HealthReport:
        """Return the health report of ``server_address`` (or of ``node``, ``host:port``)."""
        return await self._health(node, timeout)

    async def get_content(
        self, recording_id: str, filename: str, *, timeout: CallTimeout = DEFAULT
    ) -> bytes:
        """Download one file of a recording (e.g. ``index.m3u8`` or a segment).

        No token is sent: the endpoint needs none.
        """
        return await self._send(_calls.get_recording_content(recording_id, filename), timeout)

    def stream_content(
        self,
        recording_id: str,
        filename: str,
        *,
        chunk_size: int | None = None,
        timeout: CallTimeout = DEFAULT,
    ) -> AbstractAsyncContextManager[AsyncIterator[bytes]]:
        """Stream one file of a recording without holding it in memory.

        Use as ``async with recording_api.stream_content(recording_id, name) as chunks:`` and
        iterate over ``chunks`` (``bytes``). The error status is raised on entering; a
        transport failure while reading raises a ``TransportError``. ``timeout`` is the
        deadline for the answer's headers, then the limit of each read of the body: a
        large download is never cut while data keeps coming.
        """
        call = _calls.get_recording_content(recording_id, filename)
        return self._stream(call, timeout, chunk_size)
