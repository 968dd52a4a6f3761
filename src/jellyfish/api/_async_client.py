"""The anyio transport shared by :class:`AsyncRoomApi` and :class:`AsyncRecordingApi`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import TracebackType
from typing import TypeVar

import anyio
import anyio.lowlevel
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
from jellyfish.api._sync_client import distribution_enabled
from jellyfish.errors import HTTPError

T = TypeVar("T")
Self = TypeVar("Self", bound="AsyncClient")


def _event_loop() -> object:
    """An identity for the running event loop (asyncio loop or trio token)."""
    current_token = getattr(anyio.lowlevel, "current_token", None)
    if current_token is None:  # anyio < 4.11: cannot tell loops apart
        return None
    return current_token().native_token


class AsyncClient:
    """Connection handling of the async API objects (one pooled ``httpx.AsyncClient``).

    The ``httpx.AsyncClient`` is created lazily, inside the running event loop, by the
    first call; if a later call runs in a different event loop (e.g. a second
    ``asyncio.run``), a fresh client is created for it. Works on asyncio and trio.
    """

    def __init__(
        self,
        server_address: str = "localhost:5002",
        server_api_token: str = "development",
        secure: bool = False,
        *,
        timeout: Timeout = DEFAULT_TIMEOUT_SECONDS,
        verify: VerifyTypes = True,
        http_client: httpx.AsyncClient | None = None,
        cluster_routing: ClusterRouting = "auto",
    ) -> None:
        if http_client is not None and not isinstance(http_client, httpx.AsyncClient):
            raise ValueError(
                f"http_client must be an httpx.AsyncClient, got {type(http_client).__name__}"
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
        self._loop: object = None
        self._closed = False
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

    async def aclose(self) -> None:
        """Close the connection pool (not an injected ``http_client``). Idempotent.

        Calls made after ``aclose()`` raise ``RuntimeError``.
        """
        self._closed = True
        client, self._http_client = self._http_client, None
        if client is not None and self._owns_client:
            await client.aclose()

    async def __aenter__(self: Self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def _client(self) -> httpx.AsyncClient:
        if self._closed:
            raise RuntimeError(f"this {type(self).__name__} is closed")
        client = self._http_client
        if not self._owns_client and client is not None:
            return client
        loop = _event_loop()
        if client is None or loop is not self._loop:
            # First call, or a new event loop: the old client's connections belong to
            # a loop that is gone, so they cannot be reused (nor closed) from here.
            client = self._http_client = httpx.AsyncClient(
                timeout=self._settings.timeout,
                verify=self._settings.verify,
                headers=self._settings.auth_headers,
                follow_redirects=False,
            )
            self._loop = loop
        return client

    # ------------------------------------------------------------------ routing

    def _base_url(self, address: str) -> str:
        base = self._base_urls.get(address)
        if base is None:
            base = self._base_urls[address] = self._settings.base_url(address)
        return base

    async def _address(self, call: Call[T], call_timeout: CallTimeout) -> str:
        router = self._router
        if router.needs_decision(call.room_id):
            # "auto": is the server clustered? Asked once, of the default node. If it
            # cannot tell (an error status), trust the address create_room reported.
            try:
                report = await self._send(_calls.get_health(), call_timeout)
            except HTTPError:
                return router.trusted_address(call.room_id)
            router.decide(distribution_enabled(report))
        return router.address_for(call.room_id)

    # ------------------------------------------------------------------ sending

    async def _send(
        self, call: Call[T], call_timeout: CallTimeout = DEFAULT, node: str | None = None
    ) -> T:
        client = self._client()
        address = node if node is not None else await self._address(call, call_timeout)
        url = self._base_url(address) + call.path
        request_timeout = self._settings.request_timeout(call_timeout)
        request = build_request(
            client, call, url, self._settings, self._owns_client, call_timeout, request_timeout
        )
        try:
            response = await client.send(request)
        except httpx.RequestError as exc:
            raise transport_error(exc, url, request_timeout) from exc
        return call.finish(response)

    @asynccontextmanager
    async def _stream(
        self, call: Call[bytes], call_timeout: CallTimeout, chunk_size: int | None
    ) -> AsyncIterator[AsyncIterator[bytes]]:
        client = self._client()
        url = self._base_url(await self._address(call, call_timeout)) + call.path
        request_timeout = self._settings.request_timeout(call_timeout)
        request = build_request(
            client, call, url, self._settings, self._owns_client, call_timeout, request_timeout
        )
        try:
            response = await client.send(request, stream=True)
        except httpx.RequestError as exc:
            raise transport_error(exc, url, request_timeout) from exc
        try:
            if not response.is_success:
                try:
                    await response.aread()
                except httpx.RequestError as exc:
                    raise transport_error(exc, url, request_timeout) from exc
                raise http_error(response, call.method, call.path)
            chunks = _Chunks(response.aiter_bytes(chunk_size), url, request_timeout)
            try:
                yield chunks
            finally:
                with anyio.CancelScope(shield=True):
                    await response.aclose()
                    await chunks.finish()
        finally:
            with anyio.CancelScope(shield=True):
                await response.aclose()

    async def _health(self, node: str | None, call_timeout: CallTimeout) -> HealthReport:
        if node is not None:
            check_address(node)
        return await self._send(_calls.get_health(), call_timeout, node=node)


class _Chunks:
    """Async iterator over a streamed body; transport failures become SDK errors."""

    def __init__(self, chunks: AsyncIterator[bytes], url: str, timeout: Timeout) -> None:
        self._chunks = chunks
        self._url = url
        self._timeout = timeout

    def __aiter__(self) -> _Chunks:
        return self

    async def __anext__(self) -> bytes:
        try:
            return await self._chunks.__anext__()
        except httpx.RequestError as exc:
            raise transport_error(exc, self._url, self._timeout) from exc

    async def finish(self) -> None:
        """Run httpx's generators to their end once the response is closed.

        A body left half-read would leave them suspended; trio warns when such
        generators are garbage-collected. On a closed response they end at once.
        """
        try:
            async for _ in self._chunks:
                pass
        except Exception:
            pass
