"""Run ``jellyfish`` against the emulator: as a user does (a subprocess) and in-process.

``jellyfish_cli`` is parametrised over both ways, so each test checks the console script a
user types and click's test runner alike; both get the connection from ``JELLYFISH_*``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from jellyfish._cli import cli
from jellyfish.testing import JellyfishServer
from jellyfish.testing.pytest_plugin import RealJellyfish

COMMAND = Path(sys.executable).with_name("jellyfish")
"""The console script ``pip install`` put next to this interpreter."""

SETTINGS_VARIABLES = ("JELLYFISH_ADDRESS", "JELLYFISH_TOKEN", "JELLYFISH_SECURE")


@dataclass(frozen=True)
class Outcome:
    exit_code: int
    stdout: str
    stderr: str


Run = Callable[..., Outcome]


def server_env(server: JellyfishServer | RealJellyfish) -> dict[str, str]:
    return {"JELLYFISH_ADDRESS": server.address, "JELLYFISH_TOKEN": server.token}


def run_subprocess(
    *args: str, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> Outcome:
    environ = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    environ.update(env or {})
    done = subprocess.run(
        [str(COMMAND), *args],
        capture_output=True,
        text=True,
        env=environ,
        cwd=cwd,
        timeout=60,
    )
    return Outcome(done.returncode, done.stdout, done.stderr)


def run_in_process(
    *args: str, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> Outcome:
    variables: dict[str, str | None] = dict.fromkeys(SETTINGS_VARIABLES)
    variables.update(env or {})
    runner = CliRunner()
    previous = Path.cwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        result = runner.invoke(cli, list(args), env=variables, prog_name="jellyfish")
    finally:
        os.chdir(previous)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # a bug, not a failure the command reports
    return Outcome(result.exit_code, result.stdout, result.stderr)


@pytest.fixture(params=["subprocess", "in-process"])
def run(request: pytest.FixtureRequest) -> Run:
    """Runs ``jellyfish ARGS`` with ``env`` and returns the exit code, stdout and stderr."""
    return run_subprocess if request.param == "subprocess" else run_in_process  # type: ignore[return-value]


@pytest.fixture
def env(jellyfish_shared_server: JellyfishServer | RealJellyfish) -> dict[str, str]:
    """``JELLYFISH_ADDRESS``/``JELLYFISH_TOKEN`` of the session's server."""
    return server_env(jellyfish_shared_server)


@pytest.fixture
def unused_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
