"""RSS of a notifier whose consumer is slower than the server (issue 10, bounded memory).

A raw WebSocket server (its own process) completes the Jellyfish handshake and then sends
2,000 notifications/s for 60 s (``--quick``: 10 s); the notifier (another process) has one
handler that takes 50 ms per event, i.e. it consumes 20/s. Without flow control the backlog
(and RSS) grows by ~100 MB a minute; with it, the notifier stops reading when ``max_queue``
events wait and the server buffers the rest.

The row passes when RSS after the warm-up (the first 10 s, ``--quick``: 3 s) grows by at most
``BOUND_MB``. Each flavour (blocking, anyio on asyncio) runs in a fresh process with the
default ``max_queue``; a reference row (no target) runs with a queue as good as unbounded.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, BytesMessage, CloseConnection, Request

from jellyfish.events import ServerMessage as S

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import Result

RATE = 2_000
"""Notifications per second the server produces."""
HANDLER_SECONDS = 0.05
BOUND_MB = 10.0
"""The most RSS may grow after the warm-up."""
DEFAULT_MAX_QUEUE = 1024
"""The notifiers' documented default ``max_queue``, the setting measured against the bound."""


@dataclass(frozen=True)
class BoundResult(Result):
    """A row where ``ours`` (growth) must stay at or below ``raw`` (the bound)."""

    @property
    def met(self) -> bool | None:
        return self.raw is not None and self.ours <= self.raw


# -- the server: handshake, then RATE notifications/s until the client goes ------------------


def _serve() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    print(listener.getsockname()[1], flush=True)
    while True:
        connection, _ = listener.accept()
        threading.Thread(target=_serve_one, args=(connection,), daemon=True).start()


def _serve_one(connection: socket.socket) -> None:
    ws = WSConnection(ConnectionType.SERVER)
    subscribed = threading.Event()
    try:
        while not subscribed.is_set():
            data = connection.recv(65536)
            if not data:
                return
            ws.receive_data(data)
            for event in ws.events():
                if isinstance(event, Request):
                    connection.sendall(ws.send(AcceptConnection()))
                elif isinstance(event, CloseConnection):
                    return
                elif isinstance(event, BytesMessage):
                    message = S.FromString(bytes(event.data))
                    if message.WhichOneof("content") == "auth_request":
                        reply = S(authenticated=S.Authenticated())
                    else:
                        kind = message.subscribe_request.event_type
                        reply = S(subscribe_response=S.SubscribeResponse(event_type=kind))
                        subscribed.set()
                    connection.sendall(ws.send(BytesMessage(reply.SerializeToString())))
        batch = RATE // 100
        sequence = 0
        started = time.monotonic()
        while True:  # 100 batches a second; sendall blocks when the client stops reading
            frames = []
            for _ in range(batch):
                notification = S(
                    peer_metadata_updated=S.PeerMetadataUpdated(
                        room_id="0b4e7b5a-3f1e-4c57-9a43-3b2f7f4c9e11",
                        peer_id="7c1d4c1e-9a0b-4d6e-8f3a-000000000001",
                        metadata=json.dumps({"name": "alice", "sequence": sequence}),
                    )
                )
                frames.append(ws.send(BytesMessage(notification.SerializeToString())))
                sequence += 1
            connection.sendall(b"".join(frames))
            started += 0.01
            time.sleep(max(0.0, started - time.monotonic()))
    except OSError:
        return
    finally:
        connection.close()


# -- the consumer: a notifier with a 50 ms handler, sampling its own RSS ------------------------


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def _consume(flavour: str, address: str, seconds: float, max_queue: int) -> None:
    samples: list[float] = []
    handled = [0]
    # the default rows measure what a user gets without setting anything
    options = {} if max_queue == DEFAULT_MAX_QUEUE else {"max_queue": max_queue}
    if flavour == "blocking":
        from jellyfish import BlockingNotifier

        notifier = BlockingNotifier(address, "development", **options)

        @notifier.on_server_notification
        def handle(_: object) -> None:
            time.sleep(HANDLER_SECONDS)
            handled[0] += 1

        with notifier:
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                samples.append(_rss_mb())
                time.sleep(1)
    else:
        import anyio

        from jellyfish import Notifier

        async def main() -> None:
            notifier = Notifier(address, "development", **options)

            @notifier.on_server_notification
            async def handle(_: object) -> None:
                await anyio.sleep(HANDLER_SECONDS)
                handled[0] += 1

            async with notifier:
                end = anyio.current_time() + seconds
                while anyio.current_time() < end:
                    samples.append(_rss_mb())
                    await anyio.sleep(1)

        anyio.run(main)
    print(json.dumps({"samples": samples, "handled": handled[0]}), flush=True)


def _measure(
    flavour: str, address: str, seconds: float, warmup: int, max_queue: int = DEFAULT_MAX_QUEUE
) -> Result:
    output = subprocess.run(
        [sys.executable, __file__, "--consume", flavour, address, str(seconds), str(max_queue)],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    ).stdout
    report = json.loads(output.strip().splitlines()[-1])
    after = report["samples"][warmup:]
    growth = max(after) - after[0]
    if max_queue != DEFAULT_MAX_QUEUE:  # the reference: no target, it shows what is at stake
        return Result(
            name=f"RSS, 50 ms handler at {RATE:,}/s ({flavour}, max_queue={max_queue:,})",
            ours=growth,
            unit=f"MB growth over {len(after)} s",
            notes=f"reference: a queue as good as unbounded; {after[0]:.0f} -> {after[-1]:.0f} MB",
        )
    return BoundResult(
        name=f"RSS, 50 ms handler at {RATE:,}/s ({flavour})",
        ours=growth,
        unit=f"MB growth over {len(after)} s",
        raw=BOUND_MB,
        raw_name="bound",
        notes=(
            f"RSS {after[0]:.0f} -> {after[-1]:.0f} MB (max {max(after):.0f}) after a "
            f"{warmup} s warm-up; {report['handled']} events handled"
        ),
    )


def run(quick: bool) -> list[Result]:
    """One row per notifier flavour (see the module docstring)."""
    seconds, warmup = (13.0, 3) if quick else (70.0, 10)
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        address = f"127.0.0.1:{int(server.stdout.readline())}"
        rows = [_measure(flavour, address, seconds, warmup) for flavour in ("blocking", "asyncio")]
        return [*rows, _measure("asyncio", address, seconds, warmup, max_queue=10**9)]
    finally:
        server.kill()
        server.wait()
        if server.stdout is not None:
            server.stdout.close()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        _serve()
    elif sys.argv[1:2] == ["--consume"]:
        _consume(sys.argv[2], sys.argv[3], float(sys.argv[4]), int(sys.argv[5]))
    else:
        for result in run("--quick" in sys.argv):
            print(
                f"{result.name:45} {result.ours:8.1f} {result.unit} ok={result.met} {result.notes}"
            )
