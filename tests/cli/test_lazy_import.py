"""``import jellyfish`` loads what a program uses when it first uses it (PEP 562).

Each check runs in a fresh interpreter: ``sys.modules`` of this one is already full.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import jellyfish

PACKAGE_INIT = Path(jellyfish.__file__)
HEAVY = (
    "click",
    "httpx",
    "websocket",
    "wsproto",
    "anyio",
    "attrs",
    "google.protobuf",
    "jellyfish._openapi_client",
    "jellyfish.api",
    "jellyfish._notifications",
    "jellyfish.events",
    "jellyfish._cli",
)


def _loaded_after(code: str) -> set[str]:
    probe = f"import sys\n{code}\nimport json\nprint('MODULES', json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(json.loads(done.stdout.split("MODULES ", 1)[1]))


def test_import_jellyfish_loads_no_dependency() -> None:
    loaded = _loaded_after("import jellyfish")
    assert sorted(name for name in HEAVY if name in loaded) == []


def test_jellyfish_help_loads_no_http_or_websocket_library() -> None:
    loaded = _loaded_after(
        "from jellyfish._cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass"
    )
    assert "click" in loaded
    assert sorted(name for name in HEAVY[1:] if name in loaded and name != "jellyfish._cli") == []


def test_using_a_name_loads_only_what_it_needs() -> None:
    loaded = _loaded_after("import jellyfish\njellyfish.receive_binary")
    assert "google.protobuf" in loaded
    assert "httpx" not in loaded
    assert "click" not in loaded


def test_every_public_name_resolves_in_a_fresh_interpreter() -> None:
    code = (
        "import jellyfish\n"
        "missing = [n for n in jellyfish.__all__ if getattr(jellyfish, n, None) is None]\n"
        "assert not missing, missing\n"
        "from jellyfish import *\n"
        "assert RoomApi is jellyfish.api.RoomApi\n"
        "assert errors is jellyfish.errors and events is jellyfish.events\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_every_public_name_is_the_object_its_module_defines() -> None:
    for name in jellyfish.__all__:
        value = getattr(jellyfish, name)
        assert value is not None, name
    assert jellyfish.Notifier is jellyfish._notifications.Notifier
    assert jellyfish.ComponentHLS is jellyfish._openapi_client.models.ComponentHLS


def test_subpackages_bound_by_the_old_eager_import_are_still_reachable() -> None:
    code = "import jellyfish\nassert jellyfish.api.RoomApi is jellyfish.RoomApi"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_import_jellyfish_loads_not_even_typing() -> None:
    assert "typing" not in _loaded_after("import jellyfish")


def test_dir_lists_every_public_name() -> None:
    assert set(jellyfish.__all__) <= set(dir(jellyfish))


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="has no attribute 'NoSuchThing'"):
        jellyfish.NoSuchThing  # noqa: B018
    assert not hasattr(jellyfish, "NoSuchThing")


def test_the_lazy_table_the_type_checking_imports_and_all_agree() -> None:
    """One table drives run time; the TYPE_CHECKING imports must name the same things."""
    tree = ast.parse(PACKAGE_INIT.read_text(encoding="utf-8"))
    type_checking_imports: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for statement in node.body:
                assert isinstance(statement, ast.ImportFrom)
                for alias in statement.names:
                    module = statement.module or ""
                    name = alias.asname or alias.name
                    if module == "jellyfish":  # a subpackage
                        type_checking_imports[name] = f"jellyfish.{alias.name}"
                    elif name != alias.name:  # exported under another name
                        type_checking_imports[name] = f"{module}:{alias.name}"
                    else:
                        type_checking_imports[name] = module
    table: dict[str, str] = jellyfish._LAZY_NAMES  # type: ignore[attr-defined]
    assert type_checking_imports == table
    # The table may hold more: generated names kept importable but out of `__all__`.
    assert set(jellyfish.__all__) <= {*table, "__version__"}


@pytest.mark.parametrize(
    "package",
    [
        "jellyfish",
        "jellyfish.api",
        "jellyfish._notifications",
        "jellyfish.events",
        "jellyfish._openapi_client.models",
    ],
)
def test_every_lazily_exported_name_resolves(package: str) -> None:
    code = (
        "import importlib\n"
        f"package = importlib.import_module({package!r})\n"
        "table = getattr(package, '_LAZY_NAMES', None) or package._MODULES\n"
        "names = sorted(set(table) | set(package.__all__))\n"
        "missing = [name for name in names if getattr(package, name, None) is None]\n"
        "assert not missing, missing\n"
        "assert set(names) <= set(dir(package))\n"
        "print(len(names))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) > 5


@pytest.mark.parametrize(
    "module",
    [
        "jellyfish._notifications",
        "jellyfish._notifications._decoder",
        "jellyfish._notifications._webhooks",
        "jellyfish._notifications._blocking",
        "jellyfish._notifications._anyio",
        "jellyfish.events",
        "jellyfish.api",
        "jellyfish.errors",
        "jellyfish.testing",
        "jellyfish._cli",
    ],
)
def test_each_module_imports_first_in_a_fresh_interpreter(module: str) -> None:
    # no import cycle depends on `import jellyfish` having loaded things in a given order
    subprocess.run([sys.executable, "-c", f"import {module}"], check=True)
