"""Every section-sign citation in code, tests and docs names a section of docs/server-behavior.md.

A citation is the section sign followed by a section number, as in the code's comments. It is
written as ``\\N{SECTION SIGN}`` in this file, so that this file cites nothing itself.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "docs" / "server-behavior.md"
HEADING = re.compile(r"^#{2,4} (\d+(?:\.\d+)*)\.? ", re.MULTILINE)
CITATION = re.compile("\N{SECTION SIGN}" + r"\s?(\d+(?:\.\d+)*)?")
SCANNED = ("src", "tests", "codegen", "docs", "examples", "benchmarks")
SUFFIXES = {".py", ".md", ".toml", ".yaml", ".yml", ".pyi"}


def sections() -> set[str]:
    return set(HEADING.findall(REFERENCE.read_text(encoding="utf-8")))


def citations() -> list[tuple[str, int, str | None]]:
    """(file, line, section or None for a bare sign) of every citation outside the reference."""
    found = []
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix not in SUFFIXES or path == REFERENCE or not path.is_file():
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            for match in CITATION.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append((str(path.relative_to(ROOT)), line, match.group(1)))
    return found


def test_the_reference_keeps_the_numbering_the_code_cites() -> None:
    numbered = sections()
    top = {f"{n}" for n in range(1, 12)}
    assert top <= numbered
    assert {"1.1", "1.4", "2.1", "2.14", "3.5", "4.5", "6.2", "7.5", "11.1", "11.8"} <= numbered


@pytest.mark.parametrize("tree", SCANNED)
def test_every_citation_names_a_section(tree: str) -> None:
    numbered = sections()
    bad = [
        f"{path}:{line}: " + ("a section sign without a number" if n is None else f"no section {n}")
        for path, line, n in citations()
        if path.startswith(tree + "/") and (n is None or n.rstrip(".") not in numbered)
    ]
    assert not bad, "citations of docs/server-behavior.md that name no section:\n" + "\n".join(bad)


def test_a_citation_of_a_missing_section_is_caught() -> None:
    numbered = sections()
    assert "12.1" not in numbered
    assert CITATION.search("see \N{SECTION SIGN}12.1").group(1) == "12.1"
    assert CITATION.search("see \N{SECTION SIGN} and more").group(1) is None
