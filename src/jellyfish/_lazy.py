"""Names that a package exports without importing their modules until first use (PEP 562).

A package lists ``{public name: "module that defines it"}`` in one table and installs the
module-level ``__getattr__`` and ``__dir__`` made here::

    _LAZY_NAMES = {"RoomApi": "jellyfish.api._room_api", "errors": "jellyfish.errors"}
    if not TYPE_CHECKING:  # so that type checkers still flag a misspelt name
        __getattr__, __dir__ = lazy_exports(__name__, globals(), _LAZY_NAMES)

``module:attribute`` exports an object under another name; a value equal to
``<package>.<name>`` exports that submodule itself. The first access imports the module and
binds the name in the package, so later accesses cost a dict lookup. Keep this module free
of imports beyond ``importlib``: every lazily exporting package imports it first.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # typing is not imported for this (most of a bare import's cost)
if TYPE_CHECKING:
    from collections.abc import Callable


def lazy_exports(
    package: str, namespace: dict[str, object], table: dict[str, str]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package`` (its ``globals()`` is ``namespace``)."""

    def __getattr__(name: str) -> object:
        target = table.get(name)
        if target is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module_name, _, attribute = target.partition(":")
        module = importlib.import_module(module_name)
        if module_name == f"{package}.{name}":
            value: object = module
        else:
            value = getattr(module, attribute or name)
        namespace[name] = value  # later accesses skip __getattr__
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *(name for name in table if not name.startswith("_"))})

    return __getattr__, __dir__
