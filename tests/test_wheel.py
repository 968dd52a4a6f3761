"""The built wheel ships the generated code, the typing marker and the protobuf stubs."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        check=True,
    )
    (wheel,) = out.glob("jellyfish_server_sdk-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_wheel_contains_generated_rest_client(wheel_names: set[str]) -> None:
    assert "jellyfish/_openapi_client/client.py" in wheel_names
    assert "jellyfish/_openapi_client/models/room.py" in wheel_names
    assert "jellyfish/_openapi_client/api/room/create_room.py" in wheel_names


def test_wheel_contains_protobuf_modules_and_stubs(wheel_names: set[str]) -> None:
    for name in ("server_notifications", "peer_notifications"):
        assert f"jellyfish/events/_protos/jellyfish/{name}_pb2.py" in wheel_names
        assert f"jellyfish/events/_protos/jellyfish/{name}_pb2.pyi" in wheel_names


def test_wheel_is_typed_at_the_package_root(wheel_names: set[str]) -> None:
    assert "jellyfish/py.typed" in wheel_names


def test_wheel_installs_no_console_scripts(wheel_names: set[str]) -> None:
    # 0.4.0 shipped nine broken dev scripts as console commands; we ship none.
    entry_points = [n for n in wheel_names if n.endswith("entry_points.txt")]
    assert entry_points == []
