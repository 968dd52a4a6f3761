"""The Jellyfish REST API: blocking and async (asyncio and trio) clients.

Blocking: :class:`RoomApi`, :class:`RecordingApi`. Async: :class:`AsyncRoomApi`,
:class:`AsyncRecordingApi`.

The blocking and async classes have the same methods, arguments and return types; the
async ones are awaited. Errors are in :mod:`jellyfish.errors`. See ``docs/rest.md``.
"""

from jellyfish.api._async_recording_api import AsyncRecordingApi
from jellyfish.api._async_room_api import AsyncRoomApi
from jellyfish.api._base_api import (
    DEFAULT,
    DEFAULT_TIMEOUT_SECONDS,
    USER_AGENT,
    CallTimeout,
    ClusterRouting,
    Timeout,
    VerifyTypes,
)
from jellyfish.api._calls import Component, ComponentOptions, PeerDetails
from jellyfish.api._recording_api import RecordingApi
from jellyfish.api._room_api import RoomApi

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
