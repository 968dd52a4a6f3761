"""Compare the public surface of jellyfish-server-sdk 0.4.0 with ours.

``python tests/compat/compare_surfaces.py OLD.json NEW.json [MORE.txt ...]`` reads two files
written by ``extract_surface.py`` and lists every difference a 0.4.0 user could notice: a
missing module, name, base class, field, enum member, member or parameter, a parameter that
became required or changed its default, a kind or async-ness that changed, and every name
our ``__all__`` adds. Each difference must match exactly one entry of ``exceptions.toml``
(the reviewed list, each with its reason); an entry that matches nothing is stale. MORE.txt
files add difference lines found by running code (``run_040_readme.py``). Exit status 1
lists what is unexplained or stale.
"""

from __future__ import annotations

import fnmatch
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

EXCEPTIONS_FILE = Path(__file__).with_name("exceptions.toml")
POSITIONAL = ("POSITIONAL_ONLY", "POSITIONAL_OR_KEYWORD")
VARIADIC = ("VAR_POSITIONAL", "VAR_KEYWORD")


@dataclass(frozen=True)
class Exception_:
    """One reviewed entry of exceptions.toml."""

    patterns: tuple[str, ...]
    reason: str
    section: str
    summary: str

    def matches(self, difference: str) -> bool:
        return any(fnmatch.fnmatchcase(difference, pattern) for pattern in self.patterns)


def load_exceptions(path: Path = EXCEPTIONS_FILE) -> list[Exception_]:
    with path.open("rb") as file:
        document = tomllib.load(file)
    entries = []
    for section in ("difference", "addition"):
        for raw in document.get(section, []):
            patterns = raw["match"] if isinstance(raw["match"], list) else [raw["match"]]
            if not raw.get("reason", "").strip():
                raise ValueError(f"{path}: entry {patterns} has no reason")
            summary = raw.get("summary", "").strip()
            if section == "difference" and not summary:
                raise ValueError(f"{path}: difference {patterns} has no summary for the docs")
            entries.append(Exception_(tuple(patterns), raw["reason"].strip(), section, summary))
    return entries


def signature_differences(where: str, old: Any, new: Any) -> list[str]:
    """What breaks a call that was valid against ``old`` when it meets ``new``."""
    if old is None:
        return []
    if new is None:  # a C function (protobuf's): nothing to compare
        return []
    found = []
    old_positional = [p for p in old if p["kind"] in POSITIONAL]
    new_positional = [p for p in new if p["kind"] in POSITIONAL]
    for index, parameter in enumerate(old_positional):
        if index >= len(new_positional):
            found.append(f"{where}: parameter {parameter['name']} is no longer positional")
        elif new_positional[index]["name"] != parameter["name"]:
            found.append(
                f"{where}: positional parameter {index} is {new_positional[index]['name']}"
                f", was {parameter['name']}"
            )
    new_by_name = {p["name"]: p for p in new}
    new_kinds = {p["kind"] for p in new}
    for parameter in old:
        name = parameter["name"]
        if parameter["kind"] in VARIADIC:
            if parameter["kind"] not in new_kinds:
                found.append(f"{where}: no longer accepts {parameter['kind']} ({name})")
            continue
        match = new_by_name.get(name)
        if match is None or match["kind"] == "POSITIONAL_ONLY" != parameter["kind"]:
            if "VAR_KEYWORD" not in new_kinds:
                found.append(f"{where}: parameter {name} missing")
            continue
        if parameter["default"] != "<required>" and match["default"] == "<required>":
            found.append(f"{where}: parameter {name} became required")
        elif "<required>" != parameter["default"] != match["default"]:
            found.append(
                f"{where}: default of {name} is {match['default']}, was {parameter['default']}"
            )
    old_names = {p["name"] for p in old}
    for parameter in new:
        if (
            parameter["name"] not in old_names
            and parameter["kind"] not in VARIADIC
            and parameter["default"] == "<required>"
        ):
            found.append(f"{where}: new required parameter {parameter['name']}")
    return found


