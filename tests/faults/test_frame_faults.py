"""Malformed server->client frames, injected between two real ones, on every flavour.

A client must reject a text frame, a masked frame, a reserved opcode, a frame larger than
``max_size`` and an invalid close code (RFC 6455): each is survived with one reconnect, its
content never reaches the application, and the log says the client detected it (issue 10,
defects 3, 4 and 5). Garbage in a binary frame is survived as well.
"""

from __future__ import annotations

import contextlib
import logging
import time
from typing import Any

import pytest
from support.websocket import Opcode, close_frame, frame

from jellyfish import ReconnectPolicy
from jellyfish.events import ServerMessage as S

from ._harness import FLAVOURS, NotifierRun, Producer, assert_no_duplicate_or_reorder
from ._proxy import FaultProxy

pytestmark = pytest.mark.emulator_only

FAST = ReconnectPolicy(initial_delay=0.02, max_delay=0.2, jitter=0.5)
MAX_SIZE = 1 << 16
SMUGGLED = 999_999
"""The number carried by an injected notification that must never be delivered."""
_SMUGGLED_NOTIFICATION = S(
    peer_metadata_updated=S.PeerMetadataUpdated(room_id="r", peer_id="p", metadata=str(SMUGGLED))
).SerializeToString()

VIOLATIONS = {
    "text": frame(Opcode.TEXT, b'{"notification": "hello"}'),
    "masked": frame(Opcode.BINARY, _SMUGGLED_NOTIFICATION, masked=True),
    "reserved-opcode": frame(Opcode.RESERVED_3, _SMUGGLED_NOTIFICATION),
    "reserved-bits": frame(Opcode.BINARY, _SMUGGLED_NOTIFICATION, rsv=0b100),
    # announces 2 GiB, sends more than max_size of it (and never the rest)
    "oversize": frame(Opcode.BINARY, bytes(MAX_SIZE + 1000), declared_length=1 << 31),
    "close-code-1005": close_frame(1005),
    "close-code-999": close_frame(999),
}


def _run(flavour: str, proxy: FaultProxy, server: Any) -> NotifierRun:
    return NotifierRun(flavour, proxy.address, server.token, reconnect=FAST, max_size=MAX_SIZE)


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("violation", list(VIOLATIONS))
def test_protocol_violation_reconnects_once(
    flavour: str,
    violation: str,
    proxy: FaultProxy,
    server: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="jellyfish.notifier")
    with _run(flavour, proxy, server) as run, Producer(server) as producer:
        run.wait_ready()
        before = producer.produce(10)
        run.wait_sequence(before)
        proxy.inject(VIOLATIONS[violation])
        run.wait_reconnects(1)
        after = producer.produce(10)
        run.wait_sequence(after)
    assert len(run.reconnects()) == 1, run.summary()
    assert SMUGGLED not in run.sequence()
    assert set(before) | set(after) <= set(run.sequence())
    assert_no_duplicate_or_reorder(run)
    messages = [r.getMessage() for r in caplog.records if r.name == "jellyfish.notifier"]
    if not violation.startswith("close-code"):
        # the client found the fault: the log must not blame the server for closing (defect 5)
        assert not any("server closed the connection" in m for m in messages), messages
        assert any("protocol violation" in m for m in messages), messages


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_garbage_binary_frame_is_survived(flavour: str, proxy: FaultProxy, server: Any) -> None:
    with _run(flavour, proxy, server) as run, Producer(server) as producer:
        run.wait_ready()
        before = producer.produce(10)
        run.wait_sequence(before)
        proxy.inject(frame(Opcode.BINARY, b"\xff\xff\xff\xff not a protobuf"))
        after = producer.produce(10)
        run.wait_sequence(after)
    assert set(before) | set(after) <= set(run.sequence())
    assert_no_duplicate_or_reorder(run)
    assert not run.finished.done() or run.finished.exception() is None


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_an_oversize_frame_is_refused_from_its_header_while_its_payload_drips(
    flavour: str, proxy: FaultProxy, server: Any
) -> None:
    """0.5's anyio notifier read an oversize payload up to max_size and held the connection
    while it dripped; now the header alone ends the connection, on every flavour."""
    with _run(flavour, proxy, server) as run, Producer(server) as producer:
        run.wait_ready()
        run.wait_sequence(producer.produce(5))
        (link,) = proxy.live_links
        proxy.inject(frame(Opcode.BINARY, b"", declared_length=1 << 31))
        dripped = 0
        while not run.reconnects() and not link.closed.is_set() and dripped < MAX_SIZE:
            with contextlib.suppress(OSError):
                link.client.sendall(b"\0")  # one byte of the announced 2 GiB, now and then
            dripped += 1
            time.sleep(0.01)
        run.wait_reconnects(1)
        run.wait_sequence(producer.produce(5))
    assert dripped < MAX_SIZE // 10, f"{dripped} payload bytes were read before the refusal"
    assert "exceeds max_size" in str(run.reconnects()[0].error)
