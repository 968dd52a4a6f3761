"""Schemathesis conformance run of spec/openapi.yaml against jellyfish.testing.

Starts an emulator, then runs ``st run`` twice (positive and negative data) with the
documented exceptions of ``schemathesis.toml`` (and ``negative.toml``). Bounded in time:
``--max-time`` seconds per run (default 45). Exit status is schemathesis's.

    python tests/emulator/conformance/run_schemathesis.py [--max-time 45] [--seed N]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from jellyfish.testing import JellyfishServer

HERE = Path(__file__).resolve().parent
SPEC = HERE.parents[2] / "spec" / "openapi.yaml"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-time", type=int, default=45)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    st = shutil.which("st") or shutil.which("schemathesis")
    if st is None:
        print("schemathesis is not installed (pip install 'schemathesis>=4.32,<5')")
        return 2
    base = (HERE / "schemathesis.toml").read_text()
    negative = base + "\n" + (HERE / "negative.toml").read_text()
    status = 0
    with tempfile.TemporaryDirectory() as tmp:
        for mode, config in (("positive", base), ("negative", negative)):
            config_file = Path(tmp) / f"{mode}.toml"
            config_file.write_text(config)
            # a fresh emulator per run: the negative run crashes rooms on purpose
            with JellyfishServer(metrics_interval=3600, webhook_loopback_only=True) as server:
                command = [st, "--config-file", str(config_file), "run", str(SPEC)]
                command += ["--url", server.http_url]
                command += ["--header", f"Authorization: Bearer {server.token}"]
                command += ["--mode", mode, "--max-time", str(args.max_time)]
                if args.seed is not None:
                    command += ["--seed", str(args.seed)]
                print(f"== schemathesis, {mode} data, against {server.http_url}", flush=True)
                result = subprocess.run(command, check=False)
                status = status or result.returncode
    return status


if __name__ == "__main__":
    sys.exit(main())
