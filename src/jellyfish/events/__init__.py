"""Jellyfish server notifications, under the names jellyfish-server-sdk 0.4.0 used.

Each ``ServerMessageX`` is the generated protobuf class ``ServerMessage.X`` (the
message of one case of the ``ServerMessage.content`` oneof), so
``isinstance(event, ServerMessageRoomCreated)`` and ``event.room_id`` work as before. As
in 0.4.0, every one of them prints on one line under its name
(``ServerMessageRoomCreated(room_id='r1')``, ``str`` equal to ``repr``) and has
``to_dict()`` (JSON-ready, camelCase keys, defaults omitted, enums by name); the enums
``ServerMessageTrackType`` and ``ServerMessageEventType`` are :class:`enum.IntEnum` s.
All of it is generated from ``spec/`` (``jellyfish.events._generated``).

Beyond 0.4.0:

* every notification the 0.5.0 server sends has a name here (``ServerMessageHlsUploaded``,
  ``ServerMessageHlsUploadCrashed``, ``ServerMessagePeerMetadataUpdated`` were missing);
* :class:`UnknownNotification`: what a newer server's unknown notification decodes to;
* :class:`Reconnected`: what notifiers emit after re-establishing a dropped connection;
* ``Notification`` / ``ServerNotification``: type aliases of the unions;
* :func:`decode_notification`, :func:`decode_metadata`, :func:`decode_metrics`.
"""

from typing import TYPE_CHECKING

from jellyfish._lazy import lazy_exports

# Every import of a notification class runs this package first, and with it _generated,
# which installs the readable names, repr and to_dict on the classes.
from jellyfish.events import _generated
from jellyfish.events._generated import *  # noqa: F403

if TYPE_CHECKING:  # where __getattr__ below finds them
    from jellyfish._notifications import (
        Notification,
        Reconnected,
        ServerNotification,
        UnknownNotification,
        decode_metadata,
        decode_metrics,
        decode_notification,
    )

__all__ = [
    "Notification",
    "Reconnected",
    "ServerNotification",
    "UnknownNotification",
    "decode_metadata",
    "decode_metrics",
    "decode_notification",
]
# Names of jellyfish._notifications, loaded from there on first use: the decoder and the
# notifiers import this package (for the classes above), never the other way round while
# either is being initialised. jellyfish._notifications holds the table of their modules.
_LAZY_NAMES = dict.fromkeys(__all__, "jellyfish._notifications")
__all__ += _generated.__all__

if not TYPE_CHECKING:  # hidden from type checkers, so that a misspelt name stays an error
    __getattr__, __dir__ = lazy_exports(__name__, globals(), _LAZY_NAMES)
