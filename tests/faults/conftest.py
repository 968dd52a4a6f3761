"""Fixtures of the fault suite: a fresh emulator per test with a fault proxy in front of it."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from jellyfish.testing import JellyfishServer

from ._proxy import FaultProxy


@pytest.fixture
def server() -> Iterator[JellyfishServer]:
    with JellyfishServer(webhook_loopback_only=True) as emulator:
        yield emulator


@pytest.fixture
def proxy(server: JellyfishServer) -> Iterator[FaultProxy]:
    with FaultProxy(server.address) as fault_proxy:
        yield fault_proxy


@pytest.fixture(autouse=True)
def _no_leaked_threads() -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    leaked = [
        t
        for t in set(threading.enumerate()) - before
        if t.is_alive() and (t.name == "jellyfish-notifier" or t.name.startswith("fault-"))
    ]
    assert not leaked, f"threads left running: {leaked}"
