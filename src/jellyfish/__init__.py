"""Python server SDK for the Jellyfish media server.

Manage rooms, peers and components over the REST API and receive server
notifications over the server WebSocket or by webhook, from blocking code,
asyncio or trio.
"""

from __future__ import annotations

from jellyfish._lazy import lazy_exports as _lazy_exports
from jellyfish._version import __version__

# Not typing.TYPE_CHECKING: importing typing would be most of this module's import time.
# Type checkers treat any variable of this name as True.
TYPE_CHECKING = False
if TYPE_CHECKING:  # type checkers and IDEs see every name; at run time they load on first use
    from jellyfish import _notifications as _notifications
    from jellyfish import _openapi_client as _openapi_client
    from jellyfish import api as api
    from jellyfish import errors, events
    from jellyfish._catch_up import ServerState
    from jellyfish._notifications import (
        NO_RECONNECT,
        BlockingNotifier,
        Notifier,
        ReconnectPolicy,
        Subscription,
        Timeouts,
        receive_binary,
        receive_json,
        receive_webhook,
    )
    from jellyfish._openapi_client.models import (
        ComponentFile,
        ComponentHLS,
        ComponentOptionsFile,
        ComponentOptionsHLS,
        ComponentOptionsHLSSubscribeMode,
        ComponentOptionsRecording,
        ComponentOptionsRecordingSubscribeMode,
        ComponentOptionsRTSP,
        ComponentOptionsSIP,
        ComponentPropertiesFile,
        ComponentPropertiesHLS,
        ComponentPropertiesHLSSubscribeMode,
        ComponentPropertiesRecording,
        ComponentPropertiesRecordingSubscribeMode,
        ComponentPropertiesRTSP,
        ComponentPropertiesSIP,
        ComponentPropertiesSIPSIPCredentials,
        ComponentRecording,
        ComponentRTSP,
        ComponentSIP,
        HealthReport,
        HealthReportStatus,
        Peer,
        PeerOptionsWebRTC,
        PeerStatus,
        Room,
        RoomConfig,
        RoomConfigVideoCodec,
        S3Credentials,
        SIPCredentials,
        Track,
        TrackType,
    )

    # ComponentPropertiesSIPCredentials: a clearer name for a generated one (which stays too:
    # 0.4.0 exported it). The other three are importable but kept out of `__all__`: generated
    # names 0.4.0 did not export, each with a clearer public equivalent (SIPCredentials,
    # HealthReport, PeerDetails).
    from jellyfish._openapi_client.models import (
        ComponentOptionsSIPSIPCredentials as ComponentOptionsSIPSIPCredentials,
    )
    from jellyfish._openapi_client.models import (
        ComponentPropertiesSIPSIPCredentials as ComponentPropertiesSIPCredentials,
    )
    from jellyfish._openapi_client.models import (
        HealthReportDistribution as HealthReportDistribution,
    )
    from jellyfish._openapi_client.models import (
        PeerDetailsResponseData as PeerDetailsResponseData,
    )
    from jellyfish._routing import Delivery, Router
    from jellyfish.api import (
        AsyncRecordingApi,
        AsyncRoomApi,
        Component,
        ComponentOptions,
        PeerDetails,
        RecordingApi,
        RoomApi,
    )

