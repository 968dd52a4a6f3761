"""Python server SDK for the Jellyfish media server.

Manage rooms, peers and components over the REST API and receive server
notifications over the server WebSocket or by webhook, from blocking code,
asyncio or trio.
"""

from jellyfish import errors, events
from jellyfish._version import __version__

__all__ = ["__version__", "errors", "events"]
