"""Generate the blocking REST client, and its tests, from the async ones (httpcore's unasync).

The REST API objects are written once, as async code, and so are their integration tests.
This script rewrites each async source (``FILES``) into its blocking twin: ``async``/``await``
removed, async names mapped to their blocking counterparts (the tables below), then ``ruff``
sorts the imports and formats the result. The output is committed, marked as generated.

Every rule must match somewhere: a rule that matched nothing in any source (a docstring
that was reflowed, a name that was renamed) stops the generation, as httpcore's script does,
instead of leaving the async wording in the blocking module. To add a rule, append it to
``PHRASES`` (exact text, replaced first) or ``NAMES`` (whole words).

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

# async source -> generated blocking twin, relative to the repository root
FILES = {
    "src/jellyfish/api/_async_client.py": "src/jellyfish/api/_sync_client.py",
    "src/jellyfish/api/_async_room_api.py": "src/jellyfish/api/_room_api.py",
    "src/jellyfish/api/_async_recording_api.py": "src/jellyfish/api/_recording_api.py",
    "tests/rest/test_rest_async.py": "tests/rest/test_rest_sync.py",
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
    # tests: anyio runs the async ones on both backends; the blocking ones need no marker
    ("pytestmark = pytest.mark.anyio\n", ""),
    (
        "The blocking twin, test_rest_sync.py, is generated from this file",
        "This file is generated from its async twin, test_rest_async.py,",
    ),
    ("edit this file, not the twin.", "edit that file, not this one."),
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


class UnusedRules(SystemExit):
    """Some rules matched nothing in any source."""


def unasync(source_name: str, text: str, used: set[str] | None = None) -> str:
    """The blocking module for the async ``text`` (before ruff).

    Adds the rules that matched to ``used`` (their keys: the phrase, the keyword pattern,
    the name), for :func:`unasync_all` to find the ones that matched nothing.
    """
    used = set() if used is None else used
    for old, new in PHRASES:
        if old in text:
            used.add(old)
            text = text.replace(old, new)
    for pattern, replacement in KEYWORDS:
        text, count = re.subn(pattern, replacement, text)
        if count:
            used.add(pattern)

    def rename(match: re.Match[str]) -> str:
        used.add(match.group(1))
        return NAMES[match.group(1)]

    text = NAME_PATTERN.sub(rename, text)
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type == tokenize.NAME and LEFTOVER.fullmatch(token.string):
            raise SystemExit(
                f"{source_name}:{token.start[0]}: {token.string!r} has no blocking "
                "counterpart; add it to codegen/unasync_rest.py or move it to _async_io/_sync_io"
            )
    return HEADER.format(source=source_name) + text


def unasync_all() -> dict[str, str]:
    """Every blocking twin (target path -> text before ruff); stops if a rule matched nothing."""
    used: set[str] = set()
    generated = {
        target: unasync(Path(source).name, (ROOT / source).read_text(), used)
        for source, target in FILES.items()
    }
    rules = [old for old, _ in PHRASES] + [pattern for pattern, _ in KEYWORDS] + list(NAMES)
    unused = [rule for rule in rules if rule not in used]
    if unused:
        raise UnusedRules(
            "codegen/unasync_rest.py: these rules matched nothing in "
            f"{', '.join(FILES)}:\n"
            + "".join(f"  {rule!r}\n" for rule in unused)
            + "Was the text reflowed or renamed? Update the rule to the new text, or remove "
            "it if its text is gone on purpose."
        )
    return generated


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
    sources = {target: source for source, target in FILES.items()}
    for target_name, text in unasync_all().items():
        target = ROOT / target_name
        expected = ruff(text, target)
        current = target.read_text() if target.exists() else ""
        if current == expected:
            continue
        stale.append(target_name)
        if args.check:
            diff = difflib.unified_diff(
                current.splitlines(keepends=True),
                expected.splitlines(keepends=True),
                f"{target_name} (committed)",
                f"{target_name} (generated from {sources[target_name]})",
            )
            sys.stdout.writelines(diff)
        else:
            target.write_text(expected)
            print(f"wrote {target_name}")
    if args.check and stale:
        print(
            f"\n{', '.join(stale)}: not what the async sources generate. Edit the async "
            "source, then run `nox -s unasync`.",
            file=sys.stderr,
        )
        return 1
    if args.check:
        print("the blocking twins match their async sources")
    return 0


if __name__ == "__main__":
    sys.exit(main())
