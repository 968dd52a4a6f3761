"""No hand-written module of ``src/jellyfish`` names a private attribute of another library.

Code that reads or patches another library's private names (``websocket._abnf``, an
``httpx.Client``'s ``_transport``) breaks on that library's next minor release, and
nothing would notice until a user does. This test reads the source (``ast``, nothing is
imported) and fails on:

* an import of a private module or name of another package: ``import websocket._abnf``,
  ``from websocket._abnf import frame_buffer``, ``from httpx import _utils``;
* an attribute with a leading underscore (not a ``__dunder__``) read, written or passed to
  ``getattr``/``setattr``/``hasattr``/``delattr`` on something that comes from another
  package: the imported name itself (``websocket._abnf``), or a value derived from it -
  assigned from an expression on it (``client = httpx.Client()``), annotated with one of
  its types (``client: httpx.Client``), the same for ``self.<attribute>`` within a class,
  or reached through such a value (``client._transport``, ``getattr(transport, "_pool")``).

Generated code is not checked: what codegen writes is reviewed in codegen/.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "jellyfish"
GENERATED_DIRECTORIES = ("_openapi_client", "events/_protos")
GENERATED_FILES = ("events/_generated.py",)
GENERATED_HEADER = "# GENERATED"  # the first line of codegen's other outputs (unasync)

DOCUMENTED_UNDERSCORE_NAMES = frozenset({"_asdict", "_replace", "_fields", "_make"})
"""Underscore names that are another library's documented public API (namedtuple's)."""

ATTRIBUTE_FUNCTIONS = frozenset({"getattr", "setattr", "hasattr", "delattr"})


def is_private(name: str) -> bool:
    return (
        name.startswith("_")
        and not (name.startswith("__") and name.endswith("__"))
        and name not in DOCUMENTED_UNDERSCORE_NAMES
    )


@dataclass
class Scope:
    """Which names (and ``self.<attribute>``s) hold something from another package."""

    foreign: dict[str, str] = field(default_factory=dict)  # name -> the package
    foreign_self: dict[str, str] = field(default_factory=dict)

    def child(self) -> Scope:
        return Scope(dict(self.foreign), dict(self.foreign_self))


class PrivateNameFinder:
    """Collects ``(line, description)`` of every private name of another package used."""

    def __init__(self, tree: ast.Module, own_package: str = "jellyfish") -> None:
        self.own_package = own_package
        self.found: list[tuple[int, str]] = []
        self._tree = tree

    def run(self) -> list[tuple[int, str]]:
        self._body(self._tree.body, Scope())
        return sorted(set(self.found))

    # ------------------------------------------------------------------ what is foreign

    def _package_of(self, module: str | None, level: int) -> str | None:
        if level or module is None:
            return None  # relative: this package
        top = module.split(".")[0]
        return None if top == self.own_package else top

    def _origin(self, node: ast.AST | None, scope: Scope) -> str | None:
        """The other package ``node``'s value comes from, if it does."""
        while node is not None:
            if isinstance(node, ast.Name):
                return scope.foreign.get(node.id)
            if isinstance(node, ast.Attribute):
                if isinstance(node.value, ast.Name) and node.value.id == "self":
                    return scope.foreign_self.get(node.attr)
                node = node.value
            elif isinstance(node, ast.Call):
                if (
                    isinstance(node.func, ast.Name)
                    and node.func.id in ATTRIBUTE_FUNCTIONS
                    and node.args
                ):
                    node = node.args[0]
                else:
                    node = node.func
            elif isinstance(node, ast.Subscript | ast.Starred | ast.Await):
                node = node.value
            elif isinstance(node, ast.BinOp):  # X | None
                return self._origin(node.left, scope) or self._origin(node.right, scope)
            elif isinstance(node, ast.List | ast.Tuple | ast.Set):
                origins = (self._origin(element, scope) for element in node.elts)
                return next((origin for origin in origins if origin), None)
            else:
                return None
        return None

    def _bind(self, target: ast.AST, origin: str | None, scope: Scope) -> None:
        if origin is None:
            return
        if isinstance(target, ast.Name):
            scope.foreign[target.id] = origin
        elif (
            isinstance(target, ast.Attribute)
            and isinstance(target.value, ast.Name)
            and target.value.id == "self"
        ):
            scope.foreign_self[target.attr] = origin
        elif isinstance(target, ast.Tuple | ast.List):
            for element in target.elts:
                self._bind(element, origin, scope)

    # ------------------------------------------------------------------ the walk

    def _body(self, statements: list[ast.stmt], scope: Scope) -> None:
        # Bindings first (flow-insensitive), so a use before its assignment is seen too.
        for statement in statements:
            self._collect(statement, scope)
        for statement in statements:
            self._check(statement, scope)

    def _collect(self, statement: ast.stmt, scope: Scope) -> None:
        for node in ast.walk(statement):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                continue  # their own scope (walked again below; harmless)
            if isinstance(node, ast.Import):
                for alias in node.names:
                    package = self._package_of(alias.name, 0)
                    if package is not None:
                        scope.foreign[alias.asname or alias.name.split(".")[0]] = package
            elif isinstance(node, ast.ImportFrom):
                package = self._package_of(node.module, node.level)
                if package is not None:
                    for alias in node.names:
                        scope.foreign[alias.asname or alias.name] = package
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    self._bind(target, self._origin(node.value, scope), scope)
            elif isinstance(node, ast.AnnAssign):
                origin = self._origin(node.annotation, scope) or self._origin(node.value, scope)
                self._bind(node.target, origin, scope)
            elif isinstance(node, ast.For | ast.AsyncFor):
                self._bind(node.target, self._origin(node.iter, scope), scope)
            elif isinstance(node, ast.withitem) and node.optional_vars is not None:
                self._bind(node.optional_vars, self._origin(node.context_expr, scope), scope)
            elif isinstance(node, ast.NamedExpr):
                self._bind(node.target, self._origin(node.value, scope), scope)
            elif isinstance(node, ast.ClassDef):
                # self.<attribute> annotated or assigned anywhere in the class's methods
                for method in ast.walk(node):
                    if isinstance(method, ast.FunctionDef | ast.AsyncFunctionDef):
                        self._collect_self(method, scope)
                    elif isinstance(method, ast.AnnAssign):
                        self._bind(method.target, self._origin(method.annotation, scope), scope)

    def _collect_self(self, method: ast.FunctionDef | ast.AsyncFunctionDef, scope: Scope) -> None:
        """The ``self.<attribute>``s a method sets from something of another package."""
        local = self._parameters(method, scope)
        for inner in ast.walk(method):
            if isinstance(inner, ast.AnnAssign):
                origin = self._origin(inner.annotation, local) or self._origin(inner.value, local)
                targets = [inner.target]
            elif isinstance(inner, ast.Assign):
                origin, targets = self._origin(inner.value, local), inner.targets
            else:
                continue
            for target in targets:
                if isinstance(target, ast.Attribute):
                    self._bind(target, origin, scope)
                self._bind(target, origin, local)

    def _parameters(self, function: ast.FunctionDef | ast.AsyncFunctionDef, scope: Scope) -> Scope:
        """A scope for ``function``'s body: its parameters annotated with foreign types."""
        inner = scope.child()
        arguments = function.args
        for argument in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs):
            self._bind(ast.Name(argument.arg), self._origin(argument.annotation, scope), inner)
        return inner

    def _check(self, statement: ast.stmt, scope: Scope) -> None:
        for node in ast.walk(statement):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self._body(node.body, self._parameters(node, scope))
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    private = [part for part in alias.name.split(".") if is_private(part)]
                    if private and self._package_of(alias.name, 0):
                        self.found.append((node.lineno, f"import {alias.name}"))
            elif isinstance(node, ast.ImportFrom):
                if self._package_of(node.module, node.level) is None:
                    continue
                module = node.module or ""
                if any(is_private(part) for part in module.split(".")):
                    self.found.append((node.lineno, f"from {module} import ..."))
                for alias in node.names:
                    if is_private(alias.name):
                        self.found.append((node.lineno, f"from {module} import {alias.name}"))
            elif isinstance(node, ast.Attribute) and is_private(node.attr):
                origin = self._origin(node.value, scope)
                if origin is not None:
                    self.found.append((node.lineno, f"{ast.unparse(node)} (from {origin})"))
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ATTRIBUTE_FUNCTIONS
                and len(node.args) >= 2
                and isinstance(node.args[1], ast.Constant)
                and isinstance(node.args[1].value, str)
                and is_private(node.args[1].value)
            ):
                origin = self._origin(node.args[0], scope)
                if origin is not None:
                    self.found.append((node.lineno, f"{ast.unparse(node)} (from {origin})"))


