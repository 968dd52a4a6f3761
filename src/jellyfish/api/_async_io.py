"""The few things the async REST client does differently from the blocking one (anyio).

The REST clients are written once, as async code (``_async_client.py``,
``_async_room_api.py``, ``_async_recording_api.py``); ``codegen/unasync_rest.py`` generates
the blocking modules from them and maps this module to ``_sync_io``. What cannot be a
mechanical async-to-blocking rewrite lives here and there, side by side, as httpcore keeps
its ``_synchronization`` module.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, TypeVar

import anyio
import anyio.lowlevel

if TYPE_CHECKING:
    import httpx

    from jellyfish.api._base_api import Settings

T = TypeVar("T")


def current_loop() -> object:
    """An identity for the running event loop (asyncio loop or trio token).

    A pooled ``httpx.AsyncClient`` belongs to the loop it was first used in.
    """
    current_token = getattr(anyio.lowlevel, "current_token", None)
    if current_token is None:  # anyio < 4.11: cannot tell loops apart
        return None
    return current_token().native_token


def new_http_client(settings: Settings, owner: object) -> httpx.AsyncClient:
    """The pooled ``httpx.AsyncClient`` of one API object.

    Not finalized with ``owner``: an async pool can only be closed from its event loop.
    Built by the first call: this is when httpx (and httpcore) are imported.
    """
    import httpx

    return httpx.AsyncClient(
        timeout=settings.timeout,
        verify=settings.verify,
        headers=settings.auth_headers,
        follow_redirects=False,
    )


async def run_within(
    seconds: float | None,
    own_pool: bool,
    work: Callable[[], Awaitable[T]],
    discard: Callable[[T], object],
) -> T:
    """``await work()``, cancelled if it takes longer than ``seconds`` (None: no limit).

    anyio's cancel scope ends the call at its deadline whoever built the
    ``httpx.AsyncClient`` (``own_pool`` and ``discard`` matter to the blocking twin only).

    Raises:
        DeadlineExceeded: the time was up; whatever was in progress was cancelled.
    """
    if seconds is None:
        return await work()
    with anyio.move_on_after(seconds):
        return await work()
    from jellyfish.api._http_types import DeadlineExceeded

    raise DeadlineExceeded(f"the call took longer than {seconds:g} s")


def shielded() -> AbstractContextManager[object]:
    """A scope whose awaits (closing a response) are not cancelled from outside."""
    return anyio.CancelScope(shield=True)
