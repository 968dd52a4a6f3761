"""One table of server behaviours, run against both shells: same inputs, same outputs.

Each row is a script the server plays (``_scripted.py``) and what a notifier must make of
it: the events it delivers, or the error ``connect()`` ends with (no reconnect policy, so
the first failure is final). Every row runs on asyncio, trio and blocking against the
same server; the three results must be equal to each other and to the row. Where the
WebSocket library's own wording differs (websocket-client does the blocking upgrade), the
row names the common prefix the core puts in front.

Then the handshake faults on a *re*connect: the same errors, retried by the policy.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from support.websocket import Opcode, close_frame, frame
from wsproto.events import Ping

from jellyfish import NO_RECONNECT, ReconnectPolicy, Timeouts
from jellyfish.errors import (
    ConnectionFailedError,
    InvalidTokenError,
    NotifierClosedError,
    NotifierTimeoutError,
    ProtocolError,
)
from jellyfish.events import Reconnected, UnknownNotification
from jellyfish.events import ServerMessage as S

from ._harness import FLAVOURS, NotifierRun
from ._scripted import Peer, ScriptedServer

TIMEOUTS = Timeouts(connect=3, auth=0.5, subscribe=0.5, ping_interval=5, ping_timeout=5, send=0.5)
MAX_SIZE = 1000
VIOLATION = "protocol violation detected by the client: "
UPGRADE = VIOLATION + "invalid WebSocket upgrade answer: "
UNKNOWN = bytes([0x9A, 0x06, 0x03, 0x0A, 0x01, 0x72])  # field 99: a newer server's event


def created(i: int) -> bytes:
    return S(room_created=S.RoomCreated(room_id=str(i))).SerializeToString()


def after_handshake(*data: bytes, messages: tuple[bytes, ...] = ()) -> Callable[[Peer], None]:
    def script(peer: Peer) -> None:
        peer.handshake()
        peer.send(*messages)
        for raw in data:
            peer.send_raw(raw)
        peer.linger()

    return script


def closing(code: int, reason: str) -> Callable[[Peer], None]:
    def script(peer: Peer) -> None:
        peer.handshake()
        peer.close(code, reason)
        peer.linger()

    return script


def upgrade_answer(edit: Callable[[bytes], bytes]) -> Callable[[Peer], None]:
    def script(peer: Peer) -> None:
        peer.upgrade(edit)
        peer.linger()

    return script


def flooding_pings_without_reading(peer: Peer) -> None:
    """A server that stops reading and pings: the client's pongs fill every buffer."""
    peer.handshake()
    burst = peer.ws.send(Ping(payload=bytes(125))) * 1000
    while True:
        peer.sock.sendall(burst)  # until the client gives up on its send and leaves


