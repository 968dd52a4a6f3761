"""What every benchmark module returns, and how `nox -s bench` prints it.

Each ``benchmarks/bench_*.py`` module defines ``run(quick: bool) -> list[Result]``; the
runner (``benchmarks/run.py``) calls them all and prints one table: ours, the raw limit it is
compared with, the ratio and the target.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Result:
    """One row of the benchmark table.

    ``ours`` and ``raw`` are throughputs in ``unit`` (higher is better); ``raw`` is the
    baseline it is compared with (None when there is none); ``target`` is the ratio
    ours/raw the issue asks for (None when there is none); ``notes`` carries anything else
    worth reporting (latency percentiles, loss counts, ...).
    """

    name: str
    ours: float
    unit: str
    raw: float | None = None
    raw_name: str = ""
    target: float | None = None
    notes: str = ""

    @property
    def ratio(self) -> float | None:
        return None if not self.raw else self.ours / self.raw

    @property
    def met(self) -> bool | None:
        ratio = self.ratio
        return None if ratio is None or self.target is None else ratio >= self.target


def best_rate(operation: Callable[[], object], count: int, repeats: int = 3) -> float:
    """Operations per second of ``operation`` called ``count`` times; best of ``repeats``."""
    best = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(count):
            operation()
        elapsed = time.perf_counter() - start
        best = max(best, count / elapsed)
    return best
