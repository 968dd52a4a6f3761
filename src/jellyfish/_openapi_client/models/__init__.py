"""Contains all the data models used in inputs/outputs"""

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
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
    from .component_properties_hls_subscribe_mode import (
        ComponentPropertiesHLSSubscribeMode,
    )
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

_MODULES = {
    "AddComponentBody": "add_component_body",
    "AddPeerBody": "add_peer_body",
    "ComponentDetailsResponse": "component_details_response",
    "ComponentFile": "component_file",
    "ComponentHLS": "component_hls",
    "ComponentOptionsFile": "component_options_file",
    "ComponentOptionsHLS": "component_options_hls",
    "ComponentOptionsHLSSubscribeMode": "component_options_hls_subscribe_mode",
    "ComponentOptionsRecording": "component_options_recording",
    "ComponentOptionsRecordingSubscribeMode": "component_options_recording_subscribe_mode",
    "ComponentOptionsRTSP": "component_options_rtsp",
    "ComponentOptionsSIP": "component_options_sip",
    "ComponentOptionsSIPSIPCredentials": "component_options_sipsip_credentials",
    "ComponentPropertiesFile": "component_properties_file",
    "ComponentPropertiesHLS": "component_properties_hls",
    "ComponentPropertiesHLSSubscribeMode": "component_properties_hls_subscribe_mode",
    "ComponentPropertiesRecording": "component_properties_recording",
    "ComponentPropertiesRecordingSubscribeMode": "component_properties_recording_subscribe_mode",
    "ComponentPropertiesRTSP": "component_properties_rtsp",
    "ComponentPropertiesSIP": "component_properties_sip",
    "ComponentPropertiesSIPSIPCredentials": "component_properties_sipsip_credentials",
    "ComponentRecording": "component_recording",
    "ComponentRTSP": "component_rtsp",
    "ComponentSIP": "component_sip",
    "DialConfig": "dial_config",
    "Error": "error",
    "HealthReport": "health_report",
    "HealthReportDistribution": "health_report_distribution",
    "HealthReportStatus": "health_report_status",
    "HealthcheckResponse": "healthcheck_response",
    "Peer": "peer",
    "PeerDetailsResponse": "peer_details_response",
    "PeerDetailsResponseData": "peer_details_response_data",
    "PeerOptionsWebRTC": "peer_options_web_rtc",
    "PeerStatus": "peer_status",
    "RecordingListResponse": "recording_list_response",
    "Room": "room",
    "RoomConfig": "room_config",
    "RoomConfigVideoCodec": "room_config_video_codec",
    "RoomCreateDetailsResponse": "room_create_details_response",
    "RoomCreateDetailsResponseData": "room_create_details_response_data",
    "RoomDetailsResponse": "room_details_response",
    "RoomsListingResponse": "rooms_listing_response",
    "S3Credentials": "s3_credentials",
    "SIPCredentials": "sip_credentials",
    "SubscriptionConfig": "subscription_config",
    "Track": "track",
    "TrackType": "track_type",
}

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


# Each model loads with its own module on first use (PEP 562): importing one model, or the
# REST classes that use some of them, does not build every attrs class of the package.
if not TYPE_CHECKING:  # type checkers see the imports above instead

    def __getattr__(name: str) -> object:
        module = _MODULES.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{module}", __name__), name)
        globals()[name] = value  # later accesses skip __getattr__
        return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_MODULES})
