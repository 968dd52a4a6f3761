"""examples/quickstart.py never waits on a timeout, and docs/index.md shows what it prints.

The output block that follows ``<!-- output of examples/quickstart.py -->`` in docs/index.md
is compared with a real run, ids, ports and times aside (they differ from run to run). To
regenerate it after changing the quickstart:
``JELLYFISH_UPDATE_DOCS=1 pytest tests/docs/test_quickstart.py``.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import jellyfish.events

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "examples" / "quickstart.py"
INDEX = ROOT / "docs" / "index.md"
OUTPUT_BLOCK = re.compile(
    r"(<!-- output of examples/quickstart.py[^\n]*-->\n```text\n)(?P<body>.*?)(^```$)",
    re.DOTALL | re.MULTILINE,
)
VARIABLE = [
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<id>"),
    (re.compile(r"127\.0\.0\.1:\d+"), "127.0.0.1:<port>"),
    (re.compile(r"\b\d+\.\d{3}s\b"), "<seconds>s"),
]
UPDATE = os.environ.get("JELLYFISH_UPDATE_DOCS") == "1"


def _load_quickstart() -> ModuleType:
    spec = importlib.util.spec_from_file_location("quickstart", QUICKSTART)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


quickstart = _load_quickstart()


def _normalise(text: str) -> str:
    for pattern, placeholder in VARIABLE:
        text = pattern.sub(placeholder, text)
    return text


def test_it_waits_for_notifications_under_their_real_names() -> None:
    assert set(quickstart.EXPECTED) <= set(jellyfish.events.__all__)


def test_a_wait_that_runs_out_stops_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """A notification that never comes ends the run with WaitTimedOut, not a passing check."""
    never_sent = "ServerMessageHlsPlayable"  # no HLS stream plays in the quickstart
    monkeypatch.setattr(quickstart, "EXPECTED", [*quickstart.EXPECTED[:2], never_sent])
    monkeypatch.setattr(quickstart, "WAIT_SECONDS", 0.5)
    for name in ("JELLYFISH_ADDRESS", "JELLYFISH_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(quickstart.WaitTimedOut, match=never_sent):
        quickstart.main()


def test_the_order_is_checked() -> None:
    assert quickstart._not_in_order(["a", "b", "c"], ["a", "x", "b", "c"]) == []
    assert quickstart._not_in_order(["a", "b", "c"], ["b", "a", "c"]) == ["b", "c"]


def test_index_shows_what_the_quickstart_prints() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JELLYFISH_", "WEBHOOK_"))}
    run = subprocess.run(
        [sys.executable, str(QUICKSTART)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stderr == ""
    page = INDEX.read_text(encoding="utf-8")
    match = OUTPUT_BLOCK.search(page)
    assert match, "docs/index.md has no <!-- output of examples/quickstart.py --> text block"
    if UPDATE:
        INDEX.write_text(page[: match.start("body")] + run.stdout + page[match.end("body") :])
        return
    assert _normalise(match["body"]) == _normalise(run.stdout), (
        "docs/index.md no longer shows what the quickstart prints; "
        "run JELLYFISH_UPDATE_DOCS=1 pytest tests/docs/test_quickstart.py"
    )
