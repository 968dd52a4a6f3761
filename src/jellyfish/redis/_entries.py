"""What a stream entry holds, the keys beside the stream, and the Lua scripts: no I/O.

An entry of the stream is one event::

    seq        a gapless, increasing sequence (INCR in the same script as XADD)
    kind       the SDK class name (``ServerMessageRoomCreated``, ``UnknownNotification``)
    room       the event's room id ("" when it has none)
    synthetic  "1" when a catch-up synthesized it from GET /room, else "0"
    fence      the fencing token of the bridge that appended it
    data       the protobuf ``ServerMessage`` bytes (what Jellyfish sends)

Beside the stream ``S`` live ``S:lease`` (``"<fence>:<owner>"``, with a TTL), ``S:fence``
(the fencing counter), ``S:seq`` (the sequence) and ``S:state`` (a hash: room id -> the
JSON of that room as the published events leave it, updated in the same script as the
entries, so it is always exactly the state a consumer of the whole stream holds).

Bridges that take their events from webhooks add ``S:inbox``, a stream every bridge (leader
or standby) appends each webhook it received to before it answers, and
``S:inbox:cursor``, the id of the last inbox entry the leader published (set in the same
script as the entries). An inbox entry is a webhook::

    data       the protobuf ``ServerMessage`` bytes
    by         the name of the bridge that received it

or a gap marker, written by a bridge that had to refuse a webhook (Redis did not take it),
so that the leader catches up at that point of the inbox::

    gap        "1"
    by         the name of the bridge that refused it
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from jellyfish._notifications._decoder import UnknownNotification, decode_notification
from jellyfish._routing import Delivery
from jellyfish.errors import DecodeError
from jellyfish.events._protos.jellyfish.server_notifications_pb2 import ServerMessage

__all__ = [
    "ACQUIRE",
    "APPEND",
    "GAP",
    "RELEASE",
    "RENEW",
    "Keys",
    "decode_entry",
    "decode_inbox_entry",
    "encode_event",
    "inbox_gap_fields",
    "inbox_webhook_fields",
]

_CASES: dict[type, str] = {}
for _field in ServerMessage.DESCRIPTOR.oneofs_by_name["content"].fields:
    if _field.message_type is not None:
        _class = getattr(ServerMessage, _field.message_type.name, None)
        if _class is not None:
            _CASES[_class] = _field.name


@dataclass(frozen=True)
class Keys:
    """The Redis keys of one stream."""

    stream: str

    @property
    def lease(self) -> str:
        """The leader's lease."""
        return f"{self.stream}:lease"

    @property
    def fence(self) -> str:
        """The fencing counter (one more per lease acquired)."""
        return f"{self.stream}:fence"

    @property
    def sequence(self) -> str:
        """The last sequence appended."""
        return f"{self.stream}:seq"

    @property
    def state(self) -> str:
        """The published state: room id -> room JSON."""
        return f"{self.stream}:state"

    @property
    def inbox(self) -> str:
        """Webhooks received by any bridge, waiting for the leader."""
        return f"{self.stream}:inbox"

    @property
    def inbox_cursor(self) -> str:
        """The id of the last inbox entry published."""
        return f"{self.stream}:inbox:cursor"


def kind_of(event: Any) -> str:
    """The SDK's name of an event's class (``ServerMessageRoomCreated``)."""
    return type(event).__name__


def encode_event(event: Any) -> bytes:
    """The ``ServerMessage`` bytes of a notification (the raw bytes of an unknown one)."""
    if isinstance(event, UnknownNotification):
        return event.data
    case = _CASES.get(type(event))
    if case is None:
        raise TypeError(f"{type(event).__name__} is not a Jellyfish notification")
    return ServerMessage(**{case: event}).SerializeToString()


def entry_args(event: Any, synthetic: bool) -> list[bytes | str]:
    """The four arguments APPEND takes per event: kind, room, synthetic, data."""
    return [
        kind_of(event),
        getattr(event, "room_id", ""),
        "1" if synthetic else "0",
        encode_event(event),
    ]


