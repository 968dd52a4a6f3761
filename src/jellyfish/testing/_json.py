"""JSON the way Jellyfish's parser (Jason) reads and writes it."""

from __future__ import annotations

import json
import re
from typing import Any


def has_lone_surrogate(value: Any) -> bool:
    """True if a decoded JSON value holds an unpaired UTF-16 surrogate (Jason rejects those)."""
    pending = [value]
    while pending:  # iterative: bodies may nest deeper than Python's recursion limit
        item = pending.pop()
        if isinstance(item, str):
            if any("\ud800" <= char <= "\udfff" for char in item):
                return True
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
    return False


def decode_json(data: str | bytes) -> Any:
    """JSON the way Jason decodes it: no NaN/Infinity, no lone surrogates (ValueError).

    Jason has no nesting limit; a document nested deeper than Python's recursion limit is
    decoded by :func:`decode_deep_json` instead of failing.
    """
    try:
        value = json.loads(data, parse_constant=_reject_constant)
    except RecursionError:
        value = decode_deep_json(data.decode("utf-8") if isinstance(data, bytes) else data)
    if (b"\\u" in data if isinstance(data, bytes) else "\\u" in data) and has_lone_surrogate(value):
        raise ValueError("unpaired surrogate in JSON string")
    return value


def _reject_constant(name: str) -> Any:
    raise ValueError(f"invalid JSON constant {name}")


_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_JSON_SPACE = re.compile(r"[ \t\n\r]*")
_JSON_LITERALS = (("true", True), ("false", False), ("null", None))
_NO_VALUE = object()


def decode_deep_json(text: str) -> Any:
    """Decode JSON without recursion (any nesting depth); ValueError if it is not JSON."""
    try:
        return _decode_deep(text)
    except IndexError:
        raise ValueError("unexpected end of JSON") from None


def _decode_deep(text: str) -> Any:
    def space(position: int) -> int:
        match = _JSON_SPACE.match(text, position)
        return match.end() if match else position

    def key(position: int) -> tuple[str, int]:
        if text[position] != '"':
            raise ValueError(f"expected an object key at {position}")
        name, position = json.decoder.scanstring(text, position + 1, True)  # type: ignore[attr-defined]
        position = space(position)
        if text[position] != ":":
            raise ValueError(f"expected ':' at {position}")
        return str(name), space(position + 1)

    stack: list[tuple[dict[str, Any] | list[Any], str]] = []
    position = space(0)
    value: Any = _NO_VALUE
    while True:
        if value is _NO_VALUE:
            char = text[position]
            if char == "{":
                position = space(position + 1)
                if text[position] == "}":
                    value, position = {}, position + 1
                else:
                    name, position = key(position)
                    stack.append(({}, name))
                    continue
            elif char == "[":
                position = space(position + 1)
                if text[position] == "]":
                    value, position = [], position + 1
                else:
                    stack.append(([], ""))
                    continue
            elif char == '"':
                value, position = json.decoder.scanstring(text, position + 1, True)  # type: ignore[attr-defined]
            else:
                for literal, literal_value in _JSON_LITERALS:
                    if text.startswith(literal, position):
                        value, position = literal_value, position + len(literal)
                        break
                else:
                    match = _JSON_NUMBER.match(text, position)
                    if match is None:
                        raise ValueError(f"unexpected character at {position}")
                    number = match.group()
                    value = float(number) if match.group(1) or match.group(2) else int(number)
                    position = match.end()
        position = space(position)
        if not stack:
            if position != len(text):
                raise ValueError(f"extra data at {position}")
            return value
        container, name = stack[-1]
        if isinstance(container, dict):
            container[name] = value
        else:
            container.append(value)
        value = _NO_VALUE
        char = text[position]
        if char == ",":
            position = space(position + 1)
            if isinstance(container, dict):
                name, position = key(position)
                stack[-1] = (container, name)
            continue
        if char == ("}" if isinstance(container, dict) else "]"):
            stack.pop()
            value, position = container, position + 1
            continue
        raise ValueError(f"unexpected character at {position}")


def encode_json(value: Any) -> str:
    """JSON the way Jason encodes it (compact, UTF-8)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
