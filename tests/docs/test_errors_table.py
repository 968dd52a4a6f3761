"""docs/errors.md's table is the error taxonomy of jellyfish.errors, class for class."""

from __future__ import annotations

import re
from pathlib import Path

from jellyfish import errors

ERRORS_PAGE = Path(__file__).resolve().parents[2] / "docs" / "errors.md"
ROW = re.compile(r"^\| `(\w+)` \| ([^|]+) \| ([^|]+) \| ([^|]+) \|$")


def table() -> dict[str, tuple[list[str], str, str]]:
    """class name -> (bases, raised when, retry?) from the page's table."""
    rows = {}
    for line in ERRORS_PAGE.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match:
            name, bases, when, retry = match.groups()
            assert name not in rows, f"{name} has two rows"
            rows[name] = (re.findall(r"`(\w+)`", bases), when.strip(), retry.strip())
    return rows


def test_every_error_class_has_a_row_with_its_true_bases():
    rows = table()
    assert set(rows) == set(errors.__all__)
    for name in errors.__all__:
        cls = getattr(errors, name)
        bases, _, _ = rows[name]
        assert bases == [base.__name__ for base in cls.__bases__], name


def test_every_row_says_when_and_whether_to_retry():
    for name, (_, when, retry) in table().items():
        assert when, name
        assert retry, name


def test_the_builtin_bases_the_page_promises():
    assert issubclass(errors.InvalidTokenError, RuntimeError)
    for timeout in (errors.RequestTimeoutError, errors.NotifierTimeoutError):
        assert issubclass(timeout, TimeoutError)
    assert issubclass(errors.ConnectionFailedError, ConnectionError)