def private_names(source: str) -> list[tuple[int, str]]:
    """``(line, what)`` for every private name of another package ``source`` uses."""
    return PrivateNameFinder(ast.parse(source)).run()


def hand_written_modules() -> Iterator[Path]:
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.startswith(GENERATED_DIRECTORIES) or relative in GENERATED_FILES:
            continue
        if path.read_text(encoding="utf-8").startswith(GENERATED_HEADER):
            continue
        yield path


def test_no_module_names_a_private_attribute_of_another_library() -> None:
    modules = list(hand_written_modules())
    assert PACKAGE / "api" / "_async_client.py" in modules
    assert PACKAGE / "api" / "_sync_client.py" not in modules  # generated from the above
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: {what}"
        for path in modules
        for line, what in private_names(path.read_text(encoding="utf-8"))
    ]
    assert not found, "private names of other libraries:\n" + "\n".join(found)


# ---------------------------------------------------------------- the checker catches them

CAUGHT = {
    "import of a private module": (
        "import websocket._abnf\n",
        [(1, "import websocket._abnf")],
    ),
    "from a private module": (
        "from websocket._abnf import continuous_frame, frame_buffer\n",
        [(1, "from websocket._abnf import ...")],
    ),
    "a private name imported": (
        "from httpx import _utils\n",
        [(1, "from httpx import _utils")],
    ),
    "subclassing a private class": (
        "import websocket\n\nclass Frames(websocket._abnf.frame_buffer):\n    pass\n",
        [(3, "websocket._abnf (from websocket)")],
    ),
    "a private attribute of a client": (
        "import httpx\n"
        "client = httpx.Client()\n"
        "for transport in [client._transport, *client._mounts.values()]:\n"
        "    pool = getattr(transport, '_pool', None)\n"
        "    pool._network_backend = None\n",
        [
            (3, "client._mounts (from httpx)"),
            (3, "client._transport (from httpx)"),
            (4, "getattr(transport, '_pool', None) (from httpx)"),
            (5, "pool._network_backend (from httpx)"),
        ],
    ),
    "an annotated parameter": (
        "from __future__ import annotations\n"
        "import httpx\n"
        "def patch(client: httpx.Client | None) -> None:\n"
        "    client._transport = None\n",
        [(4, "client._transport (from httpx)")],
    ),
    "an attribute of self": (
        "import httpx as h\n"
        "class Api:\n"
        "    def __init__(self, client: h.AsyncClient) -> None:\n"
        "        self._client = client\n"
        "    async def send(self) -> None:\n"
        "        transport = self._client._transport\n",
        [(6, "self._client._transport (from httpx)")],
    ),
    "the result of a call": (
        "import httpx\ndef f():\n    return httpx.Client()._mounts\n",
        [(3, "httpx.Client()._mounts (from httpx)")],
    ),
}

