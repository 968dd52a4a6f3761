"""The 0.4.0 side of ``bench_legacy.py``: runs INSIDE a venv with jellyfish-server-sdk==0.4.0.

0.4.0's package is also named ``jellyfish``, so it cannot be imported next to ours; the parent
(``bench_legacy.py``) builds a separate venv, starts this script in it and talks to it over
stdin/stdout, one JSON object a line each way:

    python legacy_040.py --frames FRAMES_FILE

``FRAMES_FILE`` holds the frames to decode, each as a 4-byte big-endian length and then the
bytes of one ``ServerMessage``. The script first prints ``{"ready": true, "versions": {...}}``,
then answers every request line with one reply line (``{"error": "..."}`` on failure):

* ``{"op": "names"}`` → ``{"names": [...]}``: the class name ``receive_binary`` gives each
  frame (the parent checks that both SDKs decode the same thing).
* ``{"op": "decode", "rounds": R}`` → ``{"seconds": s, "messages": n}``: 0.4.0's
  ``receive_binary`` over every frame, ``R`` times (only the loop is timed).
* ``{"op": "e2e", "address": "127.0.0.1:PORT", "count": N, "timeout": T}`` →
  ``{"seconds": s}``: 0.4.0's asyncio ``Notifier`` connects to ``address``, authenticates,
  subscribes, and ``s`` is the time from creating it to its handler getting the N-th
  notification (the same measure as bench_notifications.py's end-to-end rows).

EOF on stdin ends it. Nothing here imports the repository's own package.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import struct
import sys
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

from jellyfish import Notifier, receive_binary  # 0.4.0's, from the legacy venv


def read_frames(path: Path) -> list[bytes]:
    data = path.read_bytes()
    frames: list[bytes] = []
    offset = 0
    while offset < len(data):
        (length,) = struct.unpack_from(">I", data, offset)
        offset += 4
        frames.append(data[offset : offset + length])
        offset += length
    return frames


def decode(frames: list[bytes], rounds: int) -> float:
    decoder = receive_binary
    start = time.perf_counter()
    for _ in range(rounds):
        for frame in frames:
            decoder(frame)
    return time.perf_counter() - start


async def end_to_end(address: str, count: int, timeout: float) -> float:
    start = time.perf_counter()
    notifier = Notifier(server_address=address, server_api_token="development")
    received = 0
    end = 0.0
    done = asyncio.Event()

    @notifier.on_server_notification
    def handle(notification: object) -> None:
        nonlocal received, end
        received += 1
        if received == count:
            end = time.perf_counter()
            done.set()

    connection = asyncio.ensure_future(notifier.connect())
    finished = asyncio.ensure_future(done.wait())
    try:
        await asyncio.wait({connection, finished}, timeout=timeout, return_when="FIRST_COMPLETED")
        if not done.is_set():
            if connection.done():
                connection.result()  # raises what ended the connection
                raise RuntimeError(f"connection closed after {received} of {count}")
            raise TimeoutError(f"{received} of {count} notifications in {timeout} s")
        return end - start
    finally:
        for task in (connection, finished):
            task.cancel()
        await asyncio.gather(connection, finished, return_exceptions=True)


def answer(request: dict[str, Any], frames: list[bytes]) -> dict[str, Any]:
    op = request.get("op")
    if op == "names":
        return {"names": [type(receive_binary(frame)).__name__ for frame in frames]}
    if op == "decode":
        rounds = int(request["rounds"])
        return {"seconds": decode(frames, rounds), "messages": rounds * len(frames)}
    if op == "e2e":
        seconds = asyncio.run(
            end_to_end(
                str(request["address"]),
                int(request["count"]),
                float(request.get("timeout", 60.0)),
            )
        )
        return {"seconds": seconds}
    return {"error": f"unknown op {op!r}"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=Path, required=True, help="length-prefixed frames")
    args = parser.parse_args(argv)
    frames = read_frames(args.frames)
    versions = {
        name: version(name) for name in ("jellyfish-server-sdk", "betterproto", "websockets")
    }
    print(json.dumps({"ready": True, "versions": versions}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            reply = answer(json.loads(line), frames)
        except Exception as error:
            reply = {"error": f"{type(error).__name__}: {error}"}
        print(json.dumps(reply), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
