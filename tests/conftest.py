"""Shared test configuration.

Async tests use anyio's pytest plugin (``@pytest.mark.anyio``) and run on both
backends: asyncio and trio.
"""

from __future__ import annotations

import pytest

pytest_plugins = ["jellyfish.testing.pytest_plugin"]


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)
