from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Mapping as _Mapping, Optional as _Optional, Union as _Union
from typing import Any as _Any, Literal as _Literal

DESCRIPTOR: _descriptor.FileDescriptor

class ServerMessage(_message.Message):
    __slots__ = ("room_crashed", "peer_connected", "peer_disconnected", "peer_crashed", "component_crashed", "authenticated", "auth_request", "subscribe_request", "subscribe_response", "room_created", "room_deleted", "metrics_report", "hls_playable", "hls_uploaded", "hls_upload_crashed", "peer_metadata_updated", "track_added", "track_removed", "track_metadata_updated", "peer_added", "peer_deleted")
    class EventType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        EVENT_TYPE_UNSPECIFIED: _ClassVar[ServerMessage.EventType]
        EVENT_TYPE_SERVER_NOTIFICATION: _ClassVar[ServerMessage.EventType]
        EVENT_TYPE_METRICS: _ClassVar[ServerMessage.EventType]
    EVENT_TYPE_UNSPECIFIED: ServerMessage.EventType
    EVENT_TYPE_SERVER_NOTIFICATION: ServerMessage.EventType
    EVENT_TYPE_METRICS: ServerMessage.EventType
    class TrackType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        TRACK_TYPE_UNSPECIFIED: _ClassVar[ServerMessage.TrackType]
        TRACK_TYPE_VIDEO: _ClassVar[ServerMessage.TrackType]
        TRACK_TYPE_AUDIO: _ClassVar[ServerMessage.TrackType]
    TRACK_TYPE_UNSPECIFIED: ServerMessage.TrackType
    TRACK_TYPE_VIDEO: ServerMessage.TrackType
    TRACK_TYPE_AUDIO: ServerMessage.TrackType
    class RoomCrashed(_message.Message):
        __slots__ = ("room_id",)
        ROOM_ID_FIELD_NUMBER: _ClassVar[int]
        room_id: str
        def __init__(self, room_id: _Optional[str] = ...) -> None: ...
        def to_dict(self, casing: _Literal["camel", "snake"] = ..., include_default_values: bool = ...) -> dict[str, _Any]: ...
    class PeerAdded(_message.Message):
        __slots__ = ("room_id", "peer_id")
        ROOM_ID_FIELD_NUMBER: _ClassVar[int]
        PEER_ID_FIELD_NUMBER: _ClassVar[int]
        room_id: str
        peer_id: str
        def __init__(self, room_id: _Optional[str] = ..., peer_id: _Optional[str] = ...) -> None: ...
        def to_dict(self, casing: _Literal["camel", "snake"] = ..., include_default_values: bool = ...) -> dict[str, _Any]: ...
    class PeerDeleted(_message.Message):
        __slots__ = ("room_id", "peer_id")
        ROOM_ID_FIELD_NUMBER: _ClassVar[int]
        PEER_ID_FIELD_NUMBER: _ClassVar[int]
        room_id: str
        peer_id: str
        def __init__(self, room_id: _Optional[str] = ..., peer_id: _Optional[str] = ...) -> None: ...
        def to_dict(self, casing: _Literal["camel", "snake"] = ..., include_default_values: bool = ...) -> dict[str, _Any]: ...
    class PeerConnected(_message.Message):
        __slots__ = ("room_id", "peer_id")
        ROOM_ID_FIELD_NUMBER: _ClassVar[int]
        PEER_ID_FIELD_NUMBER: _ClassVar[int]
        room_id: str
        peer_id: str
        def __init__(self, room_id: _Optional[str] = ..., peer_id: _Optional[str] = ...) -> None: ...
        def to_dict(self, casing: _Literal["camel", "snake"] = ..., include_default_values: bool = ...) -> dict[str, _Any]: ...
    class PeerDisconnected(_message.Message):
        __slots__ = ("room_id", "peer_id")
        ROOM_ID_FIELD_NUMBER: _ClassVar[int]
        PEER_ID_FIELD_NUMBER: _ClassVar[int]
        room_id: str
        peer_id: str
        def __init__(self, room_id: _Optional[str] = ..., peer_id: _Optional[str] = ...) -> None: ...
        def to_dict(self, casing: _Literal["camel", "snake"] = ..., include_default_values: bool = ...) -> dict[str, _Any]: ...
    class PeerCrashed(_message.Message):
        __slots__ = ("room_id", "peer_id", "reason")
        ROOM_ID_FIELD_NUMBER: _ClassVar[int]
        PEER_ID_FIELD_NUMBER: _ClassVar[int]
        REASON_FIELD_NUMBER: _ClassVar[int]
        room_id: str
        peer_id: str
        reason: str
        def __init__(self, room_id: _Optional[str] = ..., peer_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...
        def to_dict(self, casing: _Literal["camel", "snake"] = ..., include_default_values: bool = ...) -> dict[str, _Any]: ...
    class ComponentCrashed(_message.Message):
        __slots__ = ("room_id", "component_id")
        ROOM_ID_FIELD_NUMBER: _ClassVar[int]
        COMPONENT_ID_FIELD_NUMBER: _ClassVar[int]
        room_id: str
        component_id: str
        def __init__(self, room_id: _Optional[str] = ..., component_id: _Optional[str] = ...) -> None: ...
        def to_dict(self, casing: _Literal["camel", "snake"] = ..., include_default_values: bool = ...) -> dict[str, _Any]: ...
    class Authenticated(_message.Message):
        __slots__ = ()
        def __init__(self) -> None: ...
        def to_dict(self, casing: _Literal["camel", "snake"] = ..., include_default_values: bool = ...) -> dict[str, _Any]: ...
    class AuthRequest(_message.Message):
        __slots__ = ("token",)
        TOKEN_FIELD_NUMBER: _ClassVar[int]
        token: str
        def __init__(self, token: _Optional[str] = ...) -> None: ...
        def to_dict(self, casing: _Literal["camel", "snake"] = ..., include_default_values: bool = ...) -> dict[str, _Any]: ...
    class SubscribeRequest(_message.Message):
        __slots__ = ("event_type",)
        EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
        event_type: int
        def __init__(self, event_type: _Optional[_Union[int, str]] = ...) -> None: ...
        def to_dict(self, casing: _Literal["camel", "snake"] = ..., include_default_values: bool = ...) -> dict[str, _Any]: ...
    class SubscribeResponse(_message.Message):
        __slots__ = ("event_type",)
        EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
        event_type: int
        def __init__(self, event_type: _Optional[_Union[int, str]] = ...) -> None: ...
        def to_dict(self, casing: _Literal["camel", "snake"] = ..., include_default_values: bool = ...) -> dict[str, _Any]: ...
    class RoomCreated(_message.Message):
        __slots__ = ("room_id",)
        ROOM_ID_FIELD_NUMBER: _ClassVar[int]
        room_id: str
        def __init__(self, room_id: _Optional[str] = ...) -> None: ...
        def to_dict(self, casing: _Literal["camel", "snake"] = ..., include_default_values: bool = ...) -> dict[str, _Any]: ...
    class RoomDeleted(_message.Message):
        __slots__ = ("room_id",)
        ROOM_ID_FIELD_NUMBER: _ClassVar[int]
        room_id: str
        def __init__(self, room_id: _Optional[str] = ...) -> None: ...
        def to_dict(self, casing: _Literal["camel", "snake"] = ..., include_default_values: bool = ...) -> dict[str, _Any]: ...
    class MetricsReport(_message.Message):
        __slots__ = ("metrics",)
        METRICS_FIELD_NUMBER: _ClassVar[int]
        metrics: str
        def __init__(self, metrics: _Optional[str] = ...) -> None: ...
        def to_dict(self, casing: _Literal["camel", "snake"] = ..., include_default_values: bool = ...) -> dict[str, _Any]: ...
    class HlsPlayable(_message.Message):
        __slots__ = ("room_id", "component_id")
        ROOM_ID_FIELD_NUMBER: _ClassVar[int]
        COMPONENT_ID_FIELD_NUMBER: _ClassVar[int]
        room_id: str
        component_id: str
        def __init__(self, room_id: _Optional[str] = ..., component_id: _Optional[str] = ...) -> None: ...
        def to_dict(self, casing: _Literal["camel", "snake"] = ..., include_default_values: bool = ...) -> dict[str, _Any]: ...
    class HlsUploaded(_message.Message):
        __slots__ = ("room_id",)
        ROOM_ID_FIELD_NUMBER: _ClassVar[int]
        room_id: str
        def __init__(self, room_id: _Optional[str] = ...) -> None: ...
        def to_dict(self, casing: _Literal["camel", "snake"] = ..., include_default_values: bool = ...) -> dict[str, _Any]: ...
    class HlsUploadCrashed(_message.Message):
        __slots__ = ("room_id",)
        ROOM_ID_FIELD_NUMBER: _ClassVar[int]
        room_id: str
        def __init__(self, room_id: _Optional[str] = ...) -> None: ...
        def to_dict(self, casing: _Literal["camel", "snake"] = ..., include_default_values: bool = ...) -> dict[str, _Any]: ...
    class PeerMetadataUpdated(_message.Message):
        __slots__ = ("room_id", "peer_id", "metadata")
        ROOM_ID_FIELD_NUMBER: _ClassVar[int]
        PEER_ID_FIELD_NUMBER: _ClassVar[int]
        METADATA_FIELD_NUMBER: _ClassVar[int]
        room_id: str
        peer_id: str
        metadata: str
        def __init__(self, room_id: _Optional[str] = ..., peer_id: _Optional[str] = ..., metadata: _Optional[str] = ...) -> None: ...
        def to_dict(self, casing: _Literal["camel", "snake"] = ..., include_default_values: bool = ...) -> dict[str, _Any]: ...
    class Track(_message.Message):
        __slots__ = ("id", "type", "metadata")
        ID_FIELD_NUMBER: _ClassVar[int]
        TYPE_FIELD_NUMBER: _ClassVar[int]
        METADATA_FIELD_NUMBER: _ClassVar[int]
        id: str
        type: int
        metadata: str
        def __init__(self, id: _Optional[str] = ..., type: _Optional[_Union[int, str]] = ..., metadata: _Optional[str] = ...) -> None: ...
        def to_dict(self, casing: _Literal["camel", "snake"] = ..., include_default_values: bool = ...) -> dict[str, _Any]: ...
    class TrackAdded(_message.Message):
        __slots__ = ("room_id", "peer_id", "component_id", "track")
        ROOM_ID_FIELD_NUMBER: _ClassVar[int]
        PEER_ID_FIELD_NUMBER: _ClassVar[int]
        COMPONENT_ID_FIELD_NUMBER: _ClassVar[int]
        TRACK_FIELD_NUMBER: _ClassVar[int]
        room_id: str
        peer_id: str
        component_id: str
        track: ServerMessage.Track
        def __init__(self, room_id: _Optional[str] = ..., peer_id: _Optional[str] = ..., component_id: _Optional[str] = ..., track: _Optional[_Union[ServerMessage.Track, _Mapping]] = ...) -> None: ...
        def to_dict(self, casing: _Literal["camel", "snake"] = ..., include_default_values: bool = ...) -> dict[str, _Any]: ...
    class TrackRemoved(_message.Message):
        __slots__ = ("room_id", "peer_id", "component_id", "track")
        ROOM_ID_FIELD_NUMBER: _ClassVar[int]
        PEER_ID_FIELD_NUMBER: _ClassVar[int]
        COMPONENT_ID_FIELD_NUMBER: _ClassVar[int]
        TRACK_FIELD_NUMBER: _ClassVar[int]
        room_id: str
        peer_id: str
        component_id: str
        track: ServerMessage.Track
        def __init__(self, room_id: _Optional[str] = ..., peer_id: _Optional[str] = ..., component_id: _Optional[str] = ..., track: _Optional[_Union[ServerMessage.Track, _Mapping]] = ...) -> None: ...
        def to_dict(self, casing: _Literal["camel", "snake"] = ..., include_default_values: bool = ...) -> dict[str, _Any]: ...
    class TrackMetadataUpdated(_message.Message):
        __slots__ = ("room_id", "peer_id", "component_id", "track")
        ROOM_ID_FIELD_NUMBER: _ClassVar[int]
        PEER_ID_FIELD_NUMBER: _ClassVar[int]
        COMPONENT_ID_FIELD_NUMBER: _ClassVar[int]
        TRACK_FIELD_NUMBER: _ClassVar[int]
        room_id: str
        peer_id: str
        component_id: str
        track: ServerMessage.Track
        def __init__(self, room_id: _Optional[str] = ..., peer_id: _Optional[str] = ..., component_id: _Optional[str] = ..., track: _Optional[_Union[ServerMessage.Track, _Mapping]] = ...) -> None: ...
        def to_dict(self, casing: _Literal["camel", "snake"] = ..., include_default_values: bool = ...) -> dict[str, _Any]: ...
    ROOM_CRASHED_FIELD_NUMBER: _ClassVar[int]
    PEER_CONNECTED_FIELD_NUMBER: _ClassVar[int]
    PEER_DISCONNECTED_FIELD_NUMBER: _ClassVar[int]
    PEER_CRASHED_FIELD_NUMBER: _ClassVar[int]
    COMPONENT_CRASHED_FIELD_NUMBER: _ClassVar[int]
    AUTHENTICATED_FIELD_NUMBER: _ClassVar[int]
    AUTH_REQUEST_FIELD_NUMBER: _ClassVar[int]
    SUBSCRIBE_REQUEST_FIELD_NUMBER: _ClassVar[int]
    SUBSCRIBE_RESPONSE_FIELD_NUMBER: _ClassVar[int]
    ROOM_CREATED_FIELD_NUMBER: _ClassVar[int]
    ROOM_DELETED_FIELD_NUMBER: _ClassVar[int]
    METRICS_REPORT_FIELD_NUMBER: _ClassVar[int]
    HLS_PLAYABLE_FIELD_NUMBER: _ClassVar[int]
    HLS_UPLOADED_FIELD_NUMBER: _ClassVar[int]
    HLS_UPLOAD_CRASHED_FIELD_NUMBER: _ClassVar[int]
    PEER_METADATA_UPDATED_FIELD_NUMBER: _ClassVar[int]
    TRACK_ADDED_FIELD_NUMBER: _ClassVar[int]
    TRACK_REMOVED_FIELD_NUMBER: _ClassVar[int]
    TRACK_METADATA_UPDATED_FIELD_NUMBER: _ClassVar[int]
    PEER_ADDED_FIELD_NUMBER: _ClassVar[int]
    PEER_DELETED_FIELD_NUMBER: _ClassVar[int]
    room_crashed: ServerMessage.RoomCrashed
    peer_connected: ServerMessage.PeerConnected
    peer_disconnected: ServerMessage.PeerDisconnected
    peer_crashed: ServerMessage.PeerCrashed
    component_crashed: ServerMessage.ComponentCrashed
    authenticated: ServerMessage.Authenticated
    auth_request: ServerMessage.AuthRequest
    subscribe_request: ServerMessage.SubscribeRequest
    subscribe_response: ServerMessage.SubscribeResponse
    room_created: ServerMessage.RoomCreated
    room_deleted: ServerMessage.RoomDeleted
    metrics_report: ServerMessage.MetricsReport
    hls_playable: ServerMessage.HlsPlayable
    hls_uploaded: ServerMessage.HlsUploaded
    hls_upload_crashed: ServerMessage.HlsUploadCrashed
    peer_metadata_updated: ServerMessage.PeerMetadataUpdated
    track_added: ServerMessage.TrackAdded
    track_removed: ServerMessage.TrackRemoved
    track_metadata_updated: ServerMessage.TrackMetadataUpdated
    peer_added: ServerMessage.PeerAdded
    peer_deleted: ServerMessage.PeerDeleted
    def __init__(self, room_crashed: _Optional[_Union[ServerMessage.RoomCrashed, _Mapping]] = ..., peer_connected: _Optional[_Union[ServerMessage.PeerConnected, _Mapping]] = ..., peer_disconnected: _Optional[_Union[ServerMessage.PeerDisconnected, _Mapping]] = ..., peer_crashed: _Optional[_Union[ServerMessage.PeerCrashed, _Mapping]] = ..., component_crashed: _Optional[_Union[ServerMessage.ComponentCrashed, _Mapping]] = ..., authenticated: _Optional[_Union[ServerMessage.Authenticated, _Mapping]] = ..., auth_request: _Optional[_Union[ServerMessage.AuthRequest, _Mapping]] = ..., subscribe_request: _Optional[_Union[ServerMessage.SubscribeRequest, _Mapping]] = ..., subscribe_response: _Optional[_Union[ServerMessage.SubscribeResponse, _Mapping]] = ..., room_created: _Optional[_Union[ServerMessage.RoomCreated, _Mapping]] = ..., room_deleted: _Optional[_Union[ServerMessage.RoomDeleted, _Mapping]] = ..., metrics_report: _Optional[_Union[ServerMessage.MetricsReport, _Mapping]] = ..., hls_playable: _Optional[_Union[ServerMessage.HlsPlayable, _Mapping]] = ..., hls_uploaded: _Optional[_Union[ServerMessage.HlsUploaded, _Mapping]] = ..., hls_upload_crashed: _Optional[_Union[ServerMessage.HlsUploadCrashed, _Mapping]] = ..., peer_metadata_updated: _Optional[_Union[ServerMessage.PeerMetadataUpdated, _Mapping]] = ..., track_added: _Optional[_Union[ServerMessage.TrackAdded, _Mapping]] = ..., track_removed: _Optional[_Union[ServerMessage.TrackRemoved, _Mapping]] = ..., track_metadata_updated: _Optional[_Union[ServerMessage.TrackMetadataUpdated, _Mapping]] = ..., peer_added: _Optional[_Union[ServerMessage.PeerAdded, _Mapping]] = ..., peer_deleted: _Optional[_Union[ServerMessage.PeerDeleted, _Mapping]] = ...) -> None: ...
    def to_dict(self, casing: _Literal["camel", "snake"] = ..., include_default_values: bool = ...) -> dict[str, _Any]: ...
