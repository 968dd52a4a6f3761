"""The few things the blocking REST client does differently from the async one.

See ``_async_io``: the blocking client is generated from the async one, and this module
stands in for ``_async_io`` there.

The total deadline of a call: httpx's timeouts are per network operation, so a server
that drips a byte just before every read timeout could keep a call alive forever, and
blocking code cannot be cancelled from outside. So:

* the SDK's own pool is an ``httpx.Client`` over a transport whose every connect, TLS
  handshake, read and write ends by the deadline of the call running in this thread
  (``_sync_transport``: httpx's transport contract over an ``httpcore`` pool);
* an ``httpx.Client`` the user passed in cannot be reached that way: its call runs in a
  helper thread while the caller waits until the deadline (see :func:`run_within`).

httpcore (which imports trio and anyio when they are installed) and httpx load when the
first call builds the pool, not when ``RoomApi`` is imported.
"""

from __future__ import annotations

import contextvars
import socket
import threading
import time
import typing
import weakref
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from contextvars import ContextVar
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    import httpx

    from jellyfish.api._base_api import Settings

T = TypeVar("T")

call_deadline: ContextVar[float | None] = ContextVar("jellyfish_rest_deadline", default=None)
"""The ``time.monotonic()`` by which the call running in this context must end, if any."""


call_hangup: ContextVar[Hangup | None] = ContextVar("jellyfish_rest_hangup", default=None)
"""The :class:`Hangup` that may end the connections of the calls running in this context."""


class _HasSocket(typing.Protocol):
    def get_extra_info(self, info: str) -> typing.Any: ...


class Hangup:
    """Lets another thread end the calls one thread makes on the SDK's own pool.

    A blocking read cannot be cancelled, but shutting its socket down from another thread
    ends it: every connection opened by a call inside :meth:`calls` is registered here, and
    :meth:`hang_up` shuts them all down (and every connection opened afterwards, at once).
    The call then fails as on a dropped connection (``ConnectionFailedError``). A connect
    still in progress ends at its timeout, then its connection is shut down. A connection
    stays registered until it is closed, whichever call reuses it: give the calls a pool of
    their own (an API object used only inside :meth:`calls`).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._streams: weakref.WeakSet[_HasSocket] = weakref.WeakSet()
        self._hung_up = False

    @contextmanager
    def calls(self) -> Iterator[None]:
        """Register the connections of the calls made inside this block."""
        token = call_hangup.set(self)
        try:
            yield
        finally:
            call_hangup.reset(token)

    def hang_up(self) -> None:
        """Shut down every registered connection, and any opened from now on."""
        with self._lock:
            self._hung_up = True
            for stream in list(self._streams):
                _shut_down(stream)

    def adopt(self, stream: _HasSocket) -> None:
        """Register a connection just opened (shut down at once after :meth:`hang_up`)."""
        with self._lock:
            if self._hung_up:
                _shut_down(stream)
            else:
                self._streams.add(stream)

    def release(self, stream: _HasSocket, close: Callable[[], None]) -> None:
        """Forget a connection and ``close`` it, never while :meth:`hang_up` shuts it down."""
        with self._lock:
            self._streams.discard(stream)
            close()


def _shut_down(stream: _HasSocket) -> None:
    sock = stream.get_extra_info("socket")
    if isinstance(sock, socket.socket):
        # socket.socket's own shutdown: an SSLSocket's would also drop its TLS state under
        # the read that this is meant to end
        with suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


def current_loop() -> object:
    """The blocking client needs no event loop (the same pool serves every thread)."""
    return None


def new_http_client(settings: Settings, owner: object) -> httpx.Client:
    """The pooled ``httpx.Client`` of one API object, closed when ``owner`` is collected.

    Built by the first call: this is when httpcore and httpx are imported.
    """
    from jellyfish.api._sync_transport import new_deadline_client

    return new_deadline_client(settings, owner)


# --------------------------------------------------------------------------------------
# Running one call within its deadline


def run_within(
    seconds: float | None, own_pool: bool, work: Callable[[], T], discard: Callable[[T], object]
) -> T:
    """``work()``, ended by ``seconds`` from now (None: no total limit).

    On the SDK's own pool every network operation of ``work`` ends by the deadline. On a
    user's ``httpx.Client`` nothing can interrupt ``work`` from outside, so it runs in a
    helper thread and the caller stops waiting at the deadline; the helper finishes on
    its own (within the client's per-operation timeouts) and hands what it got, if
    anything, to ``discard``.

    Raises:
        DeadlineExceeded: the time was up (a user's client only; on the SDK's own pool
            the operation in progress raises httpx's timeout error).
    """
    if seconds is None:
        return work()
    if own_pool:
        token = call_deadline.set(time.monotonic() + seconds)
        try:
            return work()
        finally:
            call_deadline.reset(token)
    return _in_helper_thread(seconds, work, discard)


class _Handoff(typing.Generic[T]):
    """What a helper thread hands back, unless its caller has gone."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.abandoned = False
        self.value: T | None = None
        self.error: BaseException | None = None


def _in_helper_thread(seconds: float, work: Callable[[], T], discard: Callable[[T], object]) -> T:
    handoff: _Handoff[T] = _Handoff()
    context = contextvars.copy_context()  # tracing and logging context, as in the caller

    def run() -> None:
        try:
            value = context.run(work)
        except BaseException as error:
            with handoff.lock:
                handoff.error = error
                handoff.done.set()
            return
        with handoff.lock:
            abandoned = handoff.abandoned
            if not abandoned:
                handoff.value = value
                handoff.done.set()
        if abandoned:
            discard(value)

    threading.Thread(target=run, name="jellyfish-rest-call", daemon=True).start()
    try:
        handoff.done.wait(seconds)
    finally:
        with handoff.lock:
            handoff.abandoned = not handoff.done.is_set()
    if handoff.abandoned:
        from jellyfish.api._http_types import DeadlineExceeded

        raise DeadlineExceeded(f"the call took longer than {seconds:g} s")
    if handoff.error is not None:
        raise handoff.error
    return typing.cast(T, handoff.value)


def shielded() -> AbstractContextManager[object]:
    """Blocking code cannot be cancelled from outside: nothing to shield."""
    return nullcontext()