# Every public name -> the module that defines it (PEP 562: loaded on first access, so
# `import jellyfish` stays cheap and loads neither httpx nor a WebSocket library). The
# subpackages export lazily in turn, so a name loads only the modules it needs. A new export:
# a line here, the same import under TYPE_CHECKING above, and `__all__` if it is public
# (tests/cli/test_lazy_import.py checks that the three agree).
_LAZY_NAMES: dict[str, str] = {
    "BlockingNotifier": "jellyfish._notifications",
    "NO_RECONNECT": "jellyfish._notifications",
    "Notifier": "jellyfish._notifications",
    "ReconnectPolicy": "jellyfish._notifications",
    "Subscription": "jellyfish._notifications",
    "Timeouts": "jellyfish._notifications",
    "receive_binary": "jellyfish._notifications",
    "receive_json": "jellyfish._notifications",
    "receive_webhook": "jellyfish._notifications",
    "Delivery": "jellyfish._routing",
    "Router": "jellyfish._routing",
    "ServerState": "jellyfish._catch_up",
    "ComponentFile": "jellyfish._openapi_client.models",
    "ComponentHLS": "jellyfish._openapi_client.models",
    "ComponentOptionsFile": "jellyfish._openapi_client.models",
    "ComponentOptionsHLS": "jellyfish._openapi_client.models",
    "ComponentOptionsHLSSubscribeMode": "jellyfish._openapi_client.models",
    "ComponentOptionsRTSP": "jellyfish._openapi_client.models",
    "ComponentOptionsRecording": "jellyfish._openapi_client.models",
    "ComponentOptionsRecordingSubscribeMode": "jellyfish._openapi_client.models",
    "ComponentOptionsSIP": "jellyfish._openapi_client.models",
    "ComponentOptionsSIPSIPCredentials": "jellyfish._openapi_client.models",
    "ComponentPropertiesFile": "jellyfish._openapi_client.models",
    "ComponentPropertiesHLS": "jellyfish._openapi_client.models",
    "ComponentPropertiesHLSSubscribeMode": "jellyfish._openapi_client.models",
    "ComponentPropertiesRTSP": "jellyfish._openapi_client.models",
    "ComponentPropertiesRecording": "jellyfish._openapi_client.models",
    "ComponentPropertiesRecordingSubscribeMode": "jellyfish._openapi_client.models",
    "ComponentPropertiesSIP": "jellyfish._openapi_client.models",
    "ComponentPropertiesSIPSIPCredentials": "jellyfish._openapi_client.models",
    "ComponentRTSP": "jellyfish._openapi_client.models",
    "ComponentRecording": "jellyfish._openapi_client.models",
    "ComponentSIP": "jellyfish._openapi_client.models",
    "HealthReport": "jellyfish._openapi_client.models",
    "HealthReportDistribution": "jellyfish._openapi_client.models",
    "HealthReportStatus": "jellyfish._openapi_client.models",
    "Peer": "jellyfish._openapi_client.models",
    "PeerDetailsResponseData": "jellyfish._openapi_client.models",
    "PeerOptionsWebRTC": "jellyfish._openapi_client.models",
    "PeerStatus": "jellyfish._openapi_client.models",
    "Room": "jellyfish._openapi_client.models",
    "RoomConfig": "jellyfish._openapi_client.models",
    "RoomConfigVideoCodec": "jellyfish._openapi_client.models",
    "S3Credentials": "jellyfish._openapi_client.models",
    "SIPCredentials": "jellyfish._openapi_client.models",
    "Track": "jellyfish._openapi_client.models",
    "ComponentPropertiesSIPCredentials": (
        "jellyfish._openapi_client.models:ComponentPropertiesSIPSIPCredentials"
    ),
    "TrackType": "jellyfish._openapi_client.models",
    "AsyncRecordingApi": "jellyfish.api",
    "AsyncRoomApi": "jellyfish.api",
    "Component": "jellyfish.api",
    "ComponentOptions": "jellyfish.api",
    "PeerDetails": "jellyfish.api",
    "RecordingApi": "jellyfish.api",
    "RoomApi": "jellyfish.api",
    "errors": "jellyfish.errors",
    "events": "jellyfish.events",
    # Subpackages that the eager ``import jellyfish`` of earlier versions bound as a side
    # effect (``jellyfish.api.RoomApi`` worked after a bare ``import jellyfish``).
    "api": "jellyfish.api",
    "_notifications": "jellyfish._notifications",
    "_openapi_client": "jellyfish._openapi_client",
}

__all__ = [
    "NO_RECONNECT",
    "AsyncRecordingApi",
    "AsyncRoomApi",
    "BlockingNotifier",
    "Component",
    "ComponentFile",
    "ComponentHLS",
    "ComponentOptions",
    "ComponentOptionsFile",
    "ComponentOptionsHLS",
    "ComponentOptionsHLSSubscribeMode",
    "ComponentOptionsRTSP",
    "ComponentOptionsRecording",
    "ComponentOptionsRecordingSubscribeMode",
    "ComponentOptionsSIP",
    "ComponentPropertiesFile",
    "ComponentPropertiesHLS",
    "ComponentPropertiesHLSSubscribeMode",
    "ComponentPropertiesRTSP",
    "ComponentPropertiesRecording",
    "ComponentPropertiesRecordingSubscribeMode",
    "ComponentPropertiesSIP",
    "ComponentPropertiesSIPCredentials",
    "ComponentPropertiesSIPSIPCredentials",
    "ComponentRTSP",
    "ComponentRecording",
    "ComponentSIP",
    "Delivery",
    "HealthReport",
    "HealthReportStatus",
    "Notifier",
    "Peer",
    "PeerDetails",
    "PeerOptionsWebRTC",
    "PeerStatus",
    "ReconnectPolicy",
    "RecordingApi",
    "Room",
    "RoomApi",
    "RoomConfig",
    "RoomConfigVideoCodec",
    "Router",
    "S3Credentials",
    "SIPCredentials",
    "ServerState",
    "Subscription",
    "Timeouts",
    "Track",
    "TrackType",
    "__version__",
    "errors",
    "events",
    "receive_binary",
    "receive_json",
    "receive_webhook",
]

if not TYPE_CHECKING:  # hidden from type checkers, so that a misspelt name stays an error
    __getattr__, __dir__ = _lazy_exports(__name__, globals(), _LAZY_NAMES)

del TYPE_CHECKING
