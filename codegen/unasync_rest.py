"""Generate the blocking REST client from the async one (httpcore's unasync approach).

The REST API objects are written once, as async code. This script rewrites each async
source in ``src/jellyfish/api`` into its blocking twin: ``async``/``await`` removed, async
names mapped to their blocking counterparts (the table below), then ``ruff`` sorts the
imports and formats the result. The output is committed, marked as generated.

    python codegen/unasync_rest.py            # rewrite the blocking files
    python codegen/unasync_rest.py --check    # exit 1 if any of them is not what it would write

Run through ``nox -s unasync`` (``-- --check`` in CI), which pins ruff as ``nox -s lint`` does.
"""

from __future__ import annotations

import argparse
import difflib
import io
import re
import subprocess
import sys
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
API = ROOT / "src" / "jellyfish" / "api"

# async source -> generated blocking module
FILES = {
    "_async_client.py": "_sync_client.py",
    "_async_room_api.py": "_room_api.py",
    "_async_recording_api.py": "_recording_api.py",
}

# Whole phrases first (docstrings that say which flavour they describe), in this order.
PHRASES = [
    ("(async: asyncio and trio)", "(blocking)"),
    ("the async API objects", "the blocking API objects"),
    (
        "The pool is created lazily by the first call, inside the running event loop; a call\n"
        "    from a different event loop (a second ``asyncio.run``) gets a fresh pool.",
        "The pool is created by the first call and shared by every thread.",
    ),
    ("Use it from one event loop at a\n    time.", "It is safe to share between\n    threads."),
    ("or use it as ``async with``", "or use it as a ``with`` block"),
    ("httpx.AsyncClient", "httpx.Client"),
]

# Then keywords and names (whole words).
KEYWORDS = [
    (r"\basync def ", "def "),
    (r"\basync with ", "with "),
    (r"\basync for ", "for "),
    (r"\bawait ", ""),
]
NAMES = {
    "AsyncClient": "SyncClient",
    "AsyncRoomApi": "RoomApi",
    "AsyncRecordingApi": "RecordingApi",
    "_async_client": "_sync_client",
    "_async_io": "_sync_io",
    "_async_room_api": "_room_api",
    "_async_recording_api": "_recording_api",
    "AsyncIterator": "Iterator",
    "AbstractAsyncContextManager": "AbstractContextManager",
    "asynccontextmanager": "contextmanager",
    "aclose": "close",
    "aread": "read",
    "aiter_bytes": "iter_bytes",
    "__aenter__": "__enter__",
    "__aexit__": "__exit__",
    "__aiter__": "__iter__",
    "__anext__": "__next__",
}
NAME_PATTERN = re.compile(r"\b(" + "|".join(map(re.escape, NAMES)) + r")\b")
# Code names that must not survive the rewrite (prose in docstrings may say "async").
LEFTOVER = re.compile(r"async|await|Async\w*|a(close|read|iter)\w*|\w*anyio\w*")
HEADER = "# GENERATED from {source} by codegen/unasync_rest.py (nox -s unasync); do not edit.\n"


def unasync(source_name: str, text: str) -> str:
    """The blocking module for the async ``text`` (before ruff)."""
    for old, new in PHRASES:
        text = text.replace(old, new)
    for pattern, replacement in KEYWORDS:
        text = re.sub(pattern, replacement, text)
    text = NAME_PATTERN.sub(lambda match: NAMES[match.group(1)], text)
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type == tokenize.NAME and LEFTOVER.fullmatch(token.string):
            raise SystemExit(
                f"{source_name}:{token.start[0]}: {token.string!r} has no blocking "
                "counterpart; add it to codegen/unasync_rest.py or move it to _async_io/_sync_io"
            )
    return HEADER.format(source=source_name) + text


def ruff(text: str, target: Path) -> str:
    """Imports sorted and code formatted with the project's ruff configuration."""
    for command in (["check", "--select", "I", "--fix", "--quiet"], ["format", "--quiet"]):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", *command, "--stdin-filename", str(target), "-"],
            input=text,
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        )
        if result.returncode != 0:
            raise SystemExit(f"ruff failed on the generated {target.name}:\n{result.stderr}")
        text = result.stdout
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 on drift")
    args = parser.parse_args(argv)
    stale = []
    for source_name, target_name in FILES.items():
        target = API / target_name
        expected = ruff(unasync(source_name, (API / source_name).read_text()), target)
        current = target.read_text() if target.exists() else ""
        if current == expected:
            continue
        stale.append(target_name)
        if args.check:
            diff = difflib.unified_diff(
                current.splitlines(keepends=True),
                expected.splitlines(keepends=True),
                f"{target_name} (committed)",
                f"{target_name} (generated from {source_name})",
            )
            sys.stdout.writelines(diff)
        else:
            target.write_text(expected)
            print(f"wrote src/jellyfish/api/{target_name}")
    if args.check and stale:
        print(
            f"\n{', '.join(stale)}: not what the async sources generate. Edit the async "
            "source, then run `nox -s unasync`.",
            file=sys.stderr,
        )
        return 1
    if args.check:
        print("the blocking REST modules match their async sources")
    return 0


if __name__ == "__main__":
    sys.exit(main())
