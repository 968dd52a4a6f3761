"""Python server SDK for the Jellyfish media server.

Manage rooms, peers and components over the REST API and receive server
notifications over the server WebSocket or by webhook, from blocking code,
asyncio or trio.
"""

from jellyfish import errors, events
from jellyfish._notifications import (
    NO_RECONNECT,
    BlockingNotifier,
    Notifier,
    ReconnectPolicy,
    Subscription,
    Timeouts,
)
from jellyfish._notifications._webhooks import receive_binary, receive_json, receive_webhook
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

# Importable (code may use them) but kept out of `__all__`: generated names 0.4.0 did not
# export, each with a clearer public equivalent (SIPCredentials, HealthReport, PeerDetails).
from jellyfish._openapi_client.models import (
    ComponentOptionsSIPSIPCredentials as ComponentOptionsSIPSIPCredentials,
)
from jellyfish._openapi_client.models import (
    HealthReportDistribution as HealthReportDistribution,
)
from jellyfish._openapi_client.models import (
    PeerDetailsResponseData as PeerDetailsResponseData,
)
from jellyfish._version import __version__
from jellyfish.api import (
    AsyncRecordingApi,
    AsyncRoomApi,
    Component,
    ComponentOptions,
    PeerDetails,
    RecordingApi,
    RoomApi,
)

# A clearer name for the generated ComponentPropertiesSIPSIPCredentials (kept: 0.4.0 exported it).
ComponentPropertiesSIPCredentials = ComponentPropertiesSIPSIPCredentials

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
    "S3Credentials",
    "SIPCredentials",
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
