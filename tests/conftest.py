"""Shared test configuration.

Async tests use anyio's pytest plugin (``@pytest.mark.anyio``) and run on both
backends: asyncio and trio.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

pytest_plugins = ["jellyfish.testing.pytest_plugin"]

# CI shares two cores among several workers: how long a draw takes there says nothing about the
# code under test, and a slow draw must not fail a property (what it checks is never timing).
settings.register_profile("suite", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("suite")


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module", autouse=True)
def _collect_garbage_after_each_module() -> Iterator[None]:
    """An unclosed socket held in a reference cycle fails the module that leaked it.

    The garbage collector finalizes such a socket whenever it next runs, and pytest reports its
    ResourceWarning in whatever test is running then, on that worker; collecting here reports it
    in the teardown of the module's last test.
    """
    yield
    gc.collect()