ALLOWED = {
    "own private names": (
        "from jellyfish._settings import Secret\n"
        "from . import _calls\n"
        "import jellyfish._cli\n"
        "class Api:\n"
        "    def __init__(self) -> None:\n"
        "        self._settings = Secret('x')\n"
        "        self._settings._value\n"
        "        _calls._private\n"
    ),
    "public names and dunders of other libraries": (
        "import httpx\nclient = httpx.Client()\n"
        "client.headers\nclient.__class__\nhttpx.__version__\n"
    ),
    "namedtuple's documented underscore API": (
        "from typing import NamedTuple\nclass P(NamedTuple):\n    x: int\n"
        "P(1)._replace(x=2)._asdict()\n"
    ),
    "a subclass of a public class, with private names of its own": (
        "import httpcore\n"
        "class Stream(httpcore.NetworkStream):\n"
        "    def __init__(self, stream: httpcore.NetworkStream) -> None:\n"
        "        self._stream = stream\n"
        "    def read(self) -> bytes:\n"
        "        return self._stream.read(1)\n"
    ),
}


@pytest.mark.parametrize("case", CAUGHT)
def test_the_checker_catches_private_names(case: str) -> None:
    source, expected = CAUGHT[case]
    assert private_names(source) == expected


@pytest.mark.parametrize("case", ALLOWED)
def test_the_checker_allows_public_and_own_names(case: str) -> None:
    assert private_names(ALLOWED[case]) == []


def test_the_checker_catches_the_old_rest_deadline() -> None:
    """What the blocking REST client did before it used httpx's public extension points."""
    old = (
        "import httpcore\nimport httpx\n"
        "def new_http_client(settings, owner) -> httpx.Client:\n"
        "    client = httpx.Client(timeout=settings.timeout)\n"
        "    for transport in [client._transport, *client._mounts.values()]:\n"
        '        pool = getattr(transport, "_pool", None)\n'
        '        backend = getattr(pool, "_network_backend", None)\n'
        "        if isinstance(backend, httpcore.NetworkBackend):\n"
        "            pool._network_backend = backend\n"
        "    return client\n"
    )
    assert [line for line, _ in private_names(old)] == [5, 5, 6, 7, 9]
