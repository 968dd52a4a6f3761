"""Run each ```python block of one Markdown file alone, as a reader who copies it would.

``python tests/docs/_run_blocks.py FILE.md RESULTS.jsonl`` writes one JSON line per runnable block:
``{"ordinal": n, "line": l, "status": "ok" | "failed" | "timeout", "error": "..."}``.

The rules a block is held to (the page's reader sees each of them):

* Each block runs in a fresh namespace: it needs its own imports and defines what it uses.
* A block whose first line is ``# continues the block above`` goes on from the python
  block before it: it runs joined to that block (and to what that one continues).
* Top-level ``await`` / ``async with`` / ``async for`` is allowed only where the page says
  the code is inside an async function or typed into an asyncio REPL: the block's own
  comments, or the paragraph just before it, say "async function" or "REPL". Such a block
  runs in ``anyio.run`` (asyncio); anywhere else it is the ``SyntaxError`` a reader gets.
* A block that defines ``test_*`` functions is a test module: it runs under pytest, in a
  directory whose ``conftest.py`` enables the plugin as docs/testing.md tells readers to
  (``pytest_plugins = ["jellyfish.testing.pytest_plugin"]``), without ``JELLYFISH_ADDRESS``
  (so the fixtures start their own emulators). Its tests must pass, none skipped.
* A block preceded by ``<!-- fragment: why -->`` is not run (the reason says why, and
  where it is tested instead).

Each block has ``BLOCK_TIMEOUT`` seconds (SIGALRM interrupts it, sockets included); a
failing block does not stop the next ones, so one run reports every failing block of the page.

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
import subprocess
import sys
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import anyio

BLOCK_TIMEOUT = float(os.environ.get("DOCS_BLOCK_TIMEOUT", "10"))
# A test module starts an interpreter, pytest and an emulator per test: on a loaded machine
# that alone can take seconds, so it gets a larger budget (a hang still ends in a timeout).
TEST_MODULE_TIMEOUT = 6 * BLOCK_TIMEOUT
FENCE = re.compile(r"^```python[^\n]*\n(.*?)^```", re.S | re.M)
FRAGMENT = re.compile(r"^<!-- fragment: (.+?) -->$")
CONTINUES = "# continues the block above"
# What tells the reader that top-level `await` stands for code inside an async function.
ASYNC_CONTEXT = re.compile(r"\b(?:in|inside|from) an async function|\bREPL\b", re.IGNORECASE)


class BlockTimeout(Exception):
    """The block ran longer than BLOCK_TIMEOUT."""


@dataclass(frozen=True)
class Block:
    """One ```python block of a page."""

    ordinal: int  # 1 for the page's first python block
    line: int  # of the opening fence
    code: str
    fragment: str | None  # the reason, for a block that is not run
    continues: bool  # goes on from the python block before it
    async_context: bool  # the page says it runs inside an async function / a REPL

    @property
    def runs(self) -> bool:
        return self.fragment is None


def python_blocks(text: str) -> list[Block]:
    """Every ```python block of ``text``, in order."""
    lines = text.splitlines()
    blocks = []
    previous_end = 0
    for ordinal, match in enumerate(FENCE.finditer(text), start=1):
        line = text.count("\n", 0, match.start()) + 1
        before = lines[line - 2].strip() if line >= 2 else ""
        fragment = FRAGMENT.match(before)
        code = match.group(1)
        # the prose between the previous block (or the start) and this one: its last paragraph
        prose = text[previous_end : match.start()].strip().split("\n\n")[-1]
        comments = "\n".join(c for c in code.splitlines() if c.lstrip().startswith("#"))
        blocks.append(
            Block(
                ordinal=ordinal,
                line=line,
                code=code,
                fragment=fragment.group(1) if fragment else None,
                continues=code.startswith(CONTINUES),
                async_context=bool(ASYNC_CONTEXT.search(prose + "\n" + comments)),
            )
        )
        previous_end = match.end()
    return blocks


def chain(blocks: list[Block], block: Block) -> list[Block]:
    """``block``, after every block it continues, in page order."""
    joined = [block]
    while joined[0].continues:
        earlier = [b for b in blocks if b.ordinal < joined[0].ordinal]
        if not earlier:
            raise ValueError(f"block {block.ordinal} continues a block, but none comes before")
        joined.insert(0, earlier[-1])
    return joined


def is_test_module(code: str) -> bool:
    """True if ``code`` defines top-level ``test_*`` functions (pytest collects it)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return False
    return any(
        isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test")
        for node in tree.body
    )


def run_test_module(code: str) -> None:
    """Run ``code`` as a pytest module, as a reader would; AssertionError unless all pass."""
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        (folder / "pytest.ini").write_text("[pytest]\n")
        (folder / "conftest.py").write_text(
            'pytest_plugins = ["jellyfish.testing.pytest_plugin"]\n'
        )
        (folder / "test_doc_block.py").write_text(code)
        env = {k: v for k, v in os.environ.items() if not k.startswith("JELLYFISH_")}
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider"],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=TEST_MODULE_TIMEOUT,
            check=False,
        )
    if run.returncode != 0 or " skipped" in run.stdout or " passed" not in run.stdout:
        raise AssertionError(f"pytest on the block:\n{run.stdout[-3000:]}{run.stderr[-2000:]}")


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise BlockTimeout(f"still running after {BLOCK_TIMEOUT:g} s")


def run_block(code: str, filename: str, *, allow_top_level_await: bool) -> None:
    """Run ``code`` in a namespace of its own, as ``python`` runs a script."""
    namespace: dict[str, Any] = {"__name__": "__main__"}
    flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT if allow_top_level_await else 0
    compiled = compile(code, filename, "exec", flags=flags)
    result = eval(compiled, namespace)  # a coroutine when the block awaits at top level
    if result is not None:

        async def main() -> None:
            await result

        anyio.run(main)


def main(argv: list[str]) -> int:
    from jellyfish.testing import JellyfishServer

    page, results_path = Path(argv[0]), Path(argv[1])
    signal.signal(signal.SIGALRM, _alarm)
    blocks = python_blocks(page.read_text(encoding="utf-8"))
    with (
        results_path.open("w", encoding="utf-8") as results,
        JellyfishServer(host="127.0.0.1", port=5002, webhook_loopback_only=True) as server,
    ):
        os.environ["JELLYFISH_ADDRESS"] = server.address
        os.environ["JELLYFISH_TOKEN"] = server.token
        for block in blocks:
            if not block.runs:
                continue
            status, error = "ok", ""
            joined = chain(blocks, block)
            code = "".join(b.code for b in joined)
            test_module = is_test_module(code)
            if not test_module:  # pytest runs in a child process, with its own timeout
                signal.setitimer(signal.ITIMER_REAL, BLOCK_TIMEOUT)
            try:
                if test_module:
                    run_test_module(code)
                else:
                    run_block(
                        code,
                        f"{page}:{block.line}",
                        allow_top_level_await=any(b.async_context for b in joined),
                    )
            except BlockTimeout:
                status, error = "timeout", f"still running after {BLOCK_TIMEOUT:g} s"
            except subprocess.TimeoutExpired:
                status, error = "timeout", f"pytest still running after {TEST_MODULE_TIMEOUT:g} s"
            except BaseException:  # SystemExit and KeyboardInterrupt are failures too
                status = "failed"
                error = traceback.format_exc(limit=-3)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            record = {"ordinal": block.ordinal, "line": block.line, "status": status}
            results.write(json.dumps({**record, "error": error}) + "\n")
            results.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
