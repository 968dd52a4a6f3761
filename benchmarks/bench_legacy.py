"""Us vs the previous SDK, jellyfish-server-sdk 0.4.0 (betterproto 2.0.0b6, websockets 11).

0.4.0's package is also named ``jellyfish``, so it runs in its own venv and process:
``.nox/legacy-040/`` is built on first use (``python -m venv`` + ``pip install
jellyfish-server-sdk==0.4.0``, which pulls its pinned dependencies) and reused while it holds
0.4.0. ``legacy_040.py`` runs there and answers requests over stdin/stdout (see its docstring).
If the venv cannot be built (offline, say), only our side is measured and the rows say why.

* Decoder: ``decode_notification`` vs 0.4.0's ``receive_binary`` on bench_notifications.py's
  ``realistic_mix()`` (written to a file of length-prefixed frames for the child; both sides
  are first checked to decode every frame to the same notification type). Interleaved rounds
  of ~equal duration; the round with the median ratio is reported. No target.
* End to end: bench_notifications.py's loopback server (auth and subscribe handshake, then N
  pre-framed notifications) serves both SDKs the same stream; measured from creating the
  notifier to the N-th notification reaching its handler. ``BlockingNotifier`` and
  ``Notifier`` (anyio on asyncio) vs 0.4.0's asyncio ``Notifier``, interleaved, best of
  several runs; target > 1.0x (faster than 0.4.0).
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Any

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import Result, best_rate
from bench_notifications import _ours_anyio, _ours_blocking, _Server, realistic_mix

from jellyfish.events import decode_notification

HERE = Path(__file__).resolve().parent
VENV = HERE.parent / ".nox" / "legacy-040"
REQUIREMENT = "jellyfish-server-sdk==0.4.0"
ROWS = (
    "decoder vs 0.4.0 receive_binary",
    "e2e: BlockingNotifier vs 0.4.0 Notifier",
    "e2e: Notifier (asyncio) vs 0.4.0 Notifier",
)


# -- the 0.4.0 venv and process -----------------------------------------------------------------


def _venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _clean_env() -> dict[str, str]:
    """No PYTHONPATH or active venv leaking our package into the 0.4.0 interpreter."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PYTHONNOUSERSITE"] = "1"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _has_040(python: Path) -> bool:
    if not python.exists():
        return False
    check = subprocess.run(
        [
            str(python),
            "-c",
            "import importlib.metadata as m; print(m.version('jellyfish-server-sdk'))",
        ],
        capture_output=True,
        text=True,
        env=_clean_env(),
        timeout=60,
    )
    return check.returncode == 0 and check.stdout.strip() == "0.4.0"


def ensure_venv(venv: Path | None = None) -> Path:
    """The python of a venv holding 0.4.0: reused if it is there, else (re)built.

    Raises RuntimeError with the reason when it cannot be built.
    """
    venv = venv or VENV
    python = _venv_python(venv)
    if _has_040(python):
        return python
    shutil.rmtree(venv, ignore_errors=True)
    steps = {
        "python -m venv": [sys.executable, "-m", "venv", str(venv)],
        f"pip install {REQUIREMENT}": [
            str(python), "-m", "pip", "install", "-q", "--retries", "1", "--timeout", "15",
            REQUIREMENT,
        ],
    }  # fmt: skip
    try:
        for label, step in steps.items():
            try:
                done = subprocess.run(
                    step, capture_output=True, text=True, env=_clean_env(), timeout=300
                )
            except (OSError, subprocess.TimeoutExpired) as error:
                raise RuntimeError(f"{label}: {error}") from error
            if done.returncode != 0:
                lines = [line for line in done.stderr.splitlines() if line.startswith("ERROR")]
                last = (lines or done.stderr.strip().splitlines() or ["no output"])[-1]
                raise RuntimeError(f"{label} failed: {last}")
        if not _has_040(python):
            raise RuntimeError(f"{REQUIREMENT} not importable after install")
    except RuntimeError:
        shutil.rmtree(venv, ignore_errors=True)  # no half-built venv taken for a good one
        raise
    return python


