"""Contains all the data models used in inputs/outputs"""

from .add_component_body import AddComponentBody
from .add_peer_body import AddPeerBody
from .component_details_response import ComponentDetailsResponse
from .component_file import ComponentFile
from .component_hls import ComponentHLS
from .component_options_file import ComponentOptionsFile
from .component_options_hls import ComponentOptionsHLS
from .component_options_hls_subscribe_mode import ComponentOptionsHLSSubscribeMode
from .component_options_recording import ComponentOptionsRecording
from .component_options_recording_subscribe_mode import (
    ComponentOptionsRecordingSubscribeMode,
)
from .component_options_rtsp import ComponentOptionsRTSP
from .component_options_sip import ComponentOptionsSIP
from .component_options_sipsip_credentials import ComponentOptionsSIPSIPCredentials
from .component_properties_file import ComponentPropertiesFile
from .component_properties_hls import ComponentPropertiesHLS
from .component_properties_hls_subscribe_mode import ComponentPropertiesHLSSubscribeMode
from .component_properties_recording import ComponentPropertiesRecording
from .component_properties_recording_subscribe_mode import (
    ComponentPropertiesRecordingSubscribeMode,
)
from .component_properties_rtsp import ComponentPropertiesRTSP
from .component_properties_sip import ComponentPropertiesSIP
from .component_properties_sipsip_credentials import (
    ComponentPropertiesSIPSIPCredentials,
)
from .component_recording import ComponentRecording
from .component_rtsp import ComponentRTSP
from .component_sip import ComponentSIP
from .dial_config import DialConfig
from .error import Error
from .health_report import HealthReport
from .health_report_distribution import HealthReportDistribution
from .health_report_status import HealthReportStatus
from .healthcheck_response import HealthcheckResponse
from .peer import Peer
from .peer_details_response import PeerDetailsResponse
from .peer_details_response_data import PeerDetailsResponseData
from .peer_options_web_rtc import PeerOptionsWebRTC
from .peer_status import PeerStatus
from .recording_list_response import RecordingListResponse
from .room import Room
from .room_config import RoomConfig
from .room_config_video_codec import RoomConfigVideoCodec
from .room_create_details_response import RoomCreateDetailsResponse
from .room_create_details_response_data import RoomCreateDetailsResponseData
from .room_details_response import RoomDetailsResponse
from .rooms_listing_response import RoomsListingResponse
from .s3_credentials import S3Credentials
from .sip_credentials import SIPCredentials
from .subscription_config import SubscriptionConfig
from .track import Track
from .track_type import TrackType

__all__ = (
    "AddComponentBody",
    "AddPeerBody",
    "ComponentDetailsResponse",
    "ComponentFile",
    "ComponentHLS",
    "ComponentOptionsFile",
    "ComponentOptionsHLS",
    "ComponentOptionsHLSSubscribeMode",
    "ComponentOptionsRecording",
    "ComponentOptionsRecordingSubscribeMode",
    "ComponentOptionsRTSP",
    "ComponentOptionsSIP",
    "ComponentOptionsSIPSIPCredentials",
    "ComponentPropertiesFile",
    "ComponentPropertiesHLS",
    "ComponentPropertiesHLSSubscribeMode",
    "ComponentPropertiesRecording",
    "ComponentPropertiesRecordingSubscribeMode",
    "ComponentPropertiesRTSP",
    "ComponentPropertiesSIP",
    "ComponentPropertiesSIPSIPCredentials",
    "ComponentRecording",
    "ComponentRTSP",
    "ComponentSIP",
    "DialConfig",
    "Error",
    "HealthcheckResponse",
    "HealthReport",
    "HealthReportDistribution",
    "HealthReportStatus",
    "Peer",
    "PeerDetailsResponse",
    "PeerDetailsResponseData",
    "PeerOptionsWebRTC",
    "PeerStatus",
    "RecordingListResponse",
    "Room",
    "RoomConfig",
    "RoomConfigVideoCodec",
    "RoomCreateDetailsResponse",
    "RoomCreateDetailsResponseData",
    "RoomDetailsResponse",
    "RoomsListingResponse",
    "S3Credentials",
    "SIPCredentials",
    "SubscriptionConfig",
    "Track",
    "TrackType",
)