class _Gap:
    """An inbox gap marker: a bridge refused a webhook here."""

    def __repr__(self) -> str:
        return "GAP"


GAP = _Gap()
"""What :func:`decode_inbox_entry` returns for a gap marker."""


def inbox_webhook_fields(event: Any, receiver: str) -> list[bytes | str]:
    """The fields of an inbox entry holding a webhook's notification."""
    return ["data", encode_event(event), "by", receiver]


def inbox_gap_fields(receiver: str) -> list[bytes | str]:
    """The fields of a gap marker."""
    return ["gap", "1", "by", receiver]


def decode_inbox_entry(entry_id: bytes, fields: Sequence[bytes]) -> Any:
    """An inbox entry's notification, or :data:`GAP`.

    Raises:
        DecodeError: the entry is neither (not written by a bridge).
    """
    values = dict(zip(fields[::2], fields[1::2], strict=False))
    if values.get(b"gap") == b"1":
        return GAP
    data = values.get(b"data")
    if data is None:
        raise DecodeError(f"inbox entry {entry_id.decode()} was not written by a bridge", b"")
    return decode_notification(data)


def decode_entry(entry_id: bytes, fields: Sequence[bytes], delivery_count: int = 1) -> Delivery:
    """A stream entry (``XREADGROUP``/``XAUTOCLAIM`` form) as a :class:`Delivery`.

    Raises:
        DecodeError: the entry is not one a bridge wrote.
    """
    values = dict(zip(fields[::2], fields[1::2], strict=False))
    data = values.get(b"data")
    sequence = values.get(b"seq")
    if data is None or sequence is None:
        raise DecodeError(
            f"stream entry {entry_id.decode()} was not written by a bridge", data or b""
        )
    return Delivery(
        decode_notification(data),
        synthetic=values.get(b"synthetic") == b"1",
        source="stream",
        sequence=int(sequence),
        entry_id=entry_id.decode(),
        delivery_count=delivery_count,
    )


ACQUIRE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local fence = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], fence .. ':' .. ARGV[1], 'PX', ARGV[2])
return fence
"""
"""KEYS lease, fence; ARGV owner, ttl ms. The new fencing token, or nil if the lease is held."""

RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
"""KEYS lease; ARGV lease value, ttl ms. 1 if still ours (and extended), else 0."""

RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
"""KEYS lease; ARGV lease value. Gives the lease up (if still ours) for a fast takeover."""

APPEND = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return redis.error_reply('LEASELOST this bridge does not hold the lease')
end
local events, rooms = tonumber(ARGV[4]), tonumber(ARGV[5])
local i, seq = 7, 0
for _ = 1, events do
  seq = redis.call('INCR', KEYS[2])
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[3], '*',
    'seq', seq, 'kind', ARGV[i], 'room', ARGV[i + 1], 'synthetic', ARGV[i + 2],
    'fence', ARGV[2], 'data', ARGV[i + 3])
  i = i + 4
end
for _ = 1, rooms do
  if ARGV[i + 1] == '' then
    redis.call('HDEL', KEYS[4], ARGV[i])
  else
    redis.call('HSET', KEYS[4], ARGV[i], ARGV[i + 1])
  end
  i = i + 2
end
if ARGV[6] ~= '' then
  redis.call('SET', KEYS[5], ARGV[6])
  redis.call('XTRIM', KEYS[6], 'MINID', '~', ARGV[6])
end
return seq
"""
"""KEYS lease, seq, stream, state, inbox cursor, inbox; ARGV lease value, fence, maxlen,
n events, n rooms, inbox cursor ("" when the events came from no inbox), then 4 per event
(kind, room, synthetic, data), then 2 per room (id, JSON or "" to delete). Checks the lease
first: a bridge that lost it appends nothing (``LEASELOST``); stores the inbox cursor with
the entries and trims the inbox up to it. Returns the last sequence appended."""
