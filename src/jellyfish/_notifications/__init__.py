"""Server notifications: the decoder, the sans-IO protocol, the notifiers and webhooks.

Each name loads its own module on first use, so a webhook receiver loads the decoder
alone, the anyio ``Notifier`` no websocket-client, and ``BlockingNotifier`` no anyio or
wsproto of its own. This package imports :mod:`jellyfish.events` (the decoder returns its
classes); ``jellyfish.events`` re-exports names from here only lazily, so neither imports
the other while it is being initialised.
"""

from typing import TYPE_CHECKING

from jellyfish._lazy import lazy_exports

if TYPE_CHECKING:
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

_LAZY_NAMES = {
    "BlockingNotifier": "jellyfish._notifications._blocking",
    "ConnectionState": "jellyfish._notifications._protocol",
    "NO_RECONNECT": "jellyfish._notifications._protocol",
    "Notification": "jellyfish._notifications._decoder",
    "Notifier": "jellyfish._notifications._anyio",
    "NotifierProtocol": "jellyfish._notifications._protocol",
    "NotifierStats": "jellyfish._notifications._core",
    "ReconnectPolicy": "jellyfish._notifications._protocol",
    "Reconnected": "jellyfish._notifications._core",
    "ServerNotification": "jellyfish._notifications._decoder",
    "Subscription": "jellyfish._notifications._protocol",
    "Timeouts": "jellyfish._notifications._protocol",
    "UnknownNotification": "jellyfish._notifications._decoder",
    "decode_metadata": "jellyfish._notifications._decoder",
    "decode_metrics": "jellyfish._notifications._decoder",
    "decode_notification": "jellyfish._notifications._decoder",
    "receive_binary": "jellyfish._notifications._webhooks",
    "receive_json": "jellyfish._notifications._webhooks",
    "receive_webhook": "jellyfish._notifications._webhooks",
}

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

if not TYPE_CHECKING:  # hidden from type checkers, so that a misspelt name stays an error
    __getattr__, __dir__ = lazy_exports(__name__, globals(), _LAZY_NAMES)
