"""REST facade throughput: calls/s of get_room and create_room.

Blocking ``RoomApi`` vs a raw keep-alive ``httpx.Client`` doing the same request and JSON
parse (target >= 0.9x); ``AsyncRoomApi`` vs a raw ``httpx.AsyncClient`` (target >= 0.8x).
Each is measured against the local emulator (``python -m jellyfish.testing``) and against a
minimal canned-answer HTTP server, which isolates the SDK's own per-call cost from the
server's; both run in subprocesses so they do not share the client's GIL. Ours and raw run
in short interleaved batches (median rate), so load from elsewhere hits both alike.
Notes carry p50/p99 latency of ours and p50 of raw.
"""

from __future__ import annotations

import json
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import Result

from jellyfish import AsyncRoomApi, RoomApi


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _plan(one_call_seconds: float, quick: bool) -> tuple[int, int]:
    """(batches, calls per batch) that fit the time budget."""
    budget = 0.5 if quick else 3.0
    total = max(200, min(20_000, int(budget / max(one_call_seconds, 1e-6))))
    batches = 10 if quick else 30
    return batches, max(10, total // batches)


def _median_rates(rates: dict[str, list[float]]) -> tuple[float, float]:
    return statistics.median(rates["ours"]), statistics.median(rates["raw"])


Measured = tuple[float, float, list[float], list[float]]


def _sync_rates(ours: Callable[[], object], raw: Callable[[], object], quick: bool) -> Measured:
    """Median calls/s over many short batches, ours and raw interleaved (order alternating),
    so load from other processes hits both alike."""
    for _ in range(10):  # warm up both (connections, caches)
        ours()
        raw()
    start = time.perf_counter()
    for _ in range(10):
        raw()
    batches, size = _plan((time.perf_counter() - start) / 10, quick)
    rates: dict[str, list[float]] = {"ours": [], "raw": []}
    latencies: dict[str, list[float]] = {"ours": [], "raw": []}
    for index in range(batches):
        order = [("ours", ours), ("raw", raw)]
        for name, operation in order if index % 2 == 0 else order[::-1]:
            samples = latencies[name]
            begin = time.perf_counter()
            for _ in range(size):
                t0 = time.perf_counter()
                operation()
                samples.append(time.perf_counter() - t0)
            rates[name].append(size / (time.perf_counter() - begin))
    return (*_median_rates(rates), latencies["ours"], latencies["raw"])


async def _async_rates(
    ours: Callable[[], Awaitable[object]], raw: Callable[[], Awaitable[object]], quick: bool
) -> Measured:
    """As :func:`_sync_rates`, awaiting each call."""
    for _ in range(10):
        await ours()
        await raw()
    start = time.perf_counter()
    for _ in range(10):
        await raw()
    batches, size = _plan((time.perf_counter() - start) / 10, quick)
    rates: dict[str, list[float]] = {"ours": [], "raw": []}
    latencies: dict[str, list[float]] = {"ours": [], "raw": []}
    for index in range(batches):
        order = [("ours", ours), ("raw", raw)]
        for name, operation in order if index % 2 == 0 else order[::-1]:
            samples = latencies[name]
            begin = time.perf_counter()
            for _ in range(size):
                t0 = time.perf_counter()
                await operation()
                samples.append(time.perf_counter() - t0)
            rates[name].append(size / (time.perf_counter() - begin))
    return (*_median_rates(rates), latencies["ours"], latencies["raw"])


def _result(name: str, raw_name: str, target: float | None, measured: Measured) -> Result:
    ours, raw, ours_lat, raw_lat = measured
    notes = (
        f"ours p50 {_percentile(ours_lat, 0.5) * 1e3:.2f} ms, "
        f"p99 {_percentile(ours_lat, 0.99) * 1e3:.2f} ms; "
        f"raw p50 {_percentile(raw_lat, 0.5) * 1e3:.2f} ms, "
        f"p99 {_percentile(raw_lat, 0.99) * 1e3:.2f} ms; n={len(ours_lat)}"
    )
    return Result(name, ours, "calls/s", raw=raw, raw_name=raw_name, target=target, notes=notes)


# ------------------------------------------------------------------ a canned-answer server


ROOM = {
    "id": "bench",
    "config": {
        "roomId": "bench",
        "maxPeers": None,
        "videoCodec": None,
        "webhookUrl": None,
        "peerlessPurgeTimeout": None,
        "peerDisconnectedTimeout": None,
    },
    "peers": [],
    "components": [],
}


@contextmanager
def canned_server(port: int = 0) -> Iterator[str]:
    """A keep-alive HTTP/1.1 server answering GET /room/x and POST /room from memory."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(64)
    address = f"127.0.0.1:{listener.getsockname()[1]}"

    def answer(status: str, body: dict[str, Any]) -> bytes:
        payload = json.dumps(body).encode()
        head = (
            f"HTTP/1.1 {status}\r\ncontent-type: application/json; charset=utf-8\r\n"
            f"content-length: {len(payload)}\r\n\r\n"
        )
        return head.encode() + payload

    get_answer = answer("200 OK", {"data": ROOM})
    post_answer = answer("201 Created", {"data": {"room": ROOM, "jellyfish_address": address}})

    def serve(conn: socket.socket) -> None:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buffer = b""
        with conn:
            while True:
                while b"\r\n\r\n" not in buffer:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buffer += data
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                while len(buffer) < length:
                    buffer += conn.recv(65536)
                buffer = buffer[length:]
                conn.sendall(post_answer if head.startswith(b"POST") else get_answer)

    def accept_loop() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept_loop, daemon=True)
    thread.start()
    try:
        yield address
    finally:
        listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        thread.join()


# ------------------------------------------------------------------ the measurements


def _measure(
    address: str, token: str, label: str, quick: bool, targeted: bool = True
) -> list[Result]:
    """The four rows for one server; ``targeted=False`` reports ratios without a target."""
    base = f"http://{address}"
    sync_target, async_target = (0.9, 0.8) if targeted else (None, None)
    headers = {"Authorization": f"Bearer {token}"}
    results: list[Result] = []

    with RoomApi(address, token) as api, httpx.Client(headers=headers) as raw_client:
        _, room = api.create_room()
        room_id = room.id

        def raw_get() -> object:
            return raw_client.get(f"{base}/room/{room_id}").json()

        def raw_create() -> object:
            return raw_client.post(f"{base}/room", json={}).json()

        results.append(
            _result(
                f"rest get_room blocking ({label})",
                "httpx.Client",
                sync_target,
                _sync_rates(lambda: api.get_room(room_id), raw_get, quick),
            )
        )
        results.append(
            _result(
                f"rest create_room blocking ({label})",
                "httpx.Client",
                sync_target,
                _sync_rates(api.create_room, raw_create, quick),
            )
        )

    async def run_async() -> None:
        async with AsyncRoomApi(address, token) as api, httpx.AsyncClient(headers=headers) as raw:

            async def ours_get() -> object:
                return await api.get_room(room_id)

            async def raw_get() -> object:
                return (await raw.get(f"{base}/room/{room_id}")).json()

            async def raw_create() -> object:
                return (await raw.post(f"{base}/room", json={})).json()

            results.append(
                _result(
                    f"rest get_room async ({label})",
                    "httpx.AsyncClient",
                    async_target,
                    await _async_rates(ours_get, raw_get, quick),
                )
            )
            results.append(
                _result(
                    f"rest create_room async ({label})",
                    "httpx.AsyncClient",
                    async_target,
                    await _async_rates(api.create_room, raw_create, quick),
                )
            )

    anyio.run(run_async)
    return results


def _free_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = int(probe.getsockname()[1])
    probe.close()
    return port


@contextmanager
def _process(args: list[str], port: int) -> Iterator[str]:
    """Run a server in a subprocess (no GIL sharing with the client) until it listens."""
    process = subprocess.Popen([sys.executable, *args], stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"server {args} did not start") from None
                time.sleep(0.05)
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


def run(quick: bool) -> list[Result]:
    results: list[Result] = []
    port = _free_port()
    emulator = ["-m", "jellyfish.testing", "--port", str(port), "--log-level", "error"]
    emulator += ["--metrics-port", "0"]
    with _process(emulator, port) as address:
        results += _measure(address, "development", "emulator", quick)
    port = _free_port()
    with _process([__file__, "--canned-server", str(port)], port) as address:
        # Diagnostic: the SDK's own CPU cost (typed models ~15 us, wrapper ~10 us per call)
        # against a server that answers from memory; the targets apply to the
        # emulator rows above.
        results += _measure(address, "development", "canned server", quick, targeted=False)
    return results


def _serve_canned(port: int) -> None:
    with canned_server(port):
        threading.Event().wait()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--canned-server"]:
        _serve_canned(int(sys.argv[2]))
    for result in run("--quick" in sys.argv):
        ratio = f"{result.ratio:.2f}x" if result.ratio else "-"
        print(
            f"{result.name}: {result.ours:,.0f} vs {result.raw:,.0f} {result.unit} "
            f"({ratio}, target {result.target}x) {result.notes}"
        )
