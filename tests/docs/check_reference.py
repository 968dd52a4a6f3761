"""Check the built API reference: each documented class shows its inherited public members.

``python tests/docs/check_reference.py SITE_DIR`` (run by ``nox -s docs`` after the build).
For every ``::: jellyfish.X`` in docs/reference/*.md that is a class, every public method or
property it has from a ``jellyfish`` class (its own or inherited: the notifiers'
``on_server_notification`` / ``on_metrics`` / ``on_reconnected``, ``close``, ``aclose``, ...)
and that has a docstring must have its anchor (``id="jellyfish.X.name"``) in the built page.
"""

from __future__ import annotations

import importlib
import inspect
import re
import sys
from pathlib import Path

#: Members known to be missing, in code other engineers own -> why. Strict: once one shows
#: up in the reference, its entry must go.
KNOWN_MISSING: dict[str, str] = {}
REFERENCE = Path(__file__).resolve().parents[2] / "docs" / "reference"
DIRECTIVE = re.compile(r"^::: (jellyfish[\w.]*)$", re.M)


def resolve(dotted: str) -> object:
    module_name, _, name = dotted.rpartition(".")
    try:
        return importlib.import_module(dotted)
    except ImportError:
        return getattr(importlib.import_module(module_name), name)


def expected_members(cls: type) -> list[str]:
    names = []
    for name in dir(cls):
        if name.startswith("_"):
            continue
        owner = next((k for k in cls.__mro__ if name in vars(k)), None)
        if owner is None or not owner.__module__.startswith("jellyfish"):
            continue
        raw = vars(owner)[name]
        if isinstance(raw, (classmethod, staticmethod)):
            raw = raw.__func__
        if not (inspect.isfunction(raw) or isinstance(raw, property)):
            continue
        if inspect.getdoc(raw):
            names.append(name)
    return names


def main(argv: list[str]) -> int:
    site = Path(argv[0])
    problems = []
    for page in sorted(REFERENCE.glob("*.md")):
        html = (site / "reference" / page.stem / "index.html").read_text(encoding="utf-8")
        for dotted in DIRECTIVE.findall(page.read_text(encoding="utf-8")):
            documented = resolve(dotted)
            if not isinstance(documented, type):
                continue
            for name in expected_members(documented):
                member = f"{dotted}.{name}"
                shown = f'id="{member}"' in html
                if not shown and member not in KNOWN_MISSING:
                    problems.append(f"not in the API reference: {member} ({page.name})")
                if shown and member in KNOWN_MISSING:
                    problems.append(
                        f"{member} is in the reference now: remove it from KNOWN_MISSING"
                    )
    for line in problems:
        print(line)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
