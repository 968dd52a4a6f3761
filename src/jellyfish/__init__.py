"""Python server SDK for the Jellyfish media server.

Manage rooms, peers and components over the REST API and receive server
notifications over the server WebSocket or by webhook, from blocking code,
asyncio or trio.
"""

from jellyfish import errors, events
from jellyfish._version import __version__

# >>> REST API exports (owned by the REST facade work)
_REST_EXPORTS: list[str] = []
# <<< REST API exports

# >>> notification exports (owned by the notifications work)
_NOTIFICATION_EXPORTS: list[str] = []
# <<< notification exports

__all__ = ["__version__", "errors", "events", *_REST_EXPORTS, *_NOTIFICATION_EXPORTS]