class Legacy:
    """``legacy_040.py`` running in the 0.4.0 venv; ``ask`` sends one request, gets one reply."""

    def __init__(self, python: Path, frames: list[bytes], workdir: Path) -> None:
        frames_file = workdir / "frames.bin"
        frames_file.write_bytes(b"".join(struct.pack(">I", len(f)) + f for f in frames))
        self._stderr: IO[str] = (workdir / "stderr.txt").open("w+", encoding="utf-8")
        self.process = subprocess.Popen(
            [str(python), str(HERE / "legacy_040.py"), "--frames", str(frames_file)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            cwd=workdir,  # not the repository: nothing of ours is importable from there
            env=_clean_env(),
        )
        hello = self._read()
        self.versions: dict[str, str] = hello["versions"]

    def _read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            self._stderr.seek(0)
            tail = self._stderr.read().strip().splitlines()[-1:] or ["no output"]
            raise RuntimeError(f"legacy_040.py exited: {tail[0]}")
        reply: dict[str, Any] = json.loads(line)
        if "error" in reply:
            raise RuntimeError(f"legacy_040.py: {reply['error']}")
        return reply

    def ask(self, **request: object) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        return self._read()

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._stderr.close()


# -- decoder --------------------------------------------------------------------------------------


def bench_decoder(quick: bool, legacy: Legacy | None, skipped: str) -> Result:
    frames = realistic_mix()
    n = len(frames)
    rounds = 9 if quick else 15
    seconds_per_side = 0.02 if quick else 0.1

    def ours() -> None:
        for frame in frames:
            decode_notification(frame)

    def theirs(count: int) -> float:
        assert legacy is not None
        reply = legacy.ask(op="decode", rounds=count)
        return float(reply["messages"]) / float(reply["seconds"])

    # Calibrate so that each side's round takes about the same time.
    ours_count = max(1, int(seconds_per_side * best_rate(ours, 50, repeats=1)))
    theirs_count = 1
    if legacy is not None:
        ours_names = [type(decode_notification(f)).__name__ for f in frames]  # 0.4.0's names
        if legacy.ask(op="names")["names"] != ours_names:
            raise RuntimeError("0.4.0 and ours decode the mix to different notification types")
        theirs_count = max(1, int(seconds_per_side * theirs(5) / n))

    samples: list[tuple[float, float, float]] = []
    for _ in range(rounds):
        ours_rate = best_rate(ours, ours_count, repeats=1) * n
        theirs_rate = theirs(theirs_count) if legacy is not None else 0.0
        samples.append(
            (ours_rate / theirs_rate if theirs_rate else ours_rate, ours_rate, theirs_rate)
        )
    samples.sort()
    _, ours_rate, theirs_rate = samples[len(samples) // 2]
    notes = f"mix of {n} frames; median of {rounds} interleaved rounds"
    if legacy is None:
        return Result(ROWS[0], ours_rate, "msg/s", notes=f"{notes}; 0.4.0 skipped: {skipped}")
    return Result(
        ROWS[0],
        ours_rate,
        "msg/s",
        raw=theirs_rate,
        raw_name="0.4.0 receive_binary",
        notes=notes,
    )


# -- end to end -----------------------------------------------------------------------------------


def bench_end_to_end(quick: bool, legacy: Legacy | None, skipped: str) -> list[Result]:
    # 0.4.0 gets ~10k msg/s, so N is smaller than in bench_notifications.py to keep the time.
    count = 10_000 if quick else 30_000
    runs = 3 if quick else 5
    timeout = 60.0
    rates: dict[str, float] = {}

    def keep(name: str, rate: float) -> None:
        rates[name] = max(rates.get(name, 0.0), rate)

    server = _Server(count)
    try:
        address = server.address
        for _ in range(runs):
            keep("blocking", count / _ours_blocking(address, count))
            if legacy is not None:
                reply = legacy.ask(op="e2e", address=address, count=count, timeout=timeout)
                keep("legacy", count / float(reply["seconds"]))
            keep("asyncio", count / anyio.run(_ours_anyio, address, count))
    finally:
        server.close()
    notes = f"{count:,} notifications per run over loopback, best of {runs} interleaved"
    if legacy is None:
        return [
            Result(ROWS[1], rates["blocking"], "msg/s", notes=f"{notes}; 0.4.0 skipped: {skipped}"),
            Result(ROWS[2], rates["asyncio"], "msg/s", notes=f"{notes}; 0.4.0 skipped: {skipped}"),
        ]
    versions = ", ".join(
        f"{k} {v}" for k, v in legacy.versions.items() if k != "jellyfish-server-sdk"
    )
    legacy_notes = f"{notes}; 0.4.0 on {versions}"
    return [
        Result(
            ROWS[1],
            rates["blocking"],
            "msg/s",
            raw=rates["legacy"],
            raw_name="0.4.0 Notifier (asyncio)",
            target=1.0,
            notes=legacy_notes,
        ),
        Result(
            ROWS[2],
            rates["asyncio"],
            "msg/s",
            raw=rates["legacy"],
            raw_name="0.4.0 Notifier (asyncio)",
            target=1.0,
            notes=legacy_notes,
        ),
    ]


def run(quick: bool) -> list[Result]:
    """The three 0.4.0 comparisons (see the module docstring)."""
    skipped = ""
    legacy: Legacy | None = None
    with tempfile.TemporaryDirectory(prefix="bench-legacy-") as workdir:
        try:
            started = time.perf_counter()
            python = ensure_venv()
            legacy = Legacy(python, realistic_mix(), Path(workdir))
            print(f"  0.4.0 venv ready in {time.perf_counter() - started:.1f} s", flush=True)
        except RuntimeError as error:
            skipped = str(error)
            print(f"  0.4.0 skipped: {skipped}", file=sys.stderr, flush=True)
        try:
            return [
                bench_decoder(quick, legacy, skipped),
                *bench_end_to_end(quick, legacy, skipped),
            ]
        finally:
            if legacy is not None:
                legacy.close()


if __name__ == "__main__":
    for result in run("--quick" in sys.argv):
        ratio = f"{result.ratio:.2f}x" if result.ratio is not None else "-"
        line = f"{result.name:42} {result.ours:>12,.0f} {result.unit} ratio {ratio}"
        print(f"{line}  {result.notes}")
