"""Every notification test must leave no notifier thread behind."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _no_leaked_notifier_threads() -> Iterator[None]:
    yield
    leaked = [t for t in threading.enumerate() if t.name == "jellyfish-notifier" and t.is_alive()]
    assert not leaked, f"notifier threads left running: {leaked}"
