"""Server notifications: the decoder, the sans-IO protocol, the notifiers and webhooks."""

# jellyfish.events first: it imports from this package, and this package's modules import
# jellyfish.events._protos, so whichever of the two a program imports first, the other one's
# names are then complete (``import jellyfish`` no longer imports them in this order for us).
import jellyfish.events  # noqa: F401  (isort: skip)
from jellyfish._notifications._anyio import Notifier
from jellyfish._notifications._blocking import BlockingNotifier
from jellyfish._notifications._core import NotifierStats, Reconnected
from jellyfish._notifications._decoder import (
    Notification,
    ServerNotification,
    UnknownNotification,
    decode_metadata,
    decode_metrics,
    decode_notification,
)
from jellyfish._notifications._protocol import (
    NO_RECONNECT,
    ConnectionState,
    NotifierProtocol,
    ReconnectPolicy,
    Subscription,
    Timeouts,
)
from jellyfish._notifications._webhooks import receive_binary, receive_json, receive_webhook

__all__ = [
    "NO_RECONNECT",
    "BlockingNotifier",
    "ConnectionState",
    "Notification",
    "Notifier",
    "NotifierProtocol",
    "NotifierStats",
    "ReconnectPolicy",
    "Reconnected",
    "ServerNotification",
    "Subscription",
    "Timeouts",
    "UnknownNotification",
    "decode_metadata",
    "decode_metrics",
    "decode_notification",
    "receive_binary",
    "receive_json",
    "receive_webhook",
]
