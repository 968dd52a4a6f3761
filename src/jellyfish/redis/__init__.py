"""Notifications on Redis Streams: a bridge that publishes them, consumers that share them.

Needs nothing beyond the SDK (``pip install jellyfish-server-sdk[redis]``; the RESP client
is the SDK's own). See ``docs/deploying.md`` (pattern 3).
"""

from jellyfish.redis._bridge import Bridge, BridgeStats
from jellyfish.redis._consumer import BlockingStreamConsumer, StreamConsumer
from jellyfish.redis._errors import (
    LeaseLostError,
    RedisConnectionError,
    RedisError,
    RedisTimeoutError,
    ReplyError,
)

__all__ = [
    "BlockingStreamConsumer",
    "Bridge",
    "BridgeStats",
    "LeaseLostError",
    "RedisConnectionError",
    "RedisError",
    "RedisTimeoutError",
    "ReplyError",
    "StreamConsumer",
]
