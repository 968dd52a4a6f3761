"""Run the test suite against a Jellyfish in another process, as if it were a real one.

Starts ``python -m jellyfish.testing`` on a free port, waits until it answers, runs pytest
with ``JELLYFISH_ADDRESS`` / ``JELLYFISH_TOKEN`` pointing at it, and stops it. Extra
arguments go to pytest. Exits with pytest's status.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx

TOKEN = "remote-mode-token"
START_SECONDS = 20.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_up(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the emulator exited with {server.returncode}")
        try:
            if httpx.get(url, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)  # not listening yet
    raise SystemExit(f"the emulator did not answer {url} within {START_SECONDS} s")


def main() -> int:
    port = free_port()
    address = f"127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jellyfish.testing",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--token",
            TOKEN,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_up(f"http://{address}/health", server)
        env = {**os.environ, "JELLYFISH_ADDRESS": address, "JELLYFISH_TOKEN": TOKEN}
        return subprocess.run(
            [sys.executable, "-m", "pytest", "tests", "-p", "no:cacheprovider", *sys.argv[1:]],
            env=env,
        ).returncode
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
