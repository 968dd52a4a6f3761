"""The compatibility contract: the reviewed exceptions file, the docs generated from it, and
the comparison tool that `nox -s compat` runs (tested here without 0.4.0 installed)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from compat.compare_surfaces import (
    differences,
    explain,
    load_exceptions,
    migration_table,
    signature_differences,
)
from compat.extract_surface import extract

ROOT = Path(__file__).resolve().parents[2]
MIGRATION = ROOT / "docs" / "migration.md"
CLAIM = re.compile(r"runs unchanged|drop-in", re.IGNORECASE)

#: Pages (owned by others) that still claim "unchanged" without pointing at the list of
#: differences. Strict: once a page is fixed, its entry must go.
UNQUALIFIED_CLAIMS: set[str] = set()


def test_every_entry_has_a_reason_and_every_difference_a_summary():
    entries = load_exceptions()
    assert entries
    for entry in entries:
        assert entry.reason
        assert entry.section == "addition" or entry.summary


def test_the_migration_guide_lists_exactly_the_differences_in_the_exceptions_file():
    text = MIGRATION.read_text(encoding="utf-8")
    marker = text.index("<!-- generated from tests/compat/exceptions.toml")
    table = text[marker:].split("\n\n", 1)[0]
    rows = "".join(line + "\n" for line in table.splitlines()[3:])
    assert rows == migration_table(load_exceptions()), (
        "docs/migration.md is out of step with tests/compat/exceptions.toml; the rows are:\n"
        + migration_table(load_exceptions())
    )


def _pages() -> list[Path]:
    return [ROOT / "README.md", ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").glob("*.md"))]


@pytest.mark.parametrize("page", _pages(), ids=lambda page: page.name)
def test_compatibility_claims_point_at_the_checked_list(page):
    """ "Runs unchanged" / "drop-in" must point at the differences, while there are any."""
    if not any(e.section == "difference" for e in load_exceptions()):
        return
    unqualified = [
        paragraph
        for paragraph in page.read_text(encoding="utf-8").split("\n\n")
        if CLAIM.search(paragraph)
        and "migration.md" not in paragraph
        and "differences listed" not in paragraph
    ]
    if page.name in UNQUALIFIED_CLAIMS:
        assert unqualified, f"{page.name} is fixed: remove it from UNQUALIFIED_CLAIMS"
        pytest.xfail(f"{page.name} claims compatibility without the list (not ours to edit)")
    assert not unqualified, (
        f"{page.name} claims 0.4.0 compatibility without pointing at the differences in "
        f"docs/migration.md:\n" + "\n\n".join(unqualified)
    )


def _param(name, default="<required>", kind="POSITIONAL_OR_KEYWORD"):
    return {"name": name, "kind": kind, "default": default}


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ([_param("a")], [_param("a"), _param("b", "None")], []),  # a new optional parameter
        ([_param("a")], [_param("a", "1")], []),  # required -> optional is compatible
        ([_param("a", "1")], [_param("a")], ["f: parameter a became required"]),
        ([_param("a", "1")], [_param("a", "2")], ["f: default of a is 2, was 1"]),
        (
            [_param("a")],
            [_param("b")],
            [
                "f: positional parameter 0 is b, was a",
                "f: parameter a missing",
                "f: new required parameter b",
            ],
        ),
        (
            [_param("a")],
            [_param("a", kind="KEYWORD_ONLY")],
            [
                "f: parameter a is no longer positional",
            ],
        ),
        ([_param("a", kind="KEYWORD_ONLY")], [_param("a")], []),
        ([_param("a", kind="KEYWORD_ONLY")], [_param("kw", kind="VAR_KEYWORD")], []),
        (
            [_param("args", kind="VAR_POSITIONAL")],
            [],
            ["f: no longer accepts VAR_POSITIONAL (args)"],
        ),
    ],
)
def test_signature_rules(old, new, expected):
    assert signature_differences("f", old, new) == expected


def test_our_surface_has_no_differences_from_itself_and_names_classes_publicly():
    ours = extract({})
    assert differences(ours, ours) == []
    room_api = ours["modules"]["jellyfish"]["names"]["RoomApi"]
    assert room_api["kind"] == "class"
    assert any(p["name"] == "server_address" for p in room_api["init"])
    invalid_token = ours["modules"]["jellyfish.errors"]["names"]["InvalidTokenError"]
    assert invalid_token["bases"] == ["jellyfish.errors.NotifierError", "builtins.RuntimeError"]


def test_a_removed_name_a_lost_base_and_a_lost_field_are_differences():
    ours = extract({})
    old = {"modules": {"jellyfish": dict(ours["modules"]["jellyfish"])}}
    old["modules"]["jellyfish"]["names"] = dict(old["modules"]["jellyfish"]["names"])
    old["modules"]["jellyfish"]["names"]["Gone"] = {
        "kind": "function",
        "async": False,
        "signature": [],
    }
    room = dict(old["modules"]["jellyfish"]["names"]["Room"])
    room["mro"] = [*room["mro"], "builtins.RuntimeError"]
    room["fields"] = [*room["fields"], "legacy"]
    old["modules"]["jellyfish"]["names"]["Room"] = room
    found = differences(old, ours)
    assert "jellyfish.Gone: missing" in found
    assert "jellyfish.Room: no longer a subclass of builtins.RuntimeError" in found
    assert "jellyfish.Room: field legacy missing" in found


def test_unexplained_and_stale_entries_are_reported():
    entries = [e for e in load_exceptions() if e.section == "difference"][:1]
    unexplained, stale, explained = explain(["jellyfish.Nope: missing"], entries)
    assert unexplained == ["jellyfish.Nope: missing"]
    assert stale == entries
    assert explained == {}
