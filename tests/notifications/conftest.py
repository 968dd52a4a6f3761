"""Every notification test must leave no notifier thread behind; a TLS certificate."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.tls import self_signed_certificate

from ._unanswered import unanswered


@pytest.fixture(autouse=True)
def _no_leaked_notifier_threads() -> Iterator[None]:
    yield
    leaked = [t for t in threading.enumerate() if t.name == "jellyfish-notifier" and t.is_alive()]
    assert not leaked, f"notifier threads left running: {leaked}"


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and 127.0.0.1: (cert.pem, key.pem)."""
    return self_signed_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def unanswered_address() -> Iterator[str]:
    """A local address whose TCP connects hang (see :func:`unanswered`)."""
    with unanswered() as address:
        yield address
