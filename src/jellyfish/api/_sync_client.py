"""The blocking transport shared by :class:`RoomApi` and :class:`RecordingApi`."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import TypeVar

import httpx

from jellyfish._openapi_client.models import HealthReport
from jellyfish.api import _calls
from jellyfish.api._base_api import (
    DEFAULT,
    DEFAULT_TIMEOUT_SECONDS,
    Call,
    CallTimeout,
    ClusterRouting,
    Router,
    Settings,
    Timeout,
    VerifyTypes,
    build_request,
    check_address,
    http_error,
    ssl_verify,
    transport_error,
)
from jellyfish.errors import HTTPError

T = TypeVar("T")
Self = TypeVar("Self", bound="SyncClient")


def distribution_enabled(report: HealthReport) -> bool:
    """Whether a health report says the node is part of a cluster."""
    enabled = report.distribution.enabled
    if isinstance(enabled, bool):
        return enabled
    return report.distribution.nodes_in_cluster > 1


class SyncClient:
    """Connection handling of the blocking API objects (one pooled ``httpx.Client``)."""

    def __init__(
        self,
        server_address: str = "localhost:5002",
        server_api_token: str = "development",
        secure: bool = False,
        *,
        timeout: Timeout = DEFAULT_TIMEOUT_SECONDS,
        verify: VerifyTypes = True,
        http_client: httpx.Client | None = None,
        cluster_routing: ClusterRouting = "auto",
    ) -> None:
        if http_client is not None and not isinstance(http_client, httpx.Client):
            raise ValueError(
                f"http_client must be an httpx.Client, got {type(http_client).__name__}"
            )
        self._settings = Settings(
            server_address=server_address,
            server_api_token=server_api_token,
            secure=secure,
            timeout=timeout,
            verify=ssl_verify(verify),
            cluster_routing=cluster_routing,
        )
        self._router = Router(server_address, cluster_routing)
        self._http_client = http_client
        self._owns_client = http_client is None
        self._closed = False
        self._lock = threading.Lock()
        self._base_urls: dict[str, str] = {}

    # ------------------------------------------------------------------ lifecycle

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(server_address={self._settings.server_address!r}, "
            f"secure={self._settings.secure!r}, timeout={self._settings.timeout!r})"
        )

    @property
    def server_address(self) -> str:
        """The ``host:port`` of the node this object talks to by default."""
        return self._settings.server_address

    @property
    def timeout(self) -> Timeout:
        """The timeout of every call that does not pass its own ``timeout=``."""
        return self._settings.timeout

    def close(self) -> None:
        """Close the connection pool (not an injected ``http_client``). Idempotent.

        Calls made after ``close()`` raise ``RuntimeError``.
        """
        with self._lock:
            self._closed = True
            client, self._http_client = self._http_client, None
        if client is not None and self._owns_client:
            client.close()

    def __enter__(self: Self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _client(self) -> httpx.Client:
        client = self._http_client
        if client is not None and not self._closed:
            return client
        with self._lock:
            if self._closed:
                raise RuntimeError(f"this {type(self).__name__} is closed")
            if self._http_client is None:
                self._http_client = httpx.Client(
                    timeout=self._settings.timeout,
                    verify=self._settings.verify,
                    headers=self._settings.auth_headers,
                    follow_redirects=False,
                )
                # 0.4.0 code never closes its RoomApi (0.4.0 had no close()); when such an
                # object is garbage-collected, close its pool instead of leaking sockets.
                weakref.finalize(self, self._http_client.close)
            return self._http_client

    # ------------------------------------------------------------------ routing

    def _base_url(self, address: str) -> str:
        base = self._base_urls.get(address)
        if base is None:
            base = self._base_urls[address] = self._settings.base_url(address)
        return base

    def _address(self, call: Call[T], timeout: CallTimeout) -> str:
        router = self._router
        if router.needs_decision(call.room_id):
            # "auto": is the server clustered? Asked once, of the default node. If it
            # cannot tell (an error status), trust the address create_room reported.
            try:
                report = self._send(_calls.get_health(), timeout)
            except HTTPError:
                return router.trusted_address(call.room_id)
            router.decide(distribution_enabled(report))
        return router.address_for(call.room_id)

    # ------------------------------------------------------------------ sending

    def _send(self, call: Call[T], timeout: CallTimeout = DEFAULT, node: str | None = None) -> T:
        client = self._client()
        address = node if node is not None else self._address(call, timeout)
        url = self._base_url(address) + call.path
        request_timeout = self._settings.request_timeout(timeout)
        request = build_request(
            client, call, url, self._settings, self._owns_client, timeout, request_timeout
        )
        try:
            response = client.send(request)
        except httpx.RequestError as exc:
            raise transport_error(exc, url, request_timeout) from exc
        return call.finish(response)

    @contextmanager
    def _stream(
        self, call: Call[bytes], timeout: CallTimeout, chunk_size: int | None
    ) -> Iterator[Iterator[bytes]]:
        client = self._client()
        url = self._base_url(self._address(call, timeout)) + call.path
        request_timeout = self._settings.request_timeout(timeout)
        request = build_request(
            client, call, url, self._settings, self._owns_client, timeout, request_timeout
        )
        try:
            response = client.send(request, stream=True)
        except httpx.RequestError as exc:
            raise transport_error(exc, url, request_timeout) from exc
        try:
            if not response.is_success:
                try:
                    response.read()
                except httpx.RequestError as exc:
                    raise transport_error(exc, url, request_timeout) from exc
                raise http_error(response, call.method, call.path)
            yield _mapped_chunks(response.iter_bytes(chunk_size), url, request_timeout)
        finally:
            response.close()

    def _health(self, node: str | None, timeout: CallTimeout) -> HealthReport:
        if node is not None:
            check_address(node)
        return self._send(_calls.get_health(), timeout, node=node)


def _mapped_chunks(chunks: Iterator[bytes], url: str, timeout: Timeout) -> Iterator[bytes]:
    try:
        yield from chunks
    except httpx.RequestError as exc:
        raise transport_error(exc, url, timeout) from exc
