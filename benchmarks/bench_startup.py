"""Start-up: ``import jellyfish``, the imports users write, ``jellyfish --help``.

What a user waits for before their program (or the command) does anything. Every
measurement is the CPU time (user + system) of a new process, minus that of ``python -c
pass`` on the same interpreter ("net"), the median of interleaved runs. CPU time, not wall
time: an import does no I/O once the page cache is warm, so on an idle machine the two
agree, and on a busy one CPU time does not count the waits for other processes' turns.
Rows are rates (1 / net seconds) so that higher is better, like every other row; the notes
give the milliseconds and the share of 0.4.0's time.

* ``import jellyfish`` vs 0.4.0's (``.nox/legacy-040``, built as bench_legacy.py does):
  target >= 2.0x, i.e. at most half of 0.4.0's import time.
* ``from jellyfish import RoomApi`` / ``Notifier`` / ``receive_binary``, each alone, vs
  0.4.0's ``import jellyfish``: target >= 2.5x, i.e. at most 0.4 of its time; all three in
  one line: target >= 1.67x (at most 0.6 of its time). The same line on 0.4.0 is shown too
  (no target).
* ``RoomApi``'s first call: ``from jellyfish import RoomApi``, ``RoomApi(...)`` and one
  ``get_room`` (against bench_rest.py's canned-answer server, run by this process) vs the same
  program on 0.4.0: target >= 1.0x. The REST modules load httpx, httpcore and the models with
  the first call rather than at import; this row shows that the cost was not just moved
  (its notes give the import, the constructor and the call apart).
* ``import jellyfish`` vs the floor of a client built on the same libraries, eagerly:
  ``import google.protobuf.message, httpx, websocket``. No target (informational).
* ``jellyfish --help`` (the console script) vs the bare interpreter start-up, gross CPU
  time. No target; the notes give the milliseconds.
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import Result
from bench_legacy import _clean_env, ensure_venv
from bench_rest import canned_server

IMPORT_OURS = "import jellyfish"
# What users write, each measured against 0.4.0's `import jellyfish` (issue 17.5): the time
# ratio each must stay under.
USER_IMPORTS = {
    "from jellyfish import RoomApi": 0.4,
    "from jellyfish import Notifier": 0.4,
    "from jellyfish import receive_binary": 0.4,
    "from jellyfish import RoomApi, Notifier, receive_binary": 0.6,
}
THREE_NAMES = "from jellyfish import RoomApi, Notifier, receive_binary"
# The same program on both SDKs (0.4.0's RoomApi takes the same positional arguments).
CONSTRUCT = "from jellyfish import RoomApi\napi = RoomApi({address!r}, 'development')"
FIRST_CALL = CONSTRUCT + "\napi.get_room('bench')"
IMPORT_FLOOR = "import google.protobuf.message, httpx, websocket"
COMMAND = Path(sys.executable).with_name("jellyfish")


HERE = Path(__file__).resolve().parent


def _cpu_seconds(argv: Sequence[str], env: dict[str, str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    # cwd: a directory without a `jellyfish` package in it (the 0.4.0 venv must import its own)
    subprocess.run(argv, check=True, env=env, stdout=subprocess.DEVNULL, cwd=HERE, timeout=60)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _medians(commands: dict[str, list[str]], env: dict[str, str], runs: int) -> dict[str, float]:
    for argv in commands.values():  # warm the bytecode caches and the page cache
        _cpu_seconds(argv, env)
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, argv in commands.items():
            samples[name].append(_cpu_seconds(argv, env))
    return {name: statistics.median(values) for name, values in samples.items()}


def _rate(seconds: float) -> float:
    return 1.0 / max(seconds, 1e-4)


def run(quick: bool) -> list[Result]:
    with canned_server() as address:
        return _run(quick, address)


def _run(quick: bool, address: str) -> list[Result]:
    runs = 7 if quick else 25
    env = _clean_env()
    # Users' imports read cached bytecode (pip compiles a wheel at install, and an editable
    # install writes __pycache__ on first import): let the warm-up run write it here too.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    here = sys.executable
    commands = {
        "pass": [here, "-c", "pass"],
        "ours": [here, "-c", IMPORT_OURS],
        "floor": [here, "-c", IMPORT_FLOOR],
        "help": [str(COMMAND), "--help"],
        **{line: [here, "-c", line] for line in USER_IMPORTS},
        "constructed": [here, "-c", CONSTRUCT.format(address=address)],
        "first call": [here, "-c", FIRST_CALL.format(address=address)],
    }
    legacy_note = ""
    try:
        legacy_python = str(ensure_venv())
        commands["legacy pass"] = [legacy_python, "-c", "pass"]
        commands["legacy"] = [legacy_python, "-c", IMPORT_OURS]
        commands["legacy three names"] = [legacy_python, "-c", THREE_NAMES]
        commands["legacy first call"] = [legacy_python, "-c", FIRST_CALL.format(address=address)]
    except RuntimeError as error:
        legacy_note = f"0.4.0 not measured: {error}"
        print(f"  {legacy_note}", file=sys.stderr, flush=True)
    median = _medians(commands, env, runs)

    def net(name: str) -> float:
        return median[name] - median["legacy pass" if name.startswith("legacy") else "pass"]

    ours = net("ours")
    floor = net("floor")
    legacy = net("legacy") if "legacy" in median else None
    ms = 1000.0
    if legacy is not None:
        legacy_note = f"net {ours * ms:.0f} ms vs 0.4.0 {legacy * ms:.0f} ms (median of {runs})"
    results = [
        Result(
            "startup: import jellyfish vs 0.4.0",
            _rate(ours),
            "imports/s",
            raw=None if legacy is None else _rate(legacy),
            raw_name="0.4.0 import jellyfish",
            target=2.0,
            notes=legacy_note,
        ),
    ]
    for line, share in USER_IMPORTS.items():
        mine = net(line)
        note = (
            legacy_note
            if legacy is None
            else (
                f"net {mine * ms:.0f} ms = {mine / legacy:.2f} of 0.4.0's {legacy * ms:.0f} ms "
                f"(target <= {share})"
            )
        )
        results.append(
            Result(
                f"startup: {line.removeprefix('from jellyfish ')}",
                _rate(mine),
                "imports/s",
                raw=None if legacy is None else _rate(legacy),
                raw_name="0.4.0 import jellyfish",
                target=round(1 / share, 2),
                notes=note,
            )
        )
    room_api = net("from jellyfish import RoomApi")
    first_call = net("first call")
    legacy_first_call = net("legacy first call") if legacy is not None else None
    results.append(
        Result(
            "startup: RoomApi import + first call vs 0.4.0",
            _rate(first_call),
            "programs/s",
            raw=None if legacy_first_call is None else _rate(legacy_first_call),
            raw_name="0.4.0, same program",
            target=1.0,
            notes=(
                f"net {first_call * ms:.0f} ms: import {room_api * ms:.0f} ms, "
                f"+ RoomApi(...) {(net('constructed') - room_api) * ms:.0f} ms, "
                f"+ first get_room {(first_call - net('constructed')) * ms:.0f} ms"
                + ("" if legacy_first_call is None else f"; 0.4.0 {legacy_first_call * ms:.0f} ms")
            ),
        )
    )
    if legacy is not None:
        same_line = net("legacy three names")
        mine = net(THREE_NAMES)
        results.append(
            Result(
                "startup: import RoomApi, Notifier, receive_binary vs 0.4.0 same line",
                _rate(mine),
                "imports/s",
                raw=_rate(same_line),
                raw_name="0.4.0, same line",
                notes=f"net {mine * ms:.0f} ms vs 0.4.0 {same_line * ms:.0f} ms",
            )
        )
    return [
        *results,
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
            notes=f"CPU {median['help'] * ms:.0f} ms (python alone {median['pass'] * ms:.0f} ms)",
        ),
    ]


if __name__ == "__main__":
    for result in run("--quick" in sys.argv):
        ratio = f"{result.ratio:.2f}x" if result.ratio is not None else "-"
        print(f"{result.name:40} {result.ours:>10,.1f} {result.unit} ratio {ratio}  {result.notes}")
