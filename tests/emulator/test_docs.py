"""Every ```python block of docs/testing.md runs (unless marked ``<!-- fragment: ... -->``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "testing.md"
_BLOCK = re.compile(r"(?P<before>[^\n]*)\n```python\n(?P<code>.*?)\n```", re.S)


def blocks() -> list[tuple[int, str]]:
    text = DOC.read_text(encoding="utf-8")
    found = []
    for match in _BLOCK.finditer(text):
        if match.group("before").startswith("<!-- fragment:"):
            continue
        line = text.count("\n", 0, match.start("code")) + 1
        found.append((line, match.group("code")))
    return found


@pytest.mark.emulator_only(in_process=True)
@pytest.mark.parametrize(("line", "code"), blocks(), ids=[f"line{line}" for line, _ in blocks()])
def test_docs_block_runs(line: int, code: str) -> None:
    exec(compile(code, f"{DOC}:{line}", "exec"), {"__name__": f"docs_testing_{line}"})
