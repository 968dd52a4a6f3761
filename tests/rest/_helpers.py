"""Helpers for tests that run against the emulator or a real Jellyfish (JELLYFISH_ADDRESS)."""

from __future__ import annotations

from typing import Any

from jellyfish.testing import EmulatorNode


def check_advertised(server: Any, address: str) -> None:
    """``address`` is what the node reports as its own (``jellyfish_address``).

    The emulator reports ``server.address``; a real server reports its ``JF_HOST`` (for
    Docker often ``0.0.0.0:8080``), which need not be the address the tests use.
    """
    if isinstance(server, EmulatorNode):
        assert address == server.address
    else:
        assert address
        assert "://" not in address
