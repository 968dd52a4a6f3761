"""The Jellyfish REST API: blocking and async (asyncio and trio) clients.

Blocking: :class:`RoomApi`, :class:`RecordingApi`. Async: :class:`AsyncRoomApi`,
:class:`AsyncRecordingApi`.

The blocking and async classes have the same methods, arguments and return types; the
async ones are awaited. Errors are in :mod:`jellyfish.errors`. See ``docs/rest.md``.
"""

from typing import TYPE_CHECKING

from jellyfish._lazy import lazy_exports

if TYPE_CHECKING:
    from jellyfish.api._async_recording_api import AsyncRecordingApi
    from jellyfish.api._async_room_api import AsyncRoomApi
    from jellyfish.api._base_api import (
        DEFAULT,
        DEFAULT_TIMEOUT_SECONDS,
        USER_AGENT,
        ClusterRouting,
    )
    from jellyfish.api._http_types import CallTimeout, Timeout, VerifyTypes
    from jellyfish.api._model_types import Component, ComponentOptions, PeerDetails
    from jellyfish.api._recording_api import RecordingApi
    from jellyfish.api._room_api import RoomApi

# Each name loads its own module on first use: the blocking API never loads the async one
# (nor anyio through it), and the other way round. The timeout and TLS aliases name httpx's
# and ssl's types, and the model aliases name the generated models: both live apart from the
# API classes, which load httpx and the models they use with the first call.
_LAZY_NAMES = {
    "AsyncRecordingApi": "jellyfish.api._async_recording_api",
    "AsyncRoomApi": "jellyfish.api._async_room_api",
    "CallTimeout": "jellyfish.api._http_types",
    "ClusterRouting": "jellyfish.api._base_api",
    "Component": "jellyfish.api._model_types",
    "ComponentOptions": "jellyfish.api._model_types",
    "DEFAULT": "jellyfish.api._base_api",
    "DEFAULT_TIMEOUT_SECONDS": "jellyfish.api._base_api",
    "PeerDetails": "jellyfish.api._model_types",
    "RecordingApi": "jellyfish.api._recording_api",
    "RoomApi": "jellyfish.api._room_api",
    "Timeout": "jellyfish.api._http_types",
    "USER_AGENT": "jellyfish.api._base_api",
    "VerifyTypes": "jellyfish.api._http_types",
}

__all__ = [
    "DEFAULT",
    "DEFAULT_TIMEOUT_SECONDS",
    "USER_AGENT",
    "AsyncRecordingApi",
    "AsyncRoomApi",
    "CallTimeout",
    "ClusterRouting",
    "Component",
    "ComponentOptions",
    "PeerDetails",
    "RecordingApi",
    "RoomApi",
    "Timeout",
    "VerifyTypes",
]

if not TYPE_CHECKING:  # hidden from type checkers, so that a misspelt name stays an error
    __getattr__, __dir__ = lazy_exports(__name__, globals(), _LAZY_NAMES)
