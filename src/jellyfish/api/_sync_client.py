# GENERATED from _async_client.py by codegen/unasync_rest.py (nox -s unasync); do not edit.
"""The transport of the API objects: one pooled httpx client, deadlines, routing.

Written once, as async code: ``codegen/unasync_rest.py`` (``nox -s unasync``) generates the
blocking module from the async one. What the two cannot share lives in the ``*_io`` modules.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import TYPE_CHECKING, TypeVar

from jellyfish._settings import Secret, resolve_settings
from jellyfish.api import _calls
from jellyfish.api import _sync_io as _io
from jellyfish.api._base_api import (
    DEFAULT,
    DEFAULT_MAX_RESPONSE_SIZE,
    DEFAULT_TIMEOUT_SECONDS,
    Call,
    ClusterRouting,
    Router,
    Settings,
    build_request,
    deadline_seconds,
    declared_too_large,
    distribution_enabled,
    http_error,
    ssl_verify,
    transport_error,
)
from jellyfish.errors import HTTPError

if TYPE_CHECKING:
    # httpx (and httpcore, which loads trio and anyio) is imported by the first call,
    # as httpx imports httpcore only when it builds a transport.
    import httpx

    from jellyfish._openapi_client.models import HealthReport
    from jellyfish.api._http_types import CallTimeout, Timeout, VerifyTypes

T = TypeVar("T")
Self = TypeVar("Self", bound="SyncClient")


class SyncClient:
    """Connection handling of the blocking API objects (one pooled ``httpx.Client``).

    The pool is created by the first call and shared by every thread.
    """

    def __init__(
        self,
        server_address: str | None = None,
        server_api_token: str | None = None,
        secure: bool | None = None,
        *,
        timeout: Timeout = DEFAULT_TIMEOUT_SECONDS,
        verify: VerifyTypes = True,
        http_client: httpx.Client | None = None,
        cluster_routing: ClusterRouting = "auto",
        max_response_size: int | None = DEFAULT_MAX_RESPONSE_SIZE,
    ) -> None:
        """Connect to the Jellyfish at ``server_address``.

        Args:
            server_address: ``host:port`` of the Jellyfish, or a URL without a path:
                ``http://host:port`` or ``https://host:port`` (``ws://``/``wss://`` too),
                whose scheme sets ``secure``. Default: the ``JELLYFISH_ADDRESS``
                environment variable, else ``"localhost:5002"``.
            server_api_token: the server API token (``JF_SERVER_API_TOKEN``): printable
                ASCII without spaces. Default: ``JELLYFISH_TOKEN``, else ``"development"``.
            secure: ``True`` for https, ``False`` for http. Default: the address's scheme,
                else ``JELLYFISH_SECURE`` (``true``/``false``), else ``False``.
            timeout: seconds each call may take in total (default 10), ``None`` for no
                limit, or an ``httpx.Timeout`` to limit each network operation instead.
                Any call can override it with ``timeout=``.
            verify: TLS certificate verification: ``True`` (httpx's certifi CAs), ``False``,
                a CA bundle path, or an ``ssl.SSLContext``.
            http_client: an ``httpx.Client`` to send requests with. It is used as given
                (its timeout is overridden per call) and is **not** closed by
                :meth:`close`; ``verify`` does not apply to it.
            cluster_routing: ``"auto"`` (default) routes room calls to the room's node when
                the server reports a cluster; ``True`` always, ``False`` never. Calls that
                are not about a room (recordings, health) always go to ``server_address``.
            max_response_size: the largest answer body a call reads, in bytes (default
                32 MiB), or ``None`` for no limit. A larger answer is refused (a
                ``DecodeError``) without being read; ``stream_*`` downloads have no limit.

        Raises:
            ValueError: an argument (or a ``JELLYFISH_*`` variable) that cannot be right;
                the message says what is wrong and never shows the token.
        """
        token = Secret.of(server_api_token)
        del server_api_token  # crash reporters record locals: only the hidden wrapper from here
        if http_client is not None:
            import httpx

            if not isinstance(http_client, httpx.Client):
                raise ValueError(
                    f"http_client must be an httpx.Client, got {type(http_client).__name__}"
                )
        connection = resolve_settings(server_address, token, secure)
        self._settings = Settings(
            connection, timeout, ssl_verify(verify), cluster_routing, max_response_size
        )
        self._router = Router(connection.server_address, cluster_routing)
        self._http_client = http_client
        self._owns_client = http_client is None
        self._loop: object = None
        self._closed = False
        self._lock = threading.Lock()
        self._base_urls: dict[str, str] = {}

    # ------------------------------------------------------------------ lifecycle

    def __repr__(self) -> str:
        settings = getattr(self, "_settings", None)
        if settings is None:  # a constructor that failed (a crash report's locals)
            return f"{type(self).__name__}(<not constructed>)"
        return (
            f"{type(self).__name__}(server_address={settings.server_address!r}, "
            f"secure={settings.secure!r}, timeout={settings.timeout!r}, "
            f"state={'closed' if self._closed else 'open'!r})"
        )

    @property
    def server_address(self) -> str:
        """The ``host:port`` of the node this object talks to by default."""
        return self._settings.server_address

    @property
    def timeout(self) -> Timeout:
        """The timeout of every call that does not pass its own ``timeout=``."""
        return self._settings.timeout

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` has been called (a closed object refuses calls)."""
        return self._closed

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
        if self._closed:
            raise RuntimeError(f"this {type(self).__name__} is closed")
        client = self._http_client
        if client is not None and (not self._owns_client or self._loop is _io.current_loop()):
            return client
        with self._lock:
            if self._closed:
                raise RuntimeError(f"this {type(self).__name__} is closed")
            loop = _io.current_loop()
            if self._http_client is None or loop is not self._loop:
                # First call, or a new event loop: the old pool's connections belong to
                # a loop that is gone, so they cannot be reused (nor closed) from here.
                self._http_client = _io.new_http_client(self._settings, self)
                self._loop = loop
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

    def _open(
        self, call: Call[T], timeout: CallTimeout, node: str | None, read_body: bool
    ) -> tuple[httpx.Response, bytes]:
        """Send ``call``; return its 2xx answer and body, within the call's deadline.

        With ``read_body`` the whole body is read (under the deadline and
        ``max_response_size`` too); otherwise only an error status's body is, and the
        caller reads and closes the rest.
        """
        import httpx  # the first call loads it; the others find it in sys.modules

        client = self._client()
        address = node if node is not None else self._address(call, timeout)
        url = self._base_url(address) + call.path
        request_timeout = self._settings.request_timeout(timeout)
        request = build_request(client, call, url, self._settings, self._owns_client, timeout)
        limit = self._settings.max_response_size

        def exchange() -> tuple[httpx.Response, bytes | None]:
            response = client.send(request, stream=True)
            if not read_body and response.is_success:
                return response, b""
            try:
                body = _read_limited(response, limit)
            except httpx.RequestError as exc:
                with _io.shielded():
                    response.close()
                unreadable = call.unreadable(response, exc)
                if unreadable is not None:
                    raise unreadable from exc
                raise
            except BaseException:
                with _io.shielded():
                    response.close()
                raise
            response.close()
            return response, body

        try:
            response, body = _io.run_within(
                deadline_seconds(request_timeout), self._owns_client, exchange, _discard
            )
        except httpx.RequestError as exc:
            raise transport_error(exc, url, request_timeout) from exc
        if body is None:
            raise call.too_large(response, limit or 0)
        if not response.is_success:
            raise http_error(response, body, call.method, call.path)
        return response, body

    def _send(self, call: Call[T], timeout: CallTimeout = DEFAULT, node: str | None = None) -> T:
        response, body = self._open(call, timeout, node, read_body=True)
        return call.finish(response, body)

    @contextmanager
    def _stream(
        self, call: Call[bytes], timeout: CallTimeout, chunk_size: int | None
    ) -> Iterator[Iterator[bytes]]:
        response, _ = self._open(call, timeout, None, read_body=False)
        request_timeout = self._settings.request_timeout(timeout)
        chunks = _Chunks(response.iter_bytes(chunk_size), str(response.url), request_timeout)
        try:
            yield chunks
        finally:
            with _io.shielded():
                response.close()
                _run_out(chunks)

    def _health(self, node: str | None, timeout: CallTimeout) -> HealthReport:
        if node is not None:
            node = self._settings.node_address(node, "node")
        return self._send(_calls.get_health(), timeout, node=node)


def _read_limited(response: httpx.Response, limit: int | None) -> bytes | None:
    """The whole (decoded) body; None as soon as it is known to be over ``limit``.

    A ``Content-Length`` over the limit is refused before any of the body is read;
    otherwise reading stops at the first chunk past the limit.
    """
    if limit is None:
        return response.read()
    if declared_too_large(response, limit):
        return None
    parts: list[bytes] = []
    size = 0
    chunks = response.iter_bytes()
    for part in chunks:
        size += len(part)
        if size > limit:
            response.close()
            _run_out(chunks)
            return None
        parts.append(part)
    return b"".join(parts)


def _run_out(chunks: Iterator[bytes]) -> None:
    """Run httpx's generators to their end once the response is closed.

    A body left half-read would leave them suspended; trio warns when such generators
    are garbage-collected. On a closed response they end at once.
    """
    try:
        for _ in chunks:
            pass
    except Exception:
        pass


def _discard(answer: tuple[httpx.Response, bytes | None]) -> None:
    """Release an answer that arrived after its call gave up (see ``_io.run_within``)."""
    answer[0].close()


class _Chunks:
    """Iterator over a streamed body; transport failures become SDK errors."""

    def __init__(self, chunks: Iterator[bytes], url: str, timeout: Timeout) -> None:
        self._chunks = chunks
        self._url = url
        self._timeout = timeout

    def __iter__(self) -> _Chunks:
        return self

    def __next__(self) -> bytes:
        import httpx

        try:
            return self._chunks.__next__()
        except httpx.RequestError as exc:
            raise transport_error(exc, self._url, self._timeout) from exc
