"""docs/cli.md's session is real: every ``$ jellyfish ...`` line of its ``console`` blocks runs
(as a user runs it: the console script, stderr after stdout) against a fresh emulator, and its
output must be what the page shows.

The emulator runs with its defaults (``jellyfish emulator``: 127.0.0.1, token
``development``) except its port: the page shows the default port, 5002, and the test's
emulator listens on a free one, so ``127.0.0.1:5002`` in a command is the run's port and the
run's port in an output is shown as ``127.0.0.1:5002``. Nothing else is rewritten.

Ids and peer tokens differ from run to run: the first time an id of the page appears in an
output, it is paired with the id the run printed at that place, and later commands use the
run's id. To regenerate the page's outputs after changing the CLI:
``JELLYFISH_UPDATE_DOCS=1 pytest tests/cli/test_docs_session.py``.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest

from jellyfish.testing import JellyfishServer

from .conftest import run_subprocess

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"
# a console block, unless the line before it marks it as a fragment (not run, on purpose)
BLOCK = re.compile(r"^(?P<before>[^\n]*)\n```console\n(?P<body>.*?)^```$", re.MULTILINE | re.DOTALL)
VARIABLE = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|SFMyNTY\.[\w.-]+"
)
UPTIME = re.compile(r"^(uptime: +)\d+ s$", re.MULTILINE)
UPDATE = os.environ.get("JELLYFISH_UPDATE_DOCS") == "1"
DEFAULT_ADDRESS = "127.0.0.1:5002"  # where `jellyfish emulator` listens by default


@dataclass
class Step:
    command: str
    output: str


def parse(body: str) -> list[Step]:
    steps: list[Step] = []
    for line in body.splitlines(keepends=True):
        if line.startswith("$ "):
            steps.append(Step(line[2:].rstrip("\n"), ""))
        elif steps:
            steps[-1].output += line
        else:
            raise AssertionError(f"a console block must start with '$ ': {line!r}")
    return steps


def normalise(text: str) -> str:
    return UPTIME.sub(r"\1N s", text)


def test_documented_session_runs_as_shown(tmp_path: Path) -> None:
    markdown = DOC.read_text(encoding="utf-8")
    blocks = [b for b in BLOCK.finditer(markdown) if not b["before"].startswith("<!-- fragment:")]
    assert blocks, "docs/cli.md has no console session"
    ids: dict[str, str] = {}  # the page's id -> this run's
    rewritten: list[str] = []
    position = 0
    with JellyfishServer() as server:
        assert server.address == f"127.0.0.1:{server.port}"  # what the defaults report
        run_address = server.address
        env = {"JELLYFISH_ADDRESS": run_address, "JELLYFISH_TOKEN": server.token}
        for block in blocks:
            new_body = ""
            for step in parse(block["body"]):
                command = VARIABLE.sub(lambda m: ids.get(m[0], m[0]), step.command)
                argv = shlex.split(command.replace(DEFAULT_ADDRESS, run_address))
                assert argv[0] == "jellyfish", step.command
                outcome = run_subprocess(*argv[1:], env=env, cwd=tmp_path)
                actual = (outcome.stdout + outcome.stderr).replace(run_address, DEFAULT_ADDRESS)
                expected_vars, actual_vars = VARIABLE.findall(step.output), VARIABLE.findall(actual)
                if UPDATE:
                    new_body += f"$ {command}\n{actual}"
                    for documented, real in zip(expected_vars, actual_vars, strict=False):
                        ids.setdefault(documented, real)
                    continue
                assert normalise(VARIABLE.sub("<id>", actual)) == normalise(
                    VARIABLE.sub("<id>", step.output)
                ), f"$ {step.command}"
                # the page's claim: errors exit 1, invalid usage 2, everything else 0
                expected_code = 2 if "Usage: " in actual else 1 if "Error: " in actual else 0
                assert outcome.exit_code == expected_code, (step.command, outcome)
                for documented, real in zip(expected_vars, actual_vars, strict=True):
                    assert ids.setdefault(documented, real) == real, (step.command, documented)
            rewritten.append(markdown[position : block.start("body")] + new_body)
            position = block.end("body")
    if UPDATE:
        DOC.write_text("".join(rewritten) + markdown[position:], encoding="utf-8")
        pytest.skip("docs/cli.md rewritten from this run")
