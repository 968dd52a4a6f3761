"""The built wheel ships the generated code, the typing marker and the protobuf stubs."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        check=True,
    )
    (wheel,) = out.glob("jellyfish_server_sdk-*.whl")
    return wheel


@pytest.fixture(scope="module")
def wheel_names(wheel_path: Path) -> set[str]:
    with zipfile.ZipFile(wheel_path) as archive:
        return set(archive.namelist())


def test_wheel_contains_the_generated_rest_models_only(wheel_names: set[str]) -> None:
    assert "jellyfish/_openapi_client/models/room.py" in wheel_names
    assert "jellyfish/_openapi_client/enum_options.py" in wheel_names
    # the generated HTTP layer is not shipped: jellyfish.api sends the requests
    assert not [n for n in wheel_names if n.startswith("jellyfish/_openapi_client/api/")]
    assert "jellyfish/_openapi_client/client.py" not in wheel_names


def test_wheel_contains_protobuf_modules_and_stubs(wheel_names: set[str]) -> None:
    for name in ("server_notifications", "peer_notifications"):
        assert f"jellyfish/events/_protos/jellyfish/{name}_pb2.py" in wheel_names
        assert f"jellyfish/events/_protos/jellyfish/{name}_pb2.pyi" in wheel_names


def test_wheel_is_typed_at_the_package_root(wheel_names: set[str]) -> None:
    assert "jellyfish/py.typed" in wheel_names


def test_wheel_installs_only_the_jellyfish_command(wheel_path: Path) -> None:
    # 0.4.0 shipped nine broken dev scripts as console commands; we ship one, `jellyfish`.
    with zipfile.ZipFile(wheel_path) as archive:
        (entry_points,) = [n for n in archive.namelist() if n.endswith("entry_points.txt")]
        text = archive.read(entry_points).decode()
    assert text.split() == ["[console_scripts]", "jellyfish", "=", "jellyfish._cli:main"]
