"""How the commands print: JSON, aligned tables, trees, download progress."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterable, Sequence
from typing import IO, Any

import click

json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print JSON (for jq and scripts) instead of text."
)


def emit_json(data: Any) -> None:
    """One JSON document (or one JSON line) on stdout."""
    click.echo(json.dumps(data, default=str, ensure_ascii=False))


def emit_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """Columns padded to their widest cell; the header in upper case."""
    lines = [[h.upper() for h in headers], *([str(cell) for cell in row] for row in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(headers))]
    for line in lines:
        click.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        )


def tree_lines(label: str, children: Sequence[Any], prefix: str = "") -> list[str]:
    """``label`` over its ``children`` (each a label or a ``(label, children)`` pair)."""
    lines = [label] if not prefix else []
    for index, child in enumerate(children):
        last = index == len(children) - 1
        child_label, grandchildren = child if isinstance(child, tuple) else (child, [])
        lines.append(f"{prefix}{'└── ' if last else '├── '}{child_label}")
        lines.extend(tree_lines("", grandchildren, prefix + ("    " if last else "│   ")))
    return lines


def scalar_text(value: Any) -> str:
    """A JSON value as a shell user reads it (``-`` for null)."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return value
    return json.dumps(value)


class Progress:
    """Bytes written so far, redrawn on stderr at most 10 times a second (only on a tty)."""

    def __init__(self, label: str, stream: IO[str] | None = None) -> None:
        self._label = label
        self._stream = stream if stream is not None else sys.stderr
        self._enabled = self._stream.isatty()
        self._started = time.monotonic()
        self._drawn = 0.0
        self.done = 0

    def advance(self, count: int) -> None:
        self.done += count
        now = time.monotonic()
        if self._enabled and now - self._drawn >= 0.1:
            self._drawn = now
            self._draw(now)

    def finish(self) -> None:
        if self._enabled:
            self._draw(time.monotonic())
            self._stream.write("\n")
            self._stream.flush()

    def _draw(self, now: float) -> None:
        rate = self.done / max(now - self._started, 1e-6)
        self._stream.write(f"\r{self._label}: {_size(self.done)} ({_size(rate)}/s)\x1b[K")
        self._stream.flush()


def _size(count: float) -> str:
    units = ("B", "KiB", "MiB", "GiB")
    unit = 0
    while count >= 1024 and unit < len(units) - 1:
        count /= 1024
        unit += 1
    return f"{count:.0f} B" if unit == 0 else f"{count:.1f} {units[unit]}"
