"""The REST API's own names for the generated models: PeerDetails, Component, ComponentOptions.

Importing this module loads the models they name (and attrs): ``_calls`` imports it when a
call first needs it, so that importing ``RoomApi`` does not.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from jellyfish._openapi_client.models import (
    ComponentFile,
    ComponentHLS,
    ComponentOptionsFile,
    ComponentOptionsHLS,
    ComponentOptionsRecording,
    ComponentOptionsRTSP,
    ComponentOptionsSIP,
    ComponentRecording,
    ComponentRTSP,
    ComponentSIP,
    PeerDetailsResponseData,
)

ComponentOptions = (
    ComponentOptionsFile
    | ComponentOptionsHLS
    | ComponentOptionsRecording
    | ComponentOptionsRTSP
    | ComponentOptionsSIP
)
"""The options of any component type; the class decides the type of component added."""

Component = ComponentFile | ComponentHLS | ComponentRecording | ComponentRTSP | ComponentSIP
"""A component of any type, as the server describes it."""

COMPONENT_TYPES: dict[type[Any], str] = {
    ComponentOptionsFile: "file",
    ComponentOptionsHLS: "hls",
    ComponentOptionsRecording: "recording",
    ComponentOptionsRTSP: "rtsp",
    ComponentOptionsSIP: "sip",
}
"""The ``type`` of the component that each options class adds."""

COMPONENT_CLASSES: dict[str, type[Component]] = {
    "file": ComponentFile,
    "hls": ComponentHLS,
    "recording": ComponentRecording,
    "rtsp": ComponentRTSP,
    "sip": ComponentSIP,
}
"""The class of a component described by the server, by its ``type``."""


class PeerDetails(PeerDetailsResponseData):
    """What ``add_peer`` returns: ``.peer``, ``.token`` and ``.peer_websocket_url``.

    It is a ``PeerDetailsResponseData`` (what 0.4.0 returned) that can also be unpacked as
    ``token, peer = room_api.add_peer(...)``, as the 0.4.0 README shows. Attribute access
    is the typed way.
    """

    __slots__ = ()

    def __iter__(self) -> Iterator[Any]:
        """Yield ``token`` then ``peer``."""
        yield self.token
        yield self.peer
