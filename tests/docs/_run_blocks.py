"""Run the ```python blocks of one Markdown file in order, in one namespace, against an emulator.

``python tests/docs/_run_blocks.py FILE.md RESULTS.jsonl`` writes one JSON line per runnable block:
``{"ordinal": n, "line": l, "status": "ok" | "failed" | "timeout", "error": "..."}``.

The page is read as its reader would: every block sees what earlier blocks defined. A block
with top-level ``await`` / ``async with`` / ``async for`` runs in ``anyio.run`` (asyncio).
Blocks preceded by ``<!-- fragment: why -->`` are skipped. Each block has
``BLOCK_TIMEOUT`` seconds (SIGALRM interrupts it, sockets included); a failing block does not
stop the next ones, so one run reports every failing block of the page.

An emulator (``jellyfish.testing``) listens on 127.0.0.1:5002 with the token ``development``,
the 0.4.0 defaults the docs use, and ``JELLYFISH_ADDRESS`` / ``JELLYFISH_TOKEN`` point at it
for blocks that take their settings from the environment. The test runs this script in a
private network namespace where it can, so the fixed port clashes with nothing.
"""

from __future__ import annotations

import ast
import json
import os
import re
import signal
import sys
import traceback
from pathlib import Path
from types import FrameType
from typing import Any

import anyio

from jellyfish.testing import JellyfishServer

BLOCK_TIMEOUT = float(os.environ.get("DOCS_BLOCK_TIMEOUT", "10"))
FENCE = re.compile(r"^```python[^\n]*\n(.*?)^```", re.S | re.M)
FRAGMENT = re.compile(r"^<!-- fragment: (.+?) -->$")


class BlockTimeout(Exception):
    """The block ran longer than BLOCK_TIMEOUT."""


def python_blocks(text: str) -> list[tuple[int, int, str, str | None]]:
    """(ordinal, line of the fence, code, fragment reason or None) for each python block."""
    lines = text.splitlines()
    blocks = []
    for ordinal, match in enumerate(FENCE.finditer(text), start=1):
        line = text.count("\n", 0, match.start()) + 1
        previous = lines[line - 2].strip() if line >= 2 else ""
        fragment = FRAGMENT.match(previous)
        blocks.append((ordinal, line, match.group(1), fragment.group(1) if fragment else None))
    return blocks


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise BlockTimeout(f"still running after {BLOCK_TIMEOUT:g} s")


def run_block(code: str, filename: str, namespace: dict[str, Any]) -> None:
    compiled = compile(code, filename, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    result = eval(compiled, namespace)  # a coroutine when the block awaits at top level
    if result is not None:

        async def main() -> None:
            await result

        anyio.run(main)


def main(argv: list[str]) -> int:
    page, results_path = Path(argv[0]), Path(argv[1])
    signal.signal(signal.SIGALRM, _alarm)
    namespace: dict[str, Any] = {"__name__": "__main__"}
    with (
        results_path.open("w", encoding="utf-8") as results,
        JellyfishServer(host="127.0.0.1", port=5002, webhook_loopback_only=True) as server,
    ):
        os.environ["JELLYFISH_ADDRESS"] = server.address
        os.environ["JELLYFISH_TOKEN"] = server.token
        for ordinal, line, code, fragment in python_blocks(page.read_text(encoding="utf-8")):
            if fragment is not None:
                continue
            status, error = "ok", ""
            signal.setitimer(signal.ITIMER_REAL, BLOCK_TIMEOUT)
            try:
                run_block(code, f"{page}:{line}", namespace)
            except BlockTimeout as timeout:
                status, error = "timeout", str(timeout)
            except BaseException:  # SystemExit and KeyboardInterrupt are failures too
                status = "failed"
                error = traceback.format_exc(limit=-3)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            record = {"ordinal": ordinal, "line": line, "status": status, "error": error}
            results.write(json.dumps(record) + "\n")
            results.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
