"""No import cycle among the modules of src/jellyfish.

The graph is built statically from each module's source: the imports that run when the
module is imported (its top level, including ``if``/``try``/``with`` blocks and class
bodies; not function bodies, and not ``if TYPE_CHECKING:`` blocks, which type checkers alone
read). Importing ``a.b.c`` runs the ``__init__`` of ``a`` and ``a.b`` first, so those count
as imported too, unless they are packages of the importing module itself (already running).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import jellyfish

SRC = Path(jellyfish.__file__).resolve().parent.parent


def _modules(root: Path, package: str) -> dict[str, Path]:
    """Every module of ``package`` under ``root``: dotted name -> file."""
    found: dict[str, Path] = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return ast.unparse(test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")


def _run_at_import(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    """The import statements that importing a module with this body executes."""
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                yield from _run_at_import(node.body)
            yield from _run_at_import(node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody):
                yield from _run_at_import(block)
            for handler in node.handlers:
                yield from _run_at_import(handler.body)
        elif isinstance(node, ast.With | ast.ClassDef):
            yield from _run_at_import(node.body)


def import_graph(root: Path, package: str) -> dict[str, set[str]]:
    """Module -> the modules of ``package`` that importing it imports (see the docstring)."""
    modules = _modules(root, package)
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        own_package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in _run_at_import(ast.parse(path.read_text(encoding="utf-8")).body):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
                continue
            base = node.module or ""
            if node.level:
                anchor = own_package.split(".")[: len(own_package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            targets.add(base)
            # `from package import name` imports the submodule `name` when there is one
            targets.update(f"{base}.{alias.name}" for alias in node.names)
        edges: set[str] = set()
        for target in targets:
            parts = target.split(".")
            for end in range(1, len(parts) + 1):
                prefix = ".".join(parts[:end])
                running = prefix == name or name.startswith(prefix + ".")
                if prefix in modules and not running:
                    edges.add(prefix)
        graph[name] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (or with a self-import)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's algorithm
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph[node]):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph[node]:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_in_the_package() -> None:
    graph = import_graph(SRC, "jellyfish")
    assert len(graph) > 100  # the whole package, generated code included
    assert cycles(graph) == []


def test_events_and_notifications_depend_one_way() -> None:
    graph = import_graph(SRC, "jellyfish")
    assert "jellyfish.events" in graph["jellyfish._notifications._decoder"]
    assert not any(m.startswith("jellyfish._notifications") for m in graph["jellyfish.events"])


def _write(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_a_cycle_through_a_package_init_is_found(tmp_path: Path) -> None:
    # the shape events <-> _notifications had: a submodule imports the other package, whose
    # __init__ imports back from the first package
    _write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/events/__init__.py": "from pkg.notify.decoder import decode\n",
            "pkg/events/protos.py": "",
            "pkg/notify/__init__.py": "",
            "pkg/notify/decoder.py": "from pkg.events.protos import Message\n",
        },
    )
    assert cycles(import_graph(tmp_path, "pkg")) == [["pkg.events", "pkg.notify.decoder"]]


@pytest.mark.parametrize(
    "importer",
    [
        "from pkg import b\n",
        "import pkg.b\n",
        "from . import b\n",
        "from .b import thing\n",
        "try:\n    from pkg.b import thing\nexcept ImportError:\n    pass\n",
        "class A:\n    from pkg.b import thing\n",
    ],
)
def test_every_form_of_a_run_time_import_counts(tmp_path: Path, importer: str) -> None:
    _write(
        tmp_path, {"pkg/__init__.py": "", "pkg/a.py": importer, "pkg/b.py": "from pkg import a\n"}
    )
    assert cycles(import_graph(tmp_path, "pkg")) == [["pkg.a", "pkg.b"]]


@pytest.mark.parametrize(
    "importer",
    [
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import b\n",
        "import typing\nif typing.TYPE_CHECKING:\n    from pkg import b\n",
        "def load():\n    from pkg import b\n",
    ],
)
def test_imports_for_type_checkers_or_inside_functions_do_not_count(
    tmp_path: Path, importer: str
) -> None:
    _write(
        tmp_path, {"pkg/__init__.py": "", "pkg/a.py": importer, "pkg/b.py": "from pkg import a\n"}
    )
    assert cycles(import_graph(tmp_path, "pkg")) == []


def test_a_package_importing_its_own_submodules_is_no_cycle(tmp_path: Path) -> None:
    # `from pkg import b` inside pkg.a does not run pkg/__init__ again: it is already running
    _write(
        tmp_path,
        {"pkg/__init__.py": "from pkg.a import x\n", "pkg/a.py": "from pkg import b\nx = 1\n"},
    )
    _write(tmp_path, {"pkg/b.py": ""})
    graph = import_graph(tmp_path, "pkg")
    assert graph == {"pkg": {"pkg.a"}, "pkg.a": {"pkg.b"}, "pkg.b": set()}
    assert cycles(graph) == []
