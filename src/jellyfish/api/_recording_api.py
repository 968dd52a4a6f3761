"""RecordingApi: list, delete and download recordings (blocking)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager

import httpx

from jellyfish._openapi_client.models import HealthReport
from jellyfish.api import _calls
from jellyfish.api._base_api import (
    DEFAULT,
    DEFAULT_TIMEOUT_SECONDS,
    CallTimeout,
    Timeout,
    VerifyTypes,
)
from jellyfish.api._sync_client import SyncClient


class RecordingApi(SyncClient):
    """Manage the recordings (persistent HLS outputs) of a Jellyfish node (blocking).

    Drop-in compatible with ``jellyfish-server-sdk`` 0.4.0, plus timeouts, TLS settings,
    connection reuse, the health check and content downloads. Errors are the
    :class:`jellyfish.errors.HTTPError` and :class:`jellyfish.errors.TransportError`
    families. Recordings are node-local: in a cluster, use one ``RecordingApi`` per node.
    """

    def __init__(
        self,
        server_address: str = "localhost:5002",
        server_api_token: str = "development",
        secure: bool = False,
        *,
        timeout: Timeout = DEFAULT_TIMEOUT_SECONDS,
        verify: VerifyTypes = True,
        http_client: httpx.Client | None = None,
    ) -> None:
        """Create a RecordingApi for the Jellyfish at ``server_address``.

        The arguments mean the same as for :class:`RoomApi`: ``host:port``, the server
        API token, https or not, the default timeout of each call, TLS verification, and
        an optional ``httpx.Client`` that is used as given and not closed by us.
        """
        super().__init__(
            server_address,
            server_api_token,
            secure,
            timeout=timeout,
            verify=verify,
            http_client=http_client,
            cluster_routing=False,
        )

    def get_list(self, *, timeout: CallTimeout = DEFAULT) -> list[str]:
        """Return the ids of the available (finished) recordings."""
        return self._send(_calls.get_recordings(), timeout)

    def delete(self, recording_id: str, *, timeout: CallTimeout = DEFAULT) -> None:
        """Delete the recording with the given id."""
        self._send(_calls.delete_recording(recording_id), timeout)

    def get_health(
        self, *, node: str | None = None, timeout: CallTimeout = DEFAULT
    ) -> HealthReport:
        """Return the health report of ``server_address`` (or of ``node``, ``host:port``)."""
        return self._health(node, timeout)

    def get_content(
        self, recording_id: str, filename: str, *, timeout: CallTimeout = DEFAULT
    ) -> bytes:
        """Download one file of a recording (e.g. ``index.m3u8`` or a segment).

        No token is sent: the endpoint needs none.
        """
        return self._send(_calls.get_recording_content(recording_id, filename), timeout)

    def stream_content(
        self,
        recording_id: str,
        filename: str,
        *,
        chunk_size: int | None = None,
        timeout: CallTimeout = DEFAULT,
    ) -> AbstractContextManager[Iterator[bytes]]:
        """Stream one file of a recording without holding it in memory.

        Use as ``with recording_api.stream_content(recording_id, name) as chunks:`` and
        iterate over ``chunks`` (``bytes``). The error status is raised on entering.
        """
        call = _calls.get_recording_content(recording_id, filename)
        return self._stream(call, timeout, chunk_size)
