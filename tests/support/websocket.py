"""Hand-made WebSocket frames, and the server WebSocket's handshake replies as bytes."""

from __future__ import annotations

import enum
import struct

from jellyfish.events import ServerMessage

#: The server's reply to a good ``auth_request``.
AUTHENTICATED = ServerMessage(authenticated=ServerMessage.Authenticated()).SerializeToString()


def subscribe_response(event_type: int) -> bytes:
    """The server's acknowledgement of a ``subscribe_request`` for ``event_type``."""
    message = ServerMessage(
        subscribe_response=ServerMessage.SubscribeResponse(event_type=event_type)  # type: ignore[arg-type]
    )
    return message.SerializeToString()


class Opcode(enum.IntEnum):
    CONTINUATION = 0x0
    TEXT = 0x1
    BINARY = 0x2
    RESERVED_3 = 0x3
    CLOSE = 0x8
    PING = 0x9
    PONG = 0xA


def frame(
    opcode: int,
    payload: bytes,
    *,
    masked: bool = False,
    fin: bool = True,
    rsv: int = 0,
    declared_length: int | None = None,
) -> bytes:
    """Encode one WebSocket frame as a server would (unmasked unless ``masked``).

    ``rsv`` sets the reserved bits (0b100 is RSV1). ``declared_length`` puts another length
    in the header than the payload has (an oversize frame announces megabytes and sends
    none of them).
    """
    first = (0x80 if fin else 0) | (rsv & 0x7) << 4 | opcode & 0xF
    length = len(payload) if declared_length is None else declared_length
    mask_bit = 0x80 if masked else 0
    if length < 126:
        header = struct.pack("!BB", first, mask_bit | length)
    elif length < 1 << 16:
        header = struct.pack("!BBH", first, mask_bit | 126, length)
    else:
        header = struct.pack("!BBQ", first, mask_bit | 127, length)
    if masked:
        key = b"\x01\x02\x03\x04"
        payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
        header += key
    return header + payload


def close_frame(code: int, reason: str = "") -> bytes:
    """A server close frame with ``code`` (any value, including invalid ones)."""
    return frame(Opcode.CLOSE, struct.pack("!H", code) + reason.encode())
