"""The corpus of malformed tokens and addresses every entry point is tried with (the SDK's
constructors in tests/rest/test_hostile_input.py, the CLI in tests/cli)."""

from __future__ import annotations

SECRET = "tok-SECRET-93e1c"
"""The part of every malformed token below that must never show."""

MALFORMED_TOKENS = {
    "empty": ("", "is empty"),
    "trailing newline": (SECRET + "\n", "ends with a line break (read from a file? strip it)"),
    "trailing CRLF": (SECRET + "\r\n", "ends with a line break"),
    "leading space": (" " + SECRET, "has leading or trailing whitespace: strip it"),
    "trailing nbsp": (SECRET + "\xa0", "has leading or trailing whitespace: strip it"),
    "NUL inside": (SECRET.replace("-", "\x00", 1), "contains a control character"),
    "escape sequence": (SECRET.replace("-", "\x1b[2J", 1), "contains a control character"),
    "DEL inside": (SECRET.replace("-", "\x7f", 1), "contains a control character"),
    "nbsp inside": (SECRET.replace("-", "\xa0", 1), "contains a non-ASCII character"),
    "typographic quote": ("\u201c" + SECRET + "\u201d", "contains a non-ASCII character"),
    "accented letter": (SECRET.replace("o", "\u00f6", 1), "contains a non-ASCII character"),
    "space inside": (SECRET.replace("-", " ", 1), "contains a space"),
}

BAD_ADDRESSES = {
    "127.0.0.1:99999": "the port 99999 is out of range (1-65535)",
    "127.0.0.1:abc": "the port 'abc' is not a number",
    "127.0.0.1:": "empty port",
    "localhost:5002/api": "a path, query or fragment is not allowed (host:port only)",
    "ftp://localhost:5002": "unsupported scheme 'ftp'",
    "::1:5002": "an IPv6 address needs brackets, e.g. [::1]:5002",
    "": "it is empty",
}
