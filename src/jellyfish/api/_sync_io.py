"""The few things the blocking REST client does differently from the async one.

See ``_async_io``: the blocking client is generated from the async one, and this module
stands in for ``_async_io`` there.

The total deadline of a call: httpx's timeouts are per network operation, so a server
that drips a byte just before every read timeout could keep a call alive forever. The
SDK's own pool therefore gets a network backend whose every connect, TLS handshake, read
and write waits at most until the deadline of the call running in this thread.
"""

from __future__ import annotations

import ssl
import time
import typing
import weakref
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar

import httpcore
import httpx

from jellyfish.api._base_api import Settings

_deadline: ContextVar[float | None] = ContextVar("jellyfish_rest_deadline", default=None)


def current_loop() -> object:
    """The blocking client needs no event loop (the same pool serves every thread)."""
    return None


def _until_deadline(
    timeout: float | None, expired: type[httpcore.TimeoutException]
) -> float | None:
    """``timeout`` shortened to what is left of this thread's call deadline."""
    deadline = _deadline.get()
    if deadline is None:
        return timeout
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise expired("the call's deadline has passed")
    return remaining if timeout is None else min(timeout, remaining)


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose operations end at the running call's deadline."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _until_deadline(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _until_deadline(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

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


def new_http_client(settings: Settings, owner: object) -> httpx.Client:
    """The pooled ``httpx.Client`` of one API object, closed when ``owner`` is collected.

    0.4.0 code never closes its ``RoomApi`` (0.4.0 had no ``close()``); when such an
    object is garbage-collected, its pool is closed instead of leaking sockets.
    """
    client = httpx.Client(
        timeout=settings.timeout,
        verify=settings.verify,
        headers=settings.auth_headers,
        follow_redirects=False,
    )
    # httpx builds one pool per transport: the direct one and one per proxy taken from the
    # environment (HTTP_PROXY, ...). Each gets the deadline (httpx offers no public hook).
    for transport in [client._transport, *client._mounts.values()]:
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if isinstance(backend, httpcore.NetworkBackend):
            pool._network_backend = _DeadlineBackend(backend)  # type: ignore[union-attr]
    weakref.finalize(owner, client.close)
    return client


@contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    """Make every network operation of this thread end by ``seconds`` from now.

    Only the SDK's own pool (:func:`new_http_client`) observes it; an injected
    ``httpx.Client`` applies its timeouts per operation.
    """
    if seconds is None:
        yield
        return
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def shielded() -> AbstractContextManager[object]:
    """Blocking code cannot be cancelled from outside: nothing to shield."""
    return nullcontext()
