"""Run the test suite against a Jellyfish in another process, as if it were a real one.

Starts ``python -m jellyfish.testing`` on a free port, waits until it answers, runs pytest
with ``JELLYFISH_ADDRESS`` / ``JELLYFISH_TOKEN`` pointing at it, and stops it. Exits with
pytest's status. The fixtures find the emulator's control API there
(:class:`~jellyfish.testing.RemoteEmulator`), so the tests marked ``emulator_only`` run
too, driving it over HTTP; those marked ``emulator_only(in_process=True)`` skip.

``--media-speed N`` (default 20) is the emulator's clock speed, so media tests (a file
playing into HLS until ``HlsPlayable``) finish in a fraction of a second; the emulator's
resources directory holds the ``video.h264`` those tests play, as a real deployment's would.
Every other argument goes to pytest.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from jellyfish.testing.media_files import write_h264

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
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--media-speed", default="20")
    args, pytest_args = parser.parse_known_args()
    port = free_port()
    address = f"127.0.0.1:{port}"
    resources = tempfile.TemporaryDirectory(prefix="jellyfish-remote-")
    sources = Path(resources.name) / "file_component_sources"
    sources.mkdir()
    write_h264(sources / "video.h264", seconds=2)
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
            "--media-speed",
            args.media_speed,
            "--resources-dir",
            resources.name,
            "--metrics-port",
            "0",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_up(f"http://{address}/health", server)
        env = {**os.environ, "JELLYFISH_ADDRESS": address, "JELLYFISH_TOKEN": TOKEN}
        return subprocess.run(
            [sys.executable, "-m", "pytest", "tests", "-p", "no:cacheprovider", *pytest_args],
            env=env,
        ).returncode
    finally:
        server.terminate()
        server.wait(timeout=10)
        resources.cleanup()


if __name__ == "__main__":
    sys.exit(main())
