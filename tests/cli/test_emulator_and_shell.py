"""`jellyfish emulator`, `python -m jellyfish`, `--help`, `--version` and shell completion."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from jellyfish import __version__

from .conftest import COMMAND, SETTINGS_VARIABLES, run_in_process, run_subprocess


def _environ() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}


def test_emulator_help_is_the_testing_programs_help() -> None:
    ours = run_subprocess("emulator", "--help")
    theirs = subprocess.run(
        [sys.executable, "-m", "jellyfish.testing", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert ours.exit_code == 0, ours
    # every option of python -m jellyfish.testing, no copy; each names the command it runs as
    assert ours.stdout.startswith("usage: jellyfish emulator ")
    assert theirs.stdout.startswith("usage: python -m jellyfish.testing ")
    assert ours.stdout.split("options:", 1)[1] == theirs.stdout.split("options:", 1)[1]


def test_emulator_rejects_what_the_testing_program_rejects() -> None:
    failed = run_in_process("emulator", "--port", "not-a-port")
    assert failed.exit_code == 2


def test_emulator_serves_until_ctrl_c_and_the_cli_talks_to_it(unused_port: int) -> None:
    address = f"127.0.0.1:{unused_port}"
    process = subprocess.Popen(
        [
            *(str(COMMAND), "emulator", "--port", str(unused_port), "--token", "emulator-secret"),
            *("--metrics-port", "0"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_environ(),
    )
    try:
        assert process.stderr is not None
        for line in process.stderr:  # its log says when it is up
            if "Running Jellyfish emulator" in line:
                break
        answer = httpx.get(
            f"http://{address}/health", headers={"Authorization": "Bearer emulator-secret"}
        )
        assert answer.status_code == 200
        health = run_subprocess("--address", address, "--token", "emulator-secret", "health")
        assert health.exit_code == 0, health
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=15)
    assert process.returncode == 0


def test_python_dash_m_jellyfish_is_the_same_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "jellyfish", "--help"],
        capture_output=True,
        text=True,
        env=_environ(),
    )
    assert done.returncode == 0
    assert done.stdout == run_subprocess("--help").stdout


@pytest.mark.parametrize("args", [("--help",), ("-h",)])
def test_help_lists_every_command_with_examples(args: tuple[str, ...]) -> None:
    shown = run_in_process(*args)
    assert shown.exit_code == 0
    for command in (
        "component", "emulator", "events", "health", "hls", "peer", "recording", "recordings",
        "room", "rooms", "sip", "subscribe", "webhooks",
    ):  # fmt: skip
        assert f"\n  {command} " in shown.stdout
    assert "Examples:" in shown.stdout
    assert "_JELLYFISH_COMPLETE=bash_source jellyfish" in shown.stdout


@pytest.mark.parametrize(
    "command",
    [
        ("health",), ("rooms",), ("room", "create"), ("room", "show"), ("room", "delete"),
        ("peer", "add"), ("peer", "delete"), ("component", "add"), ("component", "delete"),
        ("subscribe",), ("sip", "dial"), ("sip", "hangup"), ("recordings",),
        ("recording", "delete"), ("recording", "get"), ("hls", "get"), ("events",),
        ("webhooks", "listen"),
    ],
)  # fmt: skip
def test_every_command_has_help_with_an_example(command: tuple[str, ...]) -> None:
    shown = run_in_process(*command, "--help")
    assert shown.exit_code == 0
    assert "Example" in shown.stdout
    assert f"jellyfish {' '.join(command)}" in shown.stdout


def test_version() -> None:
    shown = run_in_process("--version")
    assert shown.stdout == f"jellyfish, version {__version__}\n"


def test_the_token_is_never_printed_by_help() -> None:
    shown = run_in_process("--token", "super-secret-token", "--help")
    assert "super-secret-token" not in shown.stdout + shown.stderr
    shown = run_in_process("--help", env={"JELLYFISH_TOKEN": "env-secret-token"})
    assert "env-secret-token" not in shown.stdout + shown.stderr


def test_bash_completion_script_and_completions() -> None:
    script = run_subprocess(env={"_JELLYFISH_COMPLETE": "bash_source"})
    assert script.exit_code == 0
    assert "complete -o nosort -F _jellyfish_completion jellyfish" in script.stdout
    completions = run_subprocess(
        env={
            "_JELLYFISH_COMPLETE": "bash_complete",
            "COMP_WORDS": "jellyfish ro",
            "COMP_CWORD": "1",
        }
    )
    assert completions.stdout.split() == ["plain,room", "plain,rooms"]
    types = run_subprocess(
        env={
            "_JELLYFISH_COMPLETE": "bash_complete",
            "COMP_WORDS": "jellyfish component add demo r",
            "COMP_CWORD": "4",
        }
    )
    assert types.stdout.split() == ["plain,rtsp", "plain,recording"]


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_zsh_and_fish_completion_scripts(shell: str) -> None:
    script = run_subprocess(env={"_JELLYFISH_COMPLETE": f"{shell}_source"})
    assert script.exit_code == 0
    assert "_JELLYFISH_COMPLETE" in script.stdout


def test_emulator_without_the_testing_extra_says_how_to_get_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "jellyfish.testing.__main__", None)  # import fails
    failed = run_in_process("emulator")
    assert failed.exit_code == 1
    # The install docs/install.md describes: the package index has only 0.4.0, without the extra.
    assert failed.stderr.startswith(
        'Error: the emulator needs the testing extra: pip install ".[testing]" in a checkout '
        'of this SDK, or "<wheel file>[testing]" with a wheel built from one (see '
        "docs/install.md) ("
    )
    assert "jellyfish-server-sdk[testing]" not in failed.stderr
    install = (Path(__file__).resolve().parents[2] / "docs" / "install.md").read_text()
    assert 'pip install ".[testing]"' in install  # both installs the message names
    assert '.whl[testing]"' in install