def refusing(peer: Peer) -> None:
    peer.read_request()
    peer.send_raw(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
    peer.linger()


def silent_after_auth_request(peer: Peer) -> None:
    peer.upgrade()
    peer.expect("auth_request")
    peer.linger()


def never_acknowledging(peer: Peer) -> None:
    peer.upgrade()
    peer.authenticate()
    peer.expect("subscribe_request")
    peer.linger()


UPGRADE_FAULTS: dict[str, Callable[[bytes], bytes]] = {
    "wrong Sec-WebSocket-Accept": lambda head: re.sub(
        rb"Accept: [^\r]+", b"Accept: d3JvbmcgYWNjZXB0IHRva2VuIQ==", head
    ),
    "101 without Upgrade": lambda head: head.replace(b"Upgrade: websocket\r\n", b""),
    "non-HTTP bytes": lambda head: b"SSH-2.0-OpenSSH_9.6\r\n",
    "unrequested extension (permessage-deflate)": lambda head: head.replace(
        b"\r\n\r\n", b"\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n"
    ),
    "unrequested subprotocol": lambda head: head.replace(
        b"\r\n\r\n", b"\r\nSec-WebSocket-Protocol: chat\r\n\r\n"
    ),
}


@dataclass(frozen=True)
class Row:
    script: Callable[[Peer], None]
    events: list[Any] = field(default_factory=list)
    error: type[Exception] | None = None
    message: str = ""
    """The error's ``str``, exactly; or, ending with ``...``, the prefix all flavours share."""


TABLE: dict[str, Row] = {
    "notifications, in order": Row(
        after_handshake(messages=(created(0), created(1), created(2))),
        events=[S.RoomCreated(room_id=str(i)) for i in range(3)],
    ),
    "an unknown notification and an undecodable frame": Row(
        after_handshake(messages=(created(1), UNKNOWN, b"\xff\xff", created(2))),
        events=[
            S.RoomCreated(room_id="1"),
            UnknownNotification(UNKNOWN),
            S.RoomCreated(room_id="2"),
        ],
    ),
    "invalid token": Row(
        lambda peer: (
            peer.upgrade(),
            peer.expect("auth_request"),
            peer.close(1000, "invalid token"),
            peer.linger(),
        ),
        error=InvalidTokenError,
        message="the server rejected the server API token (invalid token)",
    ),
    "the server goes away (1001)": Row(
        closing(1001, "restart"),
        error=NotifierClosedError,
        message="the server closed the connection (code 1001, restart)",
    ),
    "the server refuses a message (1003)": Row(
        closing(1003, "operation not allowed"),
        error=ProtocolError,
        message="the server refused a message: operation not allowed",
    ),
    "a text frame": Row(
        after_handshake(frame(Opcode.TEXT, b"{}")),
        error=ProtocolError,
        message=VIOLATION + "the server sent a text frame",
    ),
    "a masked frame": Row(
        after_handshake(frame(Opcode.BINARY, created(9), masked=True)),
        error=ProtocolError,
        message=VIOLATION + "client received unexpected masked frame",
    ),
    "a reserved bit": Row(
        after_handshake(frame(Opcode.BINARY, created(9), rsv=0b100)),
        error=ProtocolError,
        message=VIOLATION + "Reserved bit set unexpectedly",
    ),
    "a header announcing 1 GiB (no payload follows)": Row(
        after_handshake(frame(Opcode.BINARY, b"", declared_length=1 << 30)),
        error=ProtocolError,
        message=VIOLATION + f"a message of {1 << 30} bytes exceeds max_size={MAX_SIZE}",
    ),
    "fragments adding up to more than max_size": Row(
        after_handshake(
            frame(Opcode.BINARY, bytes(600), fin=False),
            frame(Opcode.CONTINUATION, b"", declared_length=500),
        ),
        error=ProtocolError,
        message=VIOLATION + f"a message of 1100 bytes exceeds max_size={MAX_SIZE}",
    ),
    "an invalid close code": Row(
        after_handshake(close_frame(999)),
        error=ProtocolError,
        message=VIOLATION + "CLOSE with invalid code",
    ),
    "a server that stops reading (a ping flood)": Row(
        flooding_pings_without_reading,
        error=NotifierTimeoutError,
        message="timed out sending to the server (0.5 s): it stopped reading",
    ),
    "no 'authenticated'": Row(
        silent_after_auth_request,
        error=NotifierTimeoutError,
        message="timed out waiting for 'authenticated'",
    ),
    "no subscription acknowledgement": Row(
        never_acknowledging,
        error=NotifierTimeoutError,
        message="timed out waiting for 'subscribe_response'",
    ),
    "the upgrade refused (HTTP 403)": Row(
        refusing,
        error=ConnectionFailedError,
        message="the server refused the WebSocket upgrade (HTTP 403) (ws://{address}/socket/server/websocket)",
    ),
    **{
        name: Row(
            upgrade_answer(edit),
            error=ProtocolError,
            message=UPGRADE
            + {
                "unrequested extension (permessage-deflate)": "unrecognized extension permessage-deflate",  # noqa: E501
                "unrequested subprotocol": "unrecognized subprotocol chat",
            }.get(name, "..."),
        )
        for name, edit in UPGRADE_FAULTS.items()
    },
}


def outcome(flavour: str, address: str, row: Row) -> tuple[list[Any], Exception | None]:
    run = NotifierRun(
        flavour,
        address,
        "development",
        reconnect=NO_RECONNECT,
        timeouts=TIMEOUTS,
        max_size=MAX_SIZE,
    )
    with run:
        if row.error is None:
            run.wait_for(lambda: len(run.events) >= len(row.events), f"{len(row.events)} events")
            error = None
        else:
            error = run.wait_finished()
            assert isinstance(error, Exception), repr(error)
    return list(run.events), error


@pytest.mark.parametrize("name", list(TABLE))
def test_both_shells_answer_the_same(name: str) -> None:
    row = TABLE[name]
    with ScriptedServer(row.script) as server:
        results = {flavour: outcome(flavour, server.address, row) for flavour in FLAVOURS}
    assert not server.errors, server.errors
    expected = row.message.replace("{address}", server.address)
    for flavour, (events, error) in results.items():
        assert events == row.events, (flavour, events)
        if row.error is None:
            assert error is None, (flavour, error)
            continue
        assert type(error) is row.error, (flavour, repr(error))
        if expected.endswith("..."):
            assert str(error).startswith(expected[:-3]), (flavour, str(error))
        else:
            assert str(error) == expected, (flavour, str(error))
    messages = {str(error) for _, error in results.values()}
    if not expected.endswith("..."):
        assert len(messages) == 1, messages


RETRY = ReconnectPolicy(initial_delay=0.01, max_delay=0.01, jitter=0)


def _ready_for_good(peer: Peer) -> None:
    peer.handshake()
    peer.send(created(2))
    peer.linger()


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("fault", list(UPGRADE_FAULTS))
def test_a_handshake_fault_on_a_reconnect_is_retried(flavour: str, fault: str) -> None:
    """0.5's anyio notifier died of an ExceptionGroup here: now a typed error, retried."""

    def cut(peer: Peer) -> None:
        peer.handshake()
        peer.send(created(1))
        peer.sock.shutdown(2)  # a network cut: the notifier reconnects...

    scripts = [cut, upgrade_answer(UPGRADE_FAULTS[fault]), _ready_for_good]
    with ScriptedServer(*scripts) as server:
        run = NotifierRun(
            flavour, server.address, "development", reconnect=RETRY, timeouts=TIMEOUTS
        )
        with run:
            run.wait_for(lambda: len(run.events) == 3, "created(1), Reconnected, created(2)")
    assert not server.errors, server.errors
    first, reconnected, second = run.events
    assert (first, second) == (S.RoomCreated(room_id="1"), S.RoomCreated(room_id="2"))
    assert isinstance(reconnected, Reconnected)
    assert isinstance(reconnected.error, ProtocolError)  # ...into the broken upgrade: retried
    assert str(reconnected.error).startswith(UPGRADE)
    assert server.connections == 3
