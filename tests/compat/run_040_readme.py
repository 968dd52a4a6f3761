"""Run jellyfish-server-sdk 0.4.0's own README examples, unchanged, against the emulator.

``python tests/compat/run_040_readme.py README.md DIFFERENCES.txt`` (the README of the
0.4.0 sdist; the compat nox session downloads it, it is not committed). The examples hard-code
``localhost:5002`` / ``development``, so the emulator listens there: the session runs this
script in a private network namespace when it can (``unshare -rn``), so nothing else on the
machine may hold the port.

The README is read as its author meant it, one program whose blocks follow each other:
the program for block *k* is every earlier block plus block *k*. The block that starts the
notifier ends with ``await notifier_task``, which in 0.4.0 (and here) runs until the
connection closes: its program runs until every output line that the README shows in its
comments (``# Received a notification: ServerMessageRoomCreated(room_id='...')``) has been
printed, then it is stopped; such a block is left out of the later programs.

Everything that differs from what the README shows is written to DIFFERENCES.txt, one line
each; ``compare_surfaces.py`` requires an entry of tests/compat/exceptions.toml for each,
like for the surface differences.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from jellyfish.testing import JellyfishServer

#: A block containing this never returns (0.4.0's ``Notifier.connect`` runs until closed).
RUNS_FOREVER = "await notifier_task"
#: Names the 0.4.0 README uses without importing them: they fail on 0.4.0 just the same.
README_OMISSIONS = "import asyncio\nfrom jellyfish import ComponentOptionsHLSSubscribeMode\n"
PROGRAM_TIMEOUT = 60.0
_QUOTED = re.compile(r"'[^']*'")


def python_blocks(readme: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", readme, flags=re.S | re.M)


def expected_lines(block: str) -> dict[str, re.Pattern[str]]:
    """The output the README shows in comments (``# Received ...``), quoted values as wildcards."""
    patterns = {}
    for line in re.findall(r"^# (Received .*)$", block, flags=re.M):
        pieces = _QUOTED.split(line)
        patterns[line] = re.compile("'[^']*'".join(re.escape(piece) for piece in pieces))
    return patterns


def programs(blocks: list[str]) -> Iterator[tuple[int, str, str]]:
    """(block number, the block, the program that ends with it) for every block."""
    earlier: list[str] = []
    for number, block in enumerate(blocks, start=1):
        yield number, block, README_OMISSIONS + "\n".join([*earlier, block])
        if RUNS_FOREVER not in block:
            earlier.append(block)


def run_finite(program: Path) -> list[str]:
    result = subprocess.run(
        [sys.executable, str(program)],
        capture_output=True,
        text=True,
        timeout=PROGRAM_TIMEOUT,
        check=False,
    )
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["(no output)"])[-1]
        return [f"exits with status {result.returncode}: {last}"]
    return []


def run_forever(program: Path, expected: dict[str, re.Pattern[str]]) -> list[str]:
    """Run until every expected line was printed (or the timeout); then stop the program."""
    process = subprocess.Popen(
        [sys.executable, "-u", str(program)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    printed: list[str] = []
    missing = list(expected)
    # The reader thread ends when the program's stdout closes (it is killed below).
    reader = threading.Thread(target=lambda: printed.extend(process.stdout or ()), daemon=True)
    reader.start()
    deadline = time.monotonic() + PROGRAM_TIMEOUT
    while missing and time.monotonic() < deadline and process.poll() is None:
        missing = [
            shown
            for shown, pattern in expected.items()
            if not any(pattern.fullmatch(line.rstrip("\n")) for line in printed)
        ]
        time.sleep(0.1)
    ended_by_itself = process.poll() is not None
    process.kill()
    process.wait()
    reader.join(timeout=5)
    found = [f"prints no line like {shown}" for shown in missing]
    if ended_by_itself and process.returncode != 0:
        found.append(f"exits with status {process.returncode}: {printed[-1:]!r}")
    if found:
        print("  it printed:", *[line.rstrip() for line in printed[:6]], sep="\n    ")
    return found


def readme_differences(readme: str) -> list[str]:
    found = []
    with tempfile.TemporaryDirectory() as scratch:
        for number, block, text in programs(python_blocks(readme)):
            program = Path(scratch) / f"block{number}.py"
            program.write_text(text, encoding="utf-8")
            if RUNS_FOREVER in block:
                problems = run_forever(program, expected_lines(block))
            else:
                problems = run_finite(program)
            found += [f"0.4.0 README block {number}: {problem}" for problem in problems]
            print(f"0.4.0 README block {number}: {'ok' if not problems else 'differs'}")
    return found


def main(argv: list[str]) -> int:
    readme_path, differences_path = argv[:2]
    readme = Path(readme_path).read_text(encoding="utf-8")
    if not python_blocks(readme):
        print("no ```python blocks found: is this the 0.4.0 README?")
        return 1
    # The examples' own settings; the child programs must not take ours from the environment.
    for name in ("JELLYFISH_ADDRESS", "JELLYFISH_TOKEN", "JELLYFISH_SECURE"):
        os.environ.pop(name, None)
    with JellyfishServer(host="127.0.0.1", port=5002, token="development"):
        found = readme_differences(readme)
    Path(differences_path).write_text("".join(f"{line}\n" for line in found), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
