"""The part of Erlang's external term format that Phoenix tokens carry (``term_to_binary``).

Enough to encode ``{%{peer_id: "...", room_id: "..."}, signed_at_ms, max_age}`` the way
OTP 26 does (atoms as ``SMALL_ATOM_UTF8_EXT``, strings as binaries) and to decode any term
built from integers, floats, atoms, binaries, tuples, lists and maps. Atoms decode to
:class:`Atom`, binaries to ``bytes``, tuples to ``tuple``, maps to ``dict``.
"""

from __future__ import annotations

import struct
from typing import Any

VERSION = 131
SMALL_INTEGER_EXT = 97
INTEGER_EXT = 98
FLOAT_EXT = 99
ATOM_EXT = 100
SMALL_TUPLE_EXT = 104
LARGE_TUPLE_EXT = 105
NIL_EXT = 106
STRING_EXT = 107
LIST_EXT = 108
BINARY_EXT = 109
SMALL_BIG_EXT = 110
LARGE_BIG_EXT = 111
MAP_EXT = 116
ATOM_UTF8_EXT = 118
SMALL_ATOM_UTF8_EXT = 119
SMALL_ATOM_EXT = 115
NEW_FLOAT_EXT = 70


class Atom(str):
    """An Erlang atom (a ``str`` subclass, so ``Atom("peer_id") == "peer_id"``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Atom({str(self)!r})"


class TermError(ValueError):
    """Bytes that are not a term this module decodes."""


# --- encoding ---------------------------------------------------------------------------------


def encode(term: Any) -> bytes:
    """``:erlang.term_to_binary(term)`` for the supported types."""
    out = bytearray([VERSION])
    _encode(term, out)
    return bytes(out)


def _encode(term: Any, out: bytearray) -> None:
    if isinstance(term, Atom):
        name = term.encode("utf-8")
        if len(name) > 255:
            raise TermError("atom too long")
        out += bytes([SMALL_ATOM_UTF8_EXT, len(name)]) + name
    elif isinstance(term, bool):
        _encode(Atom("true" if term else "false"), out)
    elif isinstance(term, int):
        _encode_integer(term, out)
    elif isinstance(term, bytes | str):
        data = term.encode("utf-8") if isinstance(term, str) else term
        out += bytes([BINARY_EXT]) + struct.pack(">I", len(data)) + data
    elif isinstance(term, tuple):
        if len(term) < 256:
            out += bytes([SMALL_TUPLE_EXT, len(term)])
        else:
            out += bytes([LARGE_TUPLE_EXT]) + struct.pack(">I", len(term))
        for item in term:
            _encode(item, out)
    elif isinstance(term, dict):
        out += bytes([MAP_EXT]) + struct.pack(">I", len(term))
        # A small map's keys are in term order; for atom keys that is alphabetical.
        for key in sorted(term):
            _encode(key, out)
            _encode(term[key], out)
    else:
        raise TermError(f"cannot encode {type(term).__name__}")


def _encode_integer(value: int, out: bytearray) -> None:
    if 0 <= value <= 255:
        out += bytes([SMALL_INTEGER_EXT, value])
    elif -(2**31) <= value < 2**31:
        out += bytes([INTEGER_EXT]) + struct.pack(">i", value)
    else:
        magnitude = abs(value)
        digits = magnitude.to_bytes((magnitude.bit_length() + 7) // 8, "little")
        if len(digits) < 256:
            out += bytes([SMALL_BIG_EXT, len(digits), int(value < 0)]) + digits
        else:
            out += bytes([LARGE_BIG_EXT]) + struct.pack(">IB", len(digits), int(value < 0)) + digits


# --- decoding ---------------------------------------------------------------------------------


def decode(data: bytes) -> Any:
    """``:erlang.binary_to_term(data)`` for the supported types; :class:`TermError` if not."""
    if not data or data[0] != VERSION:
        raise TermError("not an external term (no version byte 131)")
    try:
        term, position = _decode(data, 1)
    except (IndexError, struct.error, UnicodeDecodeError, RecursionError) as error:
        raise TermError(f"truncated or malformed term: {error}") from None
    if position != len(data):
        raise TermError("trailing bytes after the term")
    return term


def _decode(data: bytes, position: int) -> tuple[Any, int]:
    tag = data[position]
    position += 1
    if tag == SMALL_INTEGER_EXT:
        return data[position], position + 1
    if tag == INTEGER_EXT:
        return struct.unpack_from(">i", data, position)[0], position + 4
    if tag in (SMALL_BIG_EXT, LARGE_BIG_EXT):
        if tag == SMALL_BIG_EXT:
            length, sign = data[position], data[position + 1]
            position += 2
        else:
            length, sign = struct.unpack_from(">IB", data, position)
            position += 5
        digits = data[position : position + length]
        if len(digits) != length:
            raise IndexError("big integer digits")
        magnitude = int.from_bytes(digits, "little")
        return (-magnitude if sign else magnitude), position + length
    if tag == NEW_FLOAT_EXT:
        return struct.unpack_from(">d", data, position)[0], position + 8
    if tag == FLOAT_EXT:
        field = data[position : position + 31]
        if len(field) != 31:
            raise IndexError("float")
        try:
            return float(field.split(b"\0", 1)[0].decode("ascii")), position + 31
        except ValueError:  # UnicodeDecodeError included
            raise TermError("a FLOAT_EXT that is not a float") from None
    if tag in (ATOM_EXT, ATOM_UTF8_EXT):
        length = struct.unpack_from(">H", data, position)[0]
        return _atom(data, position + 2, length, tag == ATOM_UTF8_EXT)
    if tag in (SMALL_ATOM_EXT, SMALL_ATOM_UTF8_EXT):
        return _atom(data, position + 1, data[position], tag == SMALL_ATOM_UTF8_EXT)
    if tag == BINARY_EXT:
        length = struct.unpack_from(">I", data, position)[0]
        position += 4
        value = data[position : position + length]
        if len(value) != length:
            raise IndexError("binary")
        return bytes(value), position + length
    if tag in (SMALL_TUPLE_EXT, LARGE_TUPLE_EXT):
        if tag == SMALL_TUPLE_EXT:
            arity, position = data[position], position + 1
        else:
            arity, position = struct.unpack_from(">I", data, position)[0], position + 4
        items = []
        for _ in range(arity):
            item, position = _decode(data, position)
            items.append(item)
        return tuple(items), position
    if tag == NIL_EXT:
        return [], position
    if tag == STRING_EXT:
        length = struct.unpack_from(">H", data, position)[0]
        position += 2
        return list(data[position : position + length]), position + length
    if tag == LIST_EXT:
        length = struct.unpack_from(">I", data, position)[0]
        position += 4
        elements = []
        for _ in range(length):
            item, position = _decode(data, position)
            elements.append(item)
        tail, position = _decode(data, position)
        if tail != []:
            raise TermError("improper lists are not supported")
        return elements, position
    if tag == MAP_EXT:
        arity = struct.unpack_from(">I", data, position)[0]
        position += 4
        result: dict[Any, Any] = {}
        for _ in range(arity):
            key, position = _decode(data, position)
            value, position = _decode(data, position)
            try:
                result[key] = value
            except TypeError:
                raise TermError("unhashable map key") from None
        return result, position
    raise TermError(f"unsupported term tag {tag}")


def _atom(data: bytes, position: int, length: int, utf8: bool) -> tuple[Atom, int]:
    raw = data[position : position + length]
    if len(raw) != length:
        raise IndexError("atom")
    return Atom(raw.decode("utf-8" if utf8 else "latin-1")), position + length
