"""Jellyfish server notifications, under the names jellyfish-server-sdk 0.4.0 used.

Each ``ServerMessageX`` is the generated protobuf class ``ServerMessage.X`` (the
message of one case of the ``ServerMessage.content`` oneof), so
``isinstance(event, ServerMessageRoomCreated)`` and ``event.room_id`` work as before.

Beyond 0.4.0:

* every notification the 0.5.0 server sends has a name here (``ServerMessageHlsUploaded``,
  ``ServerMessageHlsUploadCrashed``, ``ServerMessagePeerMetadataUpdated`` were missing);
* :class:`UnknownNotification`: what a newer server's unknown notification decodes to;
* :class:`Reconnected`: what notifiers emit after re-establishing a dropped connection;
* ``Notification`` / ``ServerNotification``: type aliases of the unions;
* :func:`decode_notification`, :func:`decode_metadata`, :func:`decode_metrics`.
"""

from jellyfish._notifications._common import Reconnected
from jellyfish._notifications._decoder import (
    Notification,
    ServerNotification,
    UnknownNotification,
    decode_metadata,
    decode_metrics,
    decode_notification,
)
from jellyfish.events._protos.jellyfish.server_notifications_pb2 import ServerMessage

ServerMessageAuthenticated = ServerMessage.Authenticated
ServerMessageAuthRequest = ServerMessage.AuthRequest
ServerMessageComponentCrashed = ServerMessage.ComponentCrashed
ServerMessageEventType = ServerMessage.EventType
ServerMessageHlsPlayable = ServerMessage.HlsPlayable
ServerMessageHlsUploadCrashed = ServerMessage.HlsUploadCrashed
ServerMessageHlsUploaded = ServerMessage.HlsUploaded
ServerMessageMetricsReport = ServerMessage.MetricsReport
ServerMessagePeerAdded = ServerMessage.PeerAdded
ServerMessagePeerConnected = ServerMessage.PeerConnected
ServerMessagePeerCrashed = ServerMessage.PeerCrashed
ServerMessagePeerDeleted = ServerMessage.PeerDeleted
ServerMessagePeerDisconnected = ServerMessage.PeerDisconnected
ServerMessagePeerMetadataUpdated = ServerMessage.PeerMetadataUpdated
ServerMessageRoomCrashed = ServerMessage.RoomCrashed
ServerMessageRoomCreated = ServerMessage.RoomCreated
ServerMessageRoomDeleted = ServerMessage.RoomDeleted
ServerMessageSubscribeRequest = ServerMessage.SubscribeRequest
ServerMessageSubscribeResponse = ServerMessage.SubscribeResponse
ServerMessageTrack = ServerMessage.Track
ServerMessageTrackAdded = ServerMessage.TrackAdded
ServerMessageTrackMetadataUpdated = ServerMessage.TrackMetadataUpdated
ServerMessageTrackRemoved = ServerMessage.TrackRemoved
ServerMessageTrackType = ServerMessage.TrackType

__all__ = [
    "Notification",
    "Reconnected",
    "ServerMessage",
    "ServerMessageAuthRequest",
    "ServerMessageAuthenticated",
    "ServerMessageComponentCrashed",
    "ServerMessageEventType",
    "ServerMessageHlsPlayable",
    "ServerMessageHlsUploadCrashed",
    "ServerMessageHlsUploaded",
    "ServerMessageMetricsReport",
    "ServerMessagePeerAdded",
    "ServerMessagePeerConnected",
    "ServerMessagePeerCrashed",
    "ServerMessagePeerDeleted",
    "ServerMessagePeerDisconnected",
    "ServerMessagePeerMetadataUpdated",
    "ServerMessageRoomCrashed",
    "ServerMessageRoomCreated",
    "ServerMessageRoomDeleted",
    "ServerMessageSubscribeRequest",
    "ServerMessageSubscribeResponse",
    "ServerMessageTrack",
    "ServerMessageTrackAdded",
    "ServerMessageTrackMetadataUpdated",
    "ServerMessageTrackRemoved",
    "ServerMessageTrackType",
    "ServerNotification",
    "UnknownNotification",
    "decode_metadata",
    "decode_metrics",
    "decode_notification",
]
