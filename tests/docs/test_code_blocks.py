"""Every ```python block of README.md and docs/*.md runs alone, as written, against the emulator.

Each block runs in a fresh namespace, as a reader who copies that one block runs it; a block
that goes on from the one above says so on its first line and runs joined to it; top-level
``await`` only where the page says the code is inside an async function (the rules are in
tests/docs/_run_blocks.py, and the tests at the end of this file show each rule failing a
block that breaks it). A block that is not meant to run is marked by
``<!-- fragment: why -->`` on the line directly before its fence.

Each page runs in its own process (tests/docs/_run_blocks.py, a timeout per block) with an
emulator on the docs' 0.4.0 defaults (127.0.0.1:5002, token ``development``) and
``JELLYFISH_ADDRESS`` / ``JELLYFISH_TOKEN`` set. Where ``unshare -rn`` works, each page gets a
private loopback, so the pages run in parallel and port 5002 clashes with nothing.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from docs._run_blocks import (
    BLOCK_TIMEOUT,
    TEST_MODULE_TIMEOUT,
    Block,
    chain,
    is_test_module,
    python_blocks,
    run_block,
)

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
RUNNER = Path(__file__).with_name("_run_blocks.py")

#: Blocks that fail today: (page, a snippet that only that block of the page contains) -> why.
#: Strict: a listed block that passes fails the test, so fixed blocks leave the list. Empty:
#: every documented example runs; fix a failing block rather than listing it.
KNOWN_FAILURES: dict[tuple[str, str], str] = {}


def _isolated() -> bool:
    if not shutil.which("unshare") or not shutil.which("ip"):
        return False
    probe = subprocess.run(["unshare", "-rn", "true"], capture_output=True, check=False)
    return probe.returncode == 0


def _command(page: Path, results: Path, isolated: bool) -> list[str]:
    command = [sys.executable, str(RUNNER), str(page), str(results)]
    if not isolated:
        return command
    return ["unshare", "-rn", "sh", "-c", f"ip link set lo up && exec {shlex.join(command)}"]


def _runnable(page: Path) -> list[Block]:
    return [b for b in python_blocks(page.read_text(encoding="utf-8")) if b.runs]


@pytest.fixture(scope="module")
def page_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict]]:
    """Run every page (in parallel when isolated) and collect each block's outcome."""
    isolated = _isolated()
    scratch = tmp_path_factory.mktemp("docs-blocks")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "tests")}
    for name in ("JELLYFISH_ADDRESS", "JELLYFISH_TOKEN", "JELLYFISH_SECURE"):
        env.pop(name, None)
    outcomes: dict[str, list[dict]] = {}
    pages = [page for page in PAGES if _runnable(page)]
    running = []
    for page in pages:
        results = scratch / f"{page.name}.jsonl"
        log = (scratch / f"{page.name}.log").open("w")
        process = subprocess.Popen(
            _command(page, results, isolated), cwd=scratch, env=env, stdout=log, stderr=log
        )
        running.append((page, results, process, log))
        if not isolated:  # one emulator on port 5002 at a time
            _finish(page, process)
    for page, results, process, log in running:
        _finish(page, process)
        log.close()
        lines = results.read_text().splitlines() if results.exists() else []
        outcomes[page.name] = [json.loads(line) for line in lines]
        if process.returncode != 0:
            tail = (scratch / f"{page.name}.log").read_text()[-2000:]
            outcomes[page.name].append({"ordinal": 0, "status": "runner failed", "error": tail})
    return outcomes


