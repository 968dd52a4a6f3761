"""The one source of the error tables in docs/errors.md and docs/notifications.md.

For every class of ``jellyfish.errors`` it says when it is raised and whether to retry;
the bases come from the classes themselves. ``python tests/docs/errors_table.py`` writes
both tables between their markers (``<!-- errors-table: all -->`` and ``<!-- errors-table:
notifier -->``, each closed by ``<!-- /errors-table -->``); tests/docs/test_errors_table.py
fails when a page differs from what this file renders.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from jellyfish import errors

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGES = {"all": DOCS / "errors.md", "notifier": DOCS / "notifications.md"}

ROWS: dict[str, tuple[str, str]] = {
    "JellyfishError": ("never itself: the root, for `except JellyfishError`", "—"),
    "HTTPError": (
        "the server answered a REST call with a non-2xx status; carries `status_code`, "
        "`message`, `method`, `path`",
        "see the subclass",
    ),
    "BadRequestError": (
        "400: the server rejected the request (`message` says why)",
        "no: fix the request",
    ),
    "UnauthorizedError": ("401: the server API token is missing or wrong", "no: fix the token"),
    "NotFoundError": (
        "404: the room, peer, component, recording or file does not exist on that node",
        "no",
    ),
    "NotAcceptableError": ("406: the request's `Accept` header names no JSON type", "no"),
    "ServiceUnavailableError": (
        "503: for example, the room has reached its peer limit",
        "later, once the cause is gone",
    ),
    "ServerError": (
        "another 5xx: the server failed while handling the call (500 when a room crashes)",
        "with care: the call may have been applied",
    ),
    "UnexpectedStatusError": (
        "a non-2xx status the Jellyfish API does not document (409, 3xx, ...)",
        "no",
    ),
    "TransportError": ("no usable answer at all; carries `message`, `url`", "see the subclass"),
    "ConnectionFailedError": (
        "a REST call or a notifier could not connect, or the connection broke (refused, "
        "reset, DNS); a notifier's WebSocket upgrade was refused (an HTTP status)",
        "yes (the notifiers retry on their own, per `ReconnectPolicy`)",
    ),
    "RequestTimeoutError": (
        "a REST call was not answered in time",
        "reads yes; a write may have been applied: look before you retry",
    ),
    "TLSError": (
        "the TLS handshake failed (e.g. the certificate did not verify)",
        "no: fix the TLS setup (a notifier retries it by policy after a first connection)",
    ),
    "DecodeError": (
        "bytes that are not a Jellyfish `ServerMessage` (a webhook body, a frame) or a body "
        "in the wrong format; carries `data`",
        "no",
    ),
    "NotifierError": ("never itself: the root of the notifier's errors", "—"),
    "InvalidTokenError": (
        "the server rejected the notifier's token (close 1000 `invalid token`)",
        "no: final",
    ),
    "ProtocolError": (
        "the client refused what the server sent: a frame (text, masked, reserved bits, over "
        "`max_size`, an invalid close code), an invalid WebSocket upgrade answer (wrong "
        "`Sec-WebSocket-Accept`, no `Upgrade`, not HTTP, an extension or subprotocol "
        "nobody asked for), an unexpected handshake message; or the server refused the "
        "SDK's messages (close 1003, `invalid auth request`)",
        "what the client refused: yes (the notifiers retry by policy); the server's "
        "refusals: no, final",
    ),
    "NotifierTimeoutError": (
        "no WebSocket upgrade, `authenticated`, subscription acknowledgement (also from "
        "`subscribe()`) or pong within the notifier's `Timeouts`; a write the server does "
        "not take within `Timeouts.send`; `wait_ready(timeout)`",
        "yes (the notifiers retry on their own; not `wait_ready`)",
    ),
    "NotifierClosedError": (
        "the connection closed (a server restart, a network cut) and the notifier will "
        "not reconnect any more, or it was closed (`wait_ready` after `close()`); carries "
        "`code`, `reason`",
        "the notifiers retry a closed connection on their own; once raised: no",
    ),
}

NOTIFIER_ERRORS = [
    "ConnectionFailedError",
    "TLSError",
    "InvalidTokenError",
    "ProtocolError",
    "NotifierTimeoutError",
    "NotifierClosedError",
]
"""What a notifier raises (docs/notifications.md's table), in the order a user meets them."""

_BLOCK = re.compile(r"(<!-- errors-table: (\w+) -->\n)(.*?)(<!-- /errors-table -->)", re.DOTALL)


def render(names: list[str]) -> str:
    """The Markdown table of ``names``: class, bases (from the classes), when, retry."""
    lines = ["| class | bases | raised when | retry? |", "| --- | --- | --- | --- |"]
    for name in names:
        bases = ", ".join(f"`{base.__name__}`" for base in getattr(errors, name).__bases__)
        when, retry = ROWS[name]
        lines.append(f"| `{name}` | {bases} | {when} | {retry} |")
    return "\n".join(lines) + "\n"


def expected(page: str) -> str:
    """The whole page as it must be: every marked table rendered from :data:`ROWS`."""
    text = PAGES[page].read_text(encoding="utf-8")

    def fill(match: re.Match[str]) -> str:
        names = list(ROWS) if match[2] == "all" else NOTIFIER_ERRORS
        return match[1] + render(names) + match[4]

    filled, count = _BLOCK.subn(fill, text)
    assert count == 1, f"{PAGES[page]} needs one <!-- errors-table: {page} --> block"
    return filled


if __name__ == "__main__":
    for name, path in PAGES.items():
        path.write_text(expected(name), encoding="utf-8")
        print(f"wrote the {name} errors table in {path}", file=sys.stderr)
