"""docs/errors.md's table is the error taxonomy of jellyfish.errors, class for class, and
docs/notifications.md's table of the notifier's errors says the same, word for word: both
are rendered from one source (tests/docs/errors_table.py; run it to rewrite them)."""

from __future__ import annotations

import pytest

from jellyfish import errors

from .errors_table import NOTIFIER_ERRORS, PAGES, ROWS, expected, render


def test_the_source_has_a_row_for_every_error_class() -> None:
    assert set(ROWS) == set(errors.__all__)
    for name, (when, retry) in ROWS.items():
        assert when, name
        assert retry, name
    assert set(NOTIFIER_ERRORS) <= set(ROWS)


@pytest.mark.parametrize("page", list(PAGES))
def test_each_page_shows_the_table_rendered_from_the_source(page: str) -> None:
    text = PAGES[page].read_text(encoding="utf-8")
    assert text == expected(page), (
        f"{PAGES[page]} differs from tests/docs/errors_table.py: run "
        "`python tests/docs/errors_table.py` to render it again"
    )


def test_the_notifier_rows_are_the_same_on_both_pages() -> None:
    notifier_rows = render(NOTIFIER_ERRORS).splitlines()[2:]
    all_rows = render(list(ROWS)).splitlines()
    errors_page = PAGES["all"].read_text(encoding="utf-8")
    notifications_page = PAGES["notifier"].read_text(encoding="utf-8")
    for row in notifier_rows:
        assert row in all_rows
        assert row in errors_page
        assert row in notifications_page


def test_the_bases_shown_are_the_classes_true_bases() -> None:
    for line in render(list(ROWS)).splitlines()[2:]:
        name = line.split("`")[1]
        bases = ", ".join(f"`{base.__name__}`" for base in getattr(errors, name).__bases__)
        assert f"| {bases} |" in line


def test_the_builtin_bases_the_page_promises() -> None:
    assert issubclass(errors.InvalidTokenError, RuntimeError)
    for timeout in (errors.RequestTimeoutError, errors.NotifierTimeoutError):
        assert issubclass(timeout, TimeoutError)
    assert issubclass(errors.ConnectionFailedError, ConnectionError)
