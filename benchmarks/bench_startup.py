"""Start-up: ``import jellyfish`` and ``jellyfish --help``, each in a fresh interpreter.

What a user waits for before their program (or the command) does anything. Every
measurement is the wall time of a new process, minus that of ``python -c pass`` on the
same interpreter ("net"), the median of interleaved runs (the processes alternate, so
machine load hits all sides alike). Rows are rates (1 / net seconds) so that higher is
better, like every other row; the notes give the milliseconds.

* ``import jellyfish`` vs 0.4.0's (``.nox/legacy-040``, built as bench_legacy.py does):
  target >= 2.0x, i.e. at most half of 0.4.0's import time.
* ``import jellyfish`` vs the floor of a client built on the same libraries, eagerly:
  ``import google.protobuf.message, httpx, websocket``. No target (informational).
* ``jellyfish --help`` (the console script) vs the bare interpreter start-up, gross wall
  time. No target; the notes give the milliseconds.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import Result
from bench_legacy import _clean_env, ensure_venv

IMPORT_OURS = "import jellyfish"
IMPORT_FLOOR = "import google.protobuf.message, httpx, websocket"
COMMAND = Path(sys.executable).with_name("jellyfish")


HERE = Path(__file__).resolve().parent


def _wall(argv: Sequence[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    # cwd: a directory without a `jellyfish` package in it (the 0.4.0 venv must import its own)
    subprocess.run(argv, check=True, env=env, stdout=subprocess.DEVNULL, cwd=HERE, timeout=60)
    return time.perf_counter() - started


def _medians(commands: dict[str, list[str]], env: dict[str, str], runs: int) -> dict[str, float]:
    for argv in commands.values():  # warm the bytecode caches and the page cache
        _wall(argv, env)
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, argv in commands.items():
            samples[name].append(_wall(argv, env))
    return {name: statistics.median(values) for name, values in samples.items()}


def _rate(seconds: float) -> float:
    return 1.0 / max(seconds, 1e-4)


def run(quick: bool) -> list[Result]:
    runs = 7 if quick else 25
    env = _clean_env()
    here = sys.executable
    commands = {
        "pass": [here, "-c", "pass"],
        "ours": [here, "-c", IMPORT_OURS],
        "floor": [here, "-c", IMPORT_FLOOR],
        "help": [str(COMMAND), "--help"],
    }
    legacy_note = ""
    try:
        legacy_python = str(ensure_venv())
        commands["legacy pass"] = [legacy_python, "-c", "pass"]
        commands["legacy"] = [legacy_python, "-c", IMPORT_OURS]
    except RuntimeError as error:
        legacy_note = f"0.4.0 not measured: {error}"
        print(f"  {legacy_note}", file=sys.stderr, flush=True)
    median = _medians(commands, env, runs)

    ours = median["ours"] - median["pass"]
    floor = median["floor"] - median["pass"]
    legacy = median["legacy"] - median["legacy pass"] if "legacy" in median else None
    ms = 1000.0
    if legacy is not None:
        legacy_note = f"net {ours * ms:.0f} ms vs 0.4.0 {legacy * ms:.0f} ms (median of {runs})"
    return [
        Result(
            "startup: import jellyfish vs 0.4.0",
            _rate(ours),
            "imports/s",
            raw=None if legacy is None else _rate(legacy),
            raw_name="0.4.0 import jellyfish",
            target=2.0,
            notes=legacy_note,
        ),
        Result(
            "startup: import jellyfish vs floor",
            _rate(ours),
            "imports/s",
            raw=_rate(floor),
            raw_name="protobuf+httpx+websocket-client",
            notes=f"net {ours * ms:.0f} ms vs floor {floor * ms:.0f} ms",
        ),
        Result(
            "startup: jellyfish --help",
            _rate(median["help"]),
            "runs/s",
            raw=_rate(median["pass"]),
            raw_name="python -c pass",
            notes=f"wall {median['help'] * ms:.0f} ms (python alone {median['pass'] * ms:.0f} ms)",
        ),
    ]


if __name__ == "__main__":
    for result in run("--quick" in sys.argv):
        ratio = f"{result.ratio:.2f}x" if result.ratio is not None else "-"
        print(f"{result.name:40} {result.ours:>10,.1f} {result.unit} ratio {ratio}  {result.notes}")
