"""The corpus of malformed tokens and addresses every entry point is tried with (the SDK's
constructors in tests/rest/test_hostile_input.py, the CLI in tests/cli), and what a crash
reporter records of an error, where no token may show (tests/rest/test_secrets.py too)."""

from __future__ import annotations

import traceback
from collections.abc import Iterator

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


def exceptions_in(error: BaseException) -> Iterator[BaseException]:
    """``error`` and every exception chained to it (causes and contexts), once each."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending += [current.__cause__, current.__context__]


def captured_reprs(error: BaseException, *, caller: bool = True) -> Iterator[tuple[str, str]]:
    """(where, repr) of everything a locals-capturing reporter (Sentry) records for ``error``.

    The repr of each exception of the chain, of each local of every frame of their
    tracebacks, and of the attributes of the SDK's own objects among those locals (one
    level down, as a reporter that expands objects shows them). ``caller=False`` leaves
    out the frame that caught ``error`` (the test's own, whose locals are the test's).
    """
    for exc in exceptions_in(error):
        yield type(exc).__name__, repr(exc)
        tb = exc.__traceback__
        if exc is error and not caller and tb is not None:
            tb = tb.tb_next
        for frame, _ in traceback.walk_tb(tb):
            where = f"{frame.f_code.co_filename}:{frame.f_code.co_name}"
            for name, value in frame.f_locals.items():
                yield f"{where}:{name}", repr(value)
                if type(value).__module__.startswith("jellyfish") and hasattr(value, "__dict__"):
                    for attribute, inner in vars(value).items():
                        yield f"{where}:{name}.{attribute}", repr(inner)
