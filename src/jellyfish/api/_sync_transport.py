"""The SDK's own pool for the blocking client: every network operation ends by the call's deadline.

httpx's timeouts are per network operation and blocking code cannot be cancelled from
outside, so the pool of ``RoomApi``/``RecordingApi`` is an ``httpx.Client`` over
:class:`DeadlineTransport`: httpx's transport contract implemented over an ``httpcore``
pool whose network backend makes every connect, TLS handshake, read and write end by the
deadline that ``_sync_io.run_within`` set for the call running in this thread (public
extension points of both libraries: ``httpx.BaseTransport``, ``httpcore.NetworkBackend``).

Imported by the first call (``_sync_io.new_http_client``), with httpcore.
"""

from __future__ import annotations

import ipaddress
import ssl
import time
import typing
import urllib.request
import weakref
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Final

import httpcore
import httpx

from jellyfish.api._base_api import Settings
from jellyfish.api._sync_io import call_deadline, call_hangup

MAX_CONNECTIONS: Final = 100
MAX_KEEPALIVE_CONNECTIONS: Final = 20
KEEPALIVE_EXPIRY: Final = 5.0
"""The pool limits of a default ``httpx.Client``, kept for the SDK's own pool."""


def _until_deadline(
    timeout: float | None, expired: type[httpcore.TimeoutException]
) -> float | None:
    """``timeout`` shortened to what is left of this thread's call deadline."""
    deadline = call_deadline.get()
    if deadline is None:
        return timeout
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise expired("the call's deadline has passed")
    return remaining if timeout is None else min(timeout, remaining)


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose operations end at the running call's deadline.

    Opened inside ``Hangup.calls()``, it is registered with that hangup until closed.
    """

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream
        self._hangup = call_hangup.get()
        if self._hangup is not None:
            self._hangup.adopt(self)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _until_deadline(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _until_deadline(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        if self._hangup is None:
            self._stream.close()
        else:
            self._hangup.release(self, self._stream.close)

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _until_deadline(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> typing.Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's network backend, with every connection a :class:`_DeadlineStream`."""

    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        self._backend = backend

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _until_deadline(timeout, httpcore.ConnectTimeout)
        stream = self._backend.connect_tcp(host, port, timeout, local_address, socket_options)
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _until_deadline(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._backend.connect_unix_socket(path, timeout, socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


# httpcore's exceptions and httpx's, most specific first (httpx raises its own).
_EXCEPTIONS: Final[tuple[tuple[type[Exception], type[httpx.TransportError]], ...]] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.ProxyError, httpx.ProxyError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
)


@contextmanager
def _as_httpx_errors() -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        for core_error, httpx_error in _EXCEPTIONS:
            if isinstance(exc, core_error):
                raise httpx_error(str(exc)) from exc
        raise


class _Body(httpx.SyncByteStream):
    """An httpcore response body as httpx reads it."""

    def __init__(self, stream: Iterable[bytes]) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[bytes]:
        with _as_httpx_errors():
            yield from self._stream

    def close(self) -> None:
        close = getattr(self._stream, "close", None)
        if close is not None:
            close()


PoolTypes = httpcore.ConnectionPool | httpcore.HTTPProxy | httpcore.SOCKSProxy


class DeadlineTransport(httpx.BaseTransport):
    """httpx's transport contract over an httpcore pool (see the module docstring)."""

    def __init__(self, pool: PoolTypes) -> None:
        self._pool = pool

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not isinstance(request.stream, httpx.SyncByteStream):
            raise TypeError("the blocking transport needs a synchronous request body")
        url = request.url
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _as_httpx_errors():
            core_response = self._pool.handle_request(core_request)
        body = core_response.stream
        if not isinstance(body, Iterable):
            raise TypeError("httpcore answered with an asynchronous body")
        return httpx.Response(
            status_code=core_response.status,
            headers=core_response.headers,
            stream=_Body(body),
            extensions=core_response.extensions,
        )

    def close(self) -> None:
        self._pool.close()


def _pool(
    ssl_context: ssl.SSLContext, backend: httpcore.NetworkBackend, proxy: httpx.Proxy | None
) -> PoolTypes:
    limits: dict[str, typing.Any] = {
        "max_connections": MAX_CONNECTIONS,
        "max_keepalive_connections": MAX_KEEPALIVE_CONNECTIONS,
        "keepalive_expiry": KEEPALIVE_EXPIRY,
        "network_backend": backend,
    }
    if proxy is None:
        return httpcore.ConnectionPool(ssl_context=ssl_context, **limits)
    proxy_url = httpcore.URL(
        scheme=proxy.url.raw_scheme,
        host=proxy.url.raw_host,
        port=proxy.url.port,
        target=proxy.url.raw_path,
    )
    if proxy.url.scheme in ("socks5", "socks5h"):
        return httpcore.SOCKSProxy(
            proxy_url=proxy_url, proxy_auth=proxy.raw_auth, ssl_context=ssl_context, **limits
        )
    return httpcore.HTTPProxy(
        proxy_url=proxy_url,
        proxy_auth=proxy.raw_auth,
        proxy_headers=proxy.headers.raw,
        ssl_context=ssl_context,
        proxy_ssl_context=proxy.ssl_context,
        **limits,
    )


def _no_proxy_pattern(host: str) -> str:
    """The httpx mount pattern of one ``NO_PROXY`` entry (curl's rules, as httpx reads them)."""
    if "://" in host:
        return host
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return f"all://{host}" if host.lower() == "localhost" else f"all://*{host}"
    return f"all://[{host}]" if address.version == 6 else f"all://{host}"


def _environment_mounts(
    ssl_context: ssl.SSLContext, backend: httpcore.NetworkBackend
) -> dict[str, httpx.BaseTransport | None]:
    """The proxies of ``HTTP_PROXY``, ``HTTPS_PROXY``, ``ALL_PROXY`` and ``NO_PROXY``.

    What httpx does for a client without its own transport, so the SDK's pool goes
    through the same proxies as a plain ``httpx.Client`` would (each with the deadline).
    """
    proxies = urllib.request.getproxies()
    mounts: dict[str, httpx.BaseTransport | None] = {}
    for scheme in ("http", "https", "all"):
        if proxies.get(scheme):
            url = proxies[scheme] if "://" in proxies[scheme] else f"http://{proxies[scheme]}"
            pool = _pool(ssl_context, backend, httpx.Proxy(url))
            mounts[f"{scheme}://"] = DeadlineTransport(pool)
    if not mounts:
        return mounts
    for host in (entry.strip() for entry in proxies.get("no", "").split(",")):
        if host == "*":
            return {}
        if host:
            mounts[_no_proxy_pattern(host)] = None
    return mounts


def new_deadline_client(settings: Settings, owner: object) -> httpx.Client:
    """The pooled ``httpx.Client`` of one API object, closed when ``owner`` is collected.

    0.4.0 code never closes its ``RoomApi`` (0.4.0 had no ``close()``); when such an
    object is garbage-collected, its pool is closed instead of leaking sockets.
    """
    ssl_context = httpx.create_ssl_context(verify=settings.verify)
    backend = _DeadlineBackend(httpcore.SyncBackend())
    client = httpx.Client(
        timeout=settings.timeout,
        headers=settings.auth_headers,
        follow_redirects=False,
        transport=DeadlineTransport(_pool(ssl_context, backend, None)),
        mounts=_environment_mounts(ssl_context, backend),
    )
    weakref.finalize(owner, client.close)
    return client
