"""Run every example against the embedded emulator (`nox -s examples`); fail if any fails.

Each example is a standalone program that reads JELLYFISH_ADDRESS / JELLYFISH_TOKEN; this
runner starts one emulated Jellyfish and points them all at it. The cluster example starts
its own 2-node cluster; the testing example runs under pytest with its fixture; the Redis
example gets a redis-server of its own (the test suite's launcher, tests/streams).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from jellyfish.testing import JellyfishServer

HERE = Path(__file__).resolve().parent
PROGRAMS = [
    "quickstart.py",
    "blocking_script.py",
    "asyncio_app.py",
    "trio_app.py",
    "flask_webhook.py",
    "starlette_webhook.py",
    "deploy_notifier_service.py",
]
TIMEOUT_SECONDS = 60


def run(name: str, command: list[str], env: dict[str, str]) -> bool:
    started = time.perf_counter()
    try:
        result = subprocess.run(
            command,
            env=env,
            cwd=HERE.parent,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
        )
    except subprocess.TimeoutExpired as timeout:
        print(f"FAIL {name}: still running after {TIMEOUT_SECONDS} s")
        print(timeout.stdout or "", timeout.stderr or "", sep="\n")
        return False
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        print(f"FAIL {name} (exit {result.returncode}, {elapsed:.1f} s)")
        print(result.stdout, result.stderr, sep="\n")
        return False
    print(f"ok   {name} ({elapsed:.1f} s)")
    print("     " + result.stdout.strip().replace("\n", "\n     "))
    return True


def run_with_redis(program: str, env: dict[str, str]) -> bool:
    """Run ``program`` with ``REDIS_URL`` pointing at a redis-server of its own."""
    import tempfile

    sys.path.insert(0, str(HERE.parent / "tests"))
    from streams._redis_server import RedisServer  # the test suite's launcher

    with tempfile.TemporaryDirectory() as directory:
        redis = RedisServer(Path(directory)).start()
        try:
            return run(
                program, [sys.executable, str(HERE / program)], {**env, "REDIS_URL": redis.url}
            )
        finally:
            redis.stop()


def main() -> int:
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("JELLYFISH_")}
    results = []
    with JellyfishServer() as server:
        env = {**base_env, "JELLYFISH_ADDRESS": server.address, "JELLYFISH_TOKEN": server.token}
        for program in PROGRAMS:
            results.append(run(program, [sys.executable, str(HERE / program)], env))
        results.append(run_with_redis("deploy_redis.py", env))
    results.append(run("cluster.py", [sys.executable, str(HERE / "cluster.py")], base_env))
    results.append(
        run(
            "testing_your_app (pytest)",
            [
                sys.executable,
                "-m",
                "pytest",
                str(HERE / "testing_your_app"),
                "-q",
                "-p",
                "no:cacheprovider",
            ],
            base_env,
        )
    )
    failed = results.count(False)
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
