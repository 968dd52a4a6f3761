"""Write the public surface of the installed ``jellyfish`` package as JSON.

Run with the interpreter of the environment to inspect (it imports only the standard
library and ``jellyfish``), so the same script describes jellyfish-server-sdk 0.4.0 in its
own venv and this SDK in ours::

    python tests/compat/extract_surface.py [OTHER_SURFACE.json] > surface.json

The surface is every public module (no path component starting with ``_``), each public
name in it (``__all__`` where the module defines one, else every name without a leading
underscore that the module defines or re-exports from ``jellyfish``), and for each name:
its kind; for a class its bases and MRO (by public name), constructor signature, fields
(attrs, dataclass or protobuf), enum members and public members with their signatures;
for a function its signature. ``compare_surfaces.py`` diffs two such files.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
import inspect
import json
import pkgutil
import re
import sys
import types
from typing import Any

ROOT = "jellyfish"
POSITIONAL = ("POSITIONAL_ONLY", "POSITIONAL_OR_KEYWORD")
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def public_modules() -> list[types.ModuleType]:
    """``jellyfish`` and every importable submodule whose dotted path has no private part."""
    package = importlib.import_module(ROOT)
    found = [package]
    for info in pkgutil.walk_packages(package.__path__, prefix=ROOT + "."):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue
        # The emulator's pytest plugin is imported by pytest, not by users' code.
        if info.name.endswith("pytest_plugin"):
            continue
        try:
            found.append(importlib.import_module(info.name))
        except ImportError as error:  # an optional extra that is not installed
            print(f"skipping {info.name}: {error}", file=sys.stderr)
    return sorted(found, key=lambda module: module.__name__)


def module_names(module: types.ModuleType) -> list[str]:
    """``__all__`` plus every other public name the module defines or takes from ``jellyfish``.

    Both matter: ``from jellyfish import X`` works for a name that ``__all__`` leaves out.
    """
    names = list(getattr(module, "__all__", ()))
    for name, value in vars(module).items():
        if name.startswith("_"):
            continue
        origin = getattr(value, "__module__", None) or getattr(value, "__name__", "")
        if isinstance(value, types.ModuleType):
            origin = value.__name__
        if origin.startswith(ROOT):
            names.append(name)
    return sorted(set(names))


class Namer:
    """Names classes by the first public path that reaches them (``jellyfish.errors.HTTPError``)."""

    def __init__(self, modules: list[types.ModuleType]):
        self._public: dict[int, str] = {}
        for module in modules:
            for name in module_names(module):
                value = getattr(module, name, None)
                if isinstance(value, type):
                    self._public.setdefault(id(value), f"{module.__name__}.{name}")

    def __call__(self, cls: type) -> str:
        public = self._public.get(id(cls))
        if public is not None:
            return public
        return f"{cls.__module__}.{cls.__qualname__}"


def default_text(value: Any) -> str:
    if value is inspect.Parameter.empty:
        return "<required>"
    if isinstance(value, enum.Enum):
        return f"{type(value).__name__}.{value.name}"
    text = repr(value)
    if _ADDRESS.search(text) or text.startswith("<"):
        return f"<{type(value).__name__}>"
    return text


def signature_of(function: Any) -> list[dict[str, str]] | None:
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return None
    return [
        {"name": p.name, "kind": p.kind.name, "default": default_text(p.default)}
        for p in signature.parameters.values()
    ]


def fields_of(cls: type) -> tuple[str, list[str]] | None:
    attrs_fields = getattr(cls, "__attrs_attrs__", None)
    if attrs_fields is not None:
        return "attrs", [field.name for field in attrs_fields]
    descriptor = getattr(cls, "DESCRIPTOR", None)
    if descriptor is not None and hasattr(descriptor, "fields"):
        return "protobuf", [field.name for field in descriptor.fields]
    if dataclasses.is_dataclass(cls):
        return "dataclass", [field.name for field in dataclasses.fields(cls)]
    return None


def member_of(cls: type, name: str) -> dict[str, Any]:
    raw = inspect.getattr_static(cls, name)
    if isinstance(raw, property):
        return {"kind": "property"}
    # protobuf's C classes have classmethod descriptors that are not ``classmethod``s.
    if (
        isinstance(raw, (classmethod, staticmethod))
        or type(raw).__name__ == "classmethod_descriptor"
    ):
        function = getattr(cls, name)
        kind = "staticmethod" if isinstance(raw, staticmethod) else "classmethod"
        return {"kind": kind, "signature": signature_of(function)}
    if inspect.isfunction(raw) or inspect.ismethoddescriptor(raw) or inspect.isbuiltin(raw):
        signature = signature_of(raw)
        # The instance parameter is bound on every call; its name (self, message) is not API.
        if inspect.isfunction(raw) and signature and signature[0]["kind"] in POSITIONAL:
            signature = signature[1:]
        return {
            "kind": "method",
            "async": inspect.iscoroutinefunction(raw) or inspect.isasyncgenfunction(raw),
            "signature": signature,
        }
    return {"kind": "attribute"}


def message_init(cls: type, fields: list[str]) -> list[dict[str, str]] | None:
    """The constructor of a protobuf or betterproto message, its field defaults made comparable.

    protobuf's C constructors cannot be inspected; they take every field as an optional
    keyword. betterproto's dataclasses take them positionally too, with a private sentinel.
    """
    signature = signature_of(cls)
    if signature is None:
        return [{"name": f, "kind": "KEYWORD_ONLY", "default": "<field default>"} for f in fields]
    for parameter in signature:
        if parameter["name"] in fields and parameter["default"] != "<required>":
            parameter["default"] = "<field default>"
    return signature


def class_entry(cls: type, namer: Namer) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "kind": "class",
        "bases": [namer(base) for base in cls.__bases__ if base is not object],
        "mro": [namer(base) for base in cls.__mro__[1:] if base is not object],
        "init": None if issubclass(cls, enum.Enum) else signature_of(cls),
    }
    fields = fields_of(cls)
    if fields is not None:
        entry["fields_source"], entry["fields"] = fields
        if entry["fields_source"] != "attrs":
            entry["init"] = message_init(cls, entry["fields"])
    if issubclass(cls, enum.Enum):
        entry["enum"] = {member.name: member.value for member in cls}
    members = {}
    not_members = {*entry.get("fields", ()), *entry.get("enum", ())}
    for name in sorted(dir(cls)):
        if name.startswith("_") or name in not_members:
            continue
        members[name] = member_of(cls, name)
    entry["members"] = members
    return entry


def entry_for(value: Any, namer: Namer) -> dict[str, Any]:
    if isinstance(value, types.ModuleType):
        return {"kind": "module", "target": value.__name__}
    if isinstance(value, type):
        return class_entry(value, namer)
    if inspect.isfunction(value) or inspect.isbuiltin(value):
        return {
            "kind": "function",
            "async": inspect.iscoroutinefunction(value),
            "signature": signature_of(value),
        }
    return {"kind": "value", "type": type(value).__name__}


def extract(also: dict[str, list[str]]) -> dict[str, Any]:
    """The surface; ``also`` adds names per module that are looked up even if not listed.

    A lazily loading package (PEP 562) does not show a name in ``vars()`` before it is
    used, so the names of the other surface are asked for explicitly.
    """
    modules = public_modules()
    namer = Namer(modules)
    surface: dict[str, Any] = {"modules": {}}
    for module in modules:
        extra = [n for n in also.get(module.__name__, ()) if hasattr(module, n)]
        names = sorted({*module_names(module), *extra})
        surface["modules"][module.__name__] = {
            "all": sorted(set(module.__all__)) if hasattr(module, "__all__") else None,
            "names": {name: entry_for(getattr(module, name), namer) for name in names},
        }
    return surface


def main(argv: list[str]) -> int:
    also: dict[str, list[str]] = {}
    if argv:
        with open(argv[0], encoding="utf-8") as other_file:
            other = json.load(other_file)
        also = {name: list(module["names"]) for name, module in other["modules"].items()}
    json.dump(extract(also), sys.stdout, indent=1, sort_keys=True, default=repr)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
