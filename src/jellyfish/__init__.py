"""Python server SDK for the Jellyfish media server.

Manage rooms, peers and components over the REST API and receive server
notifications over the server WebSocket or by webhook, from blocking code,
asyncio or trio.
"""

from jellyfish import errors, events
from jellyfish._version import __version__

# >>> REST API exports (owned by the REST facade work)
# isort: split
from jellyfish._openapi_client.models import (
    ComponentFile as ComponentFile,
)
from jellyfish._openapi_client.models import (
    ComponentHLS as ComponentHLS,
)
from jellyfish._openapi_client.models import (
    ComponentOptionsFile as ComponentOptionsFile,
)
from jellyfish._openapi_client.models import (
    ComponentOptionsHLS as ComponentOptionsHLS,
)
from jellyfish._openapi_client.models import (
    ComponentOptionsHLSSubscribeMode as ComponentOptionsHLSSubscribeMode,
)
from jellyfish._openapi_client.models import (
    ComponentOptionsRecording as ComponentOptionsRecording,
)
from jellyfish._openapi_client.models import (
    ComponentOptionsRecordingSubscribeMode as ComponentOptionsRecordingSubscribeMode,
)
from jellyfish._openapi_client.models import (
    ComponentOptionsRTSP as ComponentOptionsRTSP,
)
from jellyfish._openapi_client.models import (
    ComponentOptionsSIP as ComponentOptionsSIP,
)
from jellyfish._openapi_client.models import (
    ComponentOptionsSIPSIPCredentials as ComponentOptionsSIPSIPCredentials,
)
from jellyfish._openapi_client.models import (
    ComponentPropertiesFile as ComponentPropertiesFile,
)
from jellyfish._openapi_client.models import (
    ComponentPropertiesHLS as ComponentPropertiesHLS,
)
from jellyfish._openapi_client.models import (
    ComponentPropertiesHLSSubscribeMode as ComponentPropertiesHLSSubscribeMode,
)
from jellyfish._openapi_client.models import (
    ComponentPropertiesRecording as ComponentPropertiesRecording,
)
from jellyfish._openapi_client.models import (
    ComponentPropertiesRecordingSubscribeMode as ComponentPropertiesRecordingSubscribeMode,
)
from jellyfish._openapi_client.models import (
    ComponentPropertiesRTSP as ComponentPropertiesRTSP,
)
from jellyfish._openapi_client.models import (
    ComponentPropertiesSIP as ComponentPropertiesSIP,
)
from jellyfish._openapi_client.models import (
    ComponentPropertiesSIPSIPCredentials as ComponentPropertiesSIPSIPCredentials,
)
from jellyfish._openapi_client.models import (
    ComponentRecording as ComponentRecording,
)
from jellyfish._openapi_client.models import (
    ComponentRTSP as ComponentRTSP,
)
from jellyfish._openapi_client.models import (
    ComponentSIP as ComponentSIP,
)
from jellyfish._openapi_client.models import (
    HealthReport as HealthReport,
)
from jellyfish._openapi_client.models import (
    HealthReportDistribution as HealthReportDistribution,
)
from jellyfish._openapi_client.models import (
    HealthReportStatus as HealthReportStatus,
)
from jellyfish._openapi_client.models import (
    Peer as Peer,
)
from jellyfish._openapi_client.models import (
    PeerDetailsResponseData as PeerDetailsResponseData,
)
from jellyfish._openapi_client.models import (
    PeerOptionsWebRTC as PeerOptionsWebRTC,
)
from jellyfish._openapi_client.models import (
    PeerStatus as PeerStatus,
)
from jellyfish._openapi_client.models import (
    Room as Room,
)
from jellyfish._openapi_client.models import (
    RoomConfig as RoomConfig,
)
from jellyfish._openapi_client.models import (
    RoomConfigVideoCodec as RoomConfigVideoCodec,
)
from jellyfish._openapi_client.models import (
    S3Credentials as S3Credentials,
)
from jellyfish._openapi_client.models import (
    SIPCredentials as SIPCredentials,
)
from jellyfish._openapi_client.models import (
    Track as Track,
)
from jellyfish._openapi_client.models import (
    TrackType as TrackType,
)
from jellyfish.api import (
    AsyncRecordingApi as AsyncRecordingApi,
)
from jellyfish.api import (
    AsyncRoomApi as AsyncRoomApi,
)
from jellyfish.api import (
    Component as Component,
)
from jellyfish.api import (
    ComponentOptions as ComponentOptions,
)
from jellyfish.api import (
    PeerDetails as PeerDetails,
)
from jellyfish.api import (
    RecordingApi as RecordingApi,
)
from jellyfish.api import (
    RoomApi as RoomApi,
)

_REST_EXPORTS: list[str] = [
    "AsyncRecordingApi",
    "AsyncRoomApi",
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
    "ComponentOptionsSIPSIPCredentials",
    "ComponentPropertiesFile",
    "ComponentPropertiesHLS",
    "ComponentPropertiesHLSSubscribeMode",
    "ComponentPropertiesRTSP",
    "ComponentPropertiesRecording",
    "ComponentPropertiesRecordingSubscribeMode",
    "ComponentPropertiesSIP",
    "ComponentPropertiesSIPSIPCredentials",
    "ComponentRTSP",
    "ComponentRecording",
    "ComponentSIP",
    "HealthReport",
    "HealthReportDistribution",
    "HealthReportStatus",
    "Peer",
    "PeerDetails",
    "PeerDetailsResponseData",
    "PeerOptionsWebRTC",
    "PeerStatus",
    "RecordingApi",
    "Room",
    "RoomApi",
    "RoomConfig",
    "RoomConfigVideoCodec",
    "S3Credentials",
    "SIPCredentials",
    "Track",
    "TrackType",
]
# <<< REST API exports

# >>> notification exports (owned by the notifications work)
# isort: split
from jellyfish._notifications import (  # noqa: E402, F401 (re-exported via __all__)
    NO_RECONNECT,
    BlockingNotifier,
    Notifier,
    ReconnectPolicy,
    Subscription,
    Timeouts,
)
from jellyfish._notifications._webhooks import (  # noqa: E402, F401
    receive_binary,
    receive_json,
    receive_webhook,
)

_NOTIFICATION_EXPORTS: list[str] = [
    "NO_RECONNECT",
    "BlockingNotifier",
    "Notifier",
    "ReconnectPolicy",
    "Subscription",
    "Timeouts",
    "receive_binary",
    "receive_json",
    "receive_webhook",
]
# <<< notification exports

__all__ = ["__version__", "errors", "events", *_REST_EXPORTS, *_NOTIFICATION_EXPORTS]