def _finish(page: Path, process: subprocess.Popen[bytes]) -> None:
    blocks = python_blocks(page.read_text(encoding="utf-8"))
    budget = 60 + sum(
        TEST_MODULE_TIMEOUT
        if is_test_module("".join(b.code for b in chain(blocks, block)))
        else BLOCK_TIMEOUT
        for block in blocks
        if block.runs
    )
    try:
        process.wait(timeout=budget)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.mark.parametrize(
    "page", [p for p in PAGES if _runnable(p)], ids=lambda p: str(p.relative_to(ROOT))
)
def test_every_python_block_runs(page: Path, page_results: dict[str, list[dict]]) -> None:
    outcomes = {o["ordinal"]: o for o in page_results[page.name]}
    problems = []
    blocks = _runnable(page)
    for known_page, snippet in KNOWN_FAILURES:
        count = sum(snippet in block.code for block in blocks)
        if known_page == page.name and count != 1:
            problems.append(
                f"KNOWN_FAILURES: {snippet!r} matches {count} runnable blocks of {page.name} "
                "(the block changed or became a fragment: update the entry)"
            )
    for block in blocks:
        outcome = outcomes.get(block.ordinal, {"status": "did not run", "error": ""})
        known = [
            why
            for (known_page, snippet), why in KNOWN_FAILURES.items()
            if known_page == page.name and snippet in block.code
        ]
        where = f"{page.name} python block {block.ordinal} (line {block.line})"
        if outcome["status"] == "ok" and known:
            problems.append(f"{where} passes now: remove it from KNOWN_FAILURES")
        elif outcome["status"] != "ok" and not known:
            problems.append(f"{where}: {outcome['status']}\n{outcome['error']}")
    if 0 in outcomes:
        problems.append(f"the runner failed:\n{outcomes[0]['error']}")
    assert not problems, "\n\n".join(problems)


def test_fragment_markers_say_why() -> None:
    for page in PAGES:
        for block in python_blocks(page.read_text(encoding="utf-8")):
            assert block.fragment is None or block.fragment.strip(), f"{page.name} {block}"


def test_continuations_follow_a_block_that_runs() -> None:
    for page in PAGES:
        blocks = python_blocks(page.read_text(encoding="utf-8"))
        for block in blocks:
            if block.continues and block.runs:
                assert all(b.runs for b in chain(blocks, block)), (
                    f"{page.name} block {block.ordinal} continues a fragment"
                )


def test_top_level_await_only_where_the_page_says_async_function() -> None:
    """Fragments too: a reader copies them as well."""
    for page in PAGES:
        for block in python_blocks(page.read_text(encoding="utf-8")):
            if not block.async_context:
                assert not _awaits_at_top_level(block.code), (
                    f"{page.name} block {block.ordinal} (line {block.line}) awaits at top "
                    "level, but neither its comments nor the paragraph before it say it "
                    "runs inside an async function"
                )


def _awaits_at_top_level(code: str) -> bool:
    try:
        compile(code, "<block>", "exec")
    except SyntaxError as error:
        return "outside" in str(error)  # 'await' outside function, 'async with' outside ...
    return False


# -- the rules fail the blocks that break them ---------------------------------------------

PAGE = """\
Set it up:

```python
import json

data = json.dumps({"a": 1})
```

Then, going on:

```python
# continues the block above
assert json.loads(data) == {"a": 1}
```

A block that uses the first one without saying so:

```python
print(json.loads(data))
```

Top-level await where the text says nothing:

```python
import anyio

await anyio.sleep(0)
```

Inside an async function:

```python
import anyio

await anyio.sleep(0)
```
"""


def _outcome(block: Block, blocks: list[Block]) -> str:
    joined = chain(blocks, block)
    try:
        run_block(
            "".join(b.code for b in joined),
            "<page>",
            allow_top_level_await=any(b.async_context for b in joined),
        )
    except Exception as error:
        return type(error).__name__
    return "ok"


def test_each_block_runs_alone_and_only_marked_blocks_are_joined() -> None:
    blocks = python_blocks(PAGE)
    assert [b.continues for b in blocks] == [False, True, False, False, False]
    assert [_awaits_at_top_level(b.code) for b in blocks] == [False, False, False, True, True]
    assert [b.async_context for b in blocks] == [False, False, False, False, True]
    assert [_outcome(b, blocks) for b in blocks] == [
        "ok",
        "ok",  # says it continues the block above: runs joined to it
        "NameError",  # json and data come from the first block, which it does not say
        "SyntaxError",  # 'await' outside function, as for a reader who runs it as a script
        "ok",  # the text says it is inside an async function
    ]
