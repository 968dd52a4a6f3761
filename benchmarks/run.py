"""Run every ``benchmarks/bench_*.py`` and print one table (``nox -s bench``).

Exits 1 when a result misses its target ratio, so the targets are checked, not just shown.

``--quick`` runs smaller workloads (for CI smoke runs); ``--markdown FILE`` also writes the
table as Markdown (BENCHMARKS.md is made this way).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import Result

HERE = Path(__file__).resolve().parent


def _load(path: Path) -> object:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if value >= 100 else f"{value:,.2f}"


def table(results: list[Result]) -> list[str]:
    header = ["benchmark", "ours", "unit", "raw limit", "raw", "ratio", "target", "ok", "notes"]
    rows = [header, ["---"] * len(header)]
    for r in results:
        ok = {None: "-", True: "yes", False: "NO"}[r.met]
        ratio = "-" if r.ratio is None else f"{r.ratio:.2f}x"
        target = "-" if r.target is None else f">={r.target:.2f}x"
        rows.append(
            [
                r.name,
                _fmt(r.ours),
                r.unit,
                r.raw_name or "-",
                _fmt(r.raw),
                ratio,
                target,
                ok,
                r.notes,
            ]
        )
    return ["| " + " | ".join(row) + " |" for row in rows]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller workloads")
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    parser.add_argument("only", nargs="*", help="run only bench_<name>.py for these names")
    args = parser.parse_args(argv)

    results: list[Result] = []
    for path in sorted(HERE.glob("bench_*.py")):
        if args.only and path.stem.removeprefix("bench_") not in args.only:
            continue
        print(f"running {path.name} ...", flush=True)
        started = time.perf_counter()
        results.extend(_load(path).run(args.quick))  # type: ignore[attr-defined]
        print(f"  done in {time.perf_counter() - started:.1f} s", flush=True)

    lines = table(results)
    print("\n".join(lines))
    if args.markdown:
        python = f"{platform.python_implementation()} {platform.python_version()}"
        mode = " (quick mode)" if args.quick else ""
        intro = [
            "# Benchmarks",
            "",
            "Reproduce with `nox -s bench -- --markdown BENCHMARKS.md` (a single group:",
            "`nox -s bench -- rest`; smaller workloads: `-- --quick`). `nox -s bench` exits 1",
            "when a row misses its target. Every comparison runs both sides on the same machine,",
            "interleaved, against the same local server; absolute numbers depend on the machine",
            "(ratios much less so).",
            "",
            f"Latest run: {python}, {platform.machine()}, {os.cpu_count()} cores{mode}.",
            "",
        ]
        args.markdown.write_text("\n".join([*intro, *lines]) + "\n", encoding="utf-8")
    missed = [r.name for r in results if r.met is False]
    if missed:
        print(f"\nbelow target: {', '.join(missed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
