"""mypy --strict accepts 0.4.0-style code using the notification and model surface (and it runs)."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

SCRIPT = Path(__file__).with_name("typecheck_user_script.py")


def test_user_script_passes_mypy_strict() -> None:
    api = pytest.importorskip("mypy.api", reason="mypy is in the test dependency group")
    stdout, stderr, status = api.run(
        ["--strict", "--python-version", "3.10", "--no-incremental", str(SCRIPT)]
    )
    assert status == 0, stdout + stderr


def test_user_script_runs(capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(SCRIPT), run_name="__main__")
    assert capsys.readouterr().out.rstrip().endswith("ok")