def member_differences(where: str, old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    found = []
    for name, old_member in sorted(old.items()):
        new_member = new.get(name)
        path = f"{where}.{name}"
        if new_member is None:
            found.append(f"{path}: member missing")
            continue
        if old_member["kind"] != new_member["kind"]:
            found.append(f"{path}: is a {new_member['kind']}, was a {old_member['kind']}")
            continue
        if old_member.get("async") != new_member.get("async"):
            found.append(f"{path}: async is {new_member.get('async')}, was {old_member['async']}")
        found += signature_differences(
            path, old_member.get("signature"), new_member.get("signature")
        )
    return found


def _private(dotted: str) -> bool:
    """A private base class (``jellyfish.api._base_api.BaseApi``) is an implementation detail."""
    return any(part.startswith("_") for part in dotted.split("."))


def class_differences(where: str, old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    found = [
        f"{where}: no longer a subclass of {base}"
        for base in old["mro"]
        if base not in new["mro"] and not _private(base)
    ]
    found += signature_differences(f"{where}()", old["init"], new["init"])
    new_fields = new.get("fields", [])
    found += [
        f"{where}: field {field} missing"
        for field in old.get("fields", [])
        if field not in new_fields
    ]
    new_enum = new.get("enum") or {}
    for member, value in (old.get("enum") or {}).items():
        if member not in new_enum:
            found.append(f"{where}: enum member {member} missing")
        elif new_enum[member] != value:
            found.append(f"{where}: enum member {member} is {new_enum[member]!r}, was {value!r}")
    found += member_differences(where, old["members"], new["members"])
    return found


def name_differences(where: str, old: dict[str, Any], new: dict[str, Any] | None) -> list[str]:
    if new is None:
        return [f"{where}: missing"]
    if old["kind"] != new["kind"]:
        return [f"{where}: is a {new['kind']}, was a {old['kind']}"]
    if old["kind"] == "class":
        return class_differences(where, old, new)
    if old["kind"] == "function":
        found = signature_differences(f"{where}()", old["signature"], new["signature"])
        if old["async"] != new["async"]:
            found.append(f"{where}: async is {new['async']}, was {old['async']}")
        return found
    if old["kind"] == "module" and old["target"] != new["target"]:
        return [f"{where}: is module {new['target']}, was {old['target']}"]
    return []


def differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Every difference between two surfaces, as one line each (``path: what``)."""
    found = []
    for module_name, old_module in sorted(old["modules"].items()):
        new_module = new["modules"].get(module_name)
        if new_module is None:
            found.append(f"{module_name}: module missing")
            continue
        old_all = set(old_module["all"] or ())
        new_all = set(new_module["all"] or ())
        found += [f"{module_name}: __all__ lacks {n}" for n in sorted(old_all - new_all)]
        if old_module["all"] is not None:
            found += [f"{module_name}: __all__ adds {n}" for n in sorted(new_all - old_all)]
        for name, old_entry in sorted(old_module["names"].items()):
            found += name_differences(
                f"{module_name}.{name}", old_entry, new_module["names"].get(name)
            )
    found += [
        f"{module_name}: new public module"
        for module_name in sorted(set(new["modules"]) - set(old["modules"]))
    ]
    return found


def explain(
    found: list[str], exceptions: list[Exception_]
) -> tuple[list[str], list[Exception_], dict[str, Exception_]]:
    """(unexplained differences, stale exceptions, difference -> the entry that explains it)."""
    explained: dict[str, Exception_] = {}
    unexplained = []
    for difference in found:
        matching = [entry for entry in exceptions if entry.matches(difference)]
        if len(matching) == 1:
            explained[difference] = matching[0]
        elif not matching:
            unexplained.append(difference)
        else:
            unexplained.append(f"{difference}  (matched by {len(matching)} entries; make it one)")
    used = {id(entry) for entry in explained.values()}
    stale = [entry for entry in exceptions if id(entry) not in used]
    return unexplained, stale, explained


def migration_table(exceptions: list[Exception_]) -> str:
    """The rows docs/migration.md shows under "Differences from 0.4.0"."""
    return "".join(f"| {e.summary} |\n" for e in exceptions if e.section == "difference")


def main(argv: list[str]) -> int:
    if argv == ["--migration-table"]:
        print(migration_table(load_exceptions()), end="")
        return 0
    old_path, new_path, *more_paths = argv
    old = json.loads(Path(old_path).read_text(encoding="utf-8"))
    new = json.loads(Path(new_path).read_text(encoding="utf-8"))
    found = differences(old, new)
    for path in more_paths:  # differences found by running things (run_040_readme.py)
        found += Path(path).read_text(encoding="utf-8").splitlines()
    unexplained, stale, explained = explain(found, load_exceptions())
    print(f"{len(found)} differences from 0.4.0, {len(explained)} explained by exceptions.toml")
    for difference in unexplained:
        print(f"UNEXPLAINED: {difference}")
    for entry in stale:
        print(f"STALE (matches nothing, remove it): {list(entry.patterns)}")
    if unexplained or stale:
        print("Fix the difference, or add it to tests/compat/exceptions.toml with the reason.")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
