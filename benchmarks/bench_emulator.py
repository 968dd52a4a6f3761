"""Emulator throughput: 1,000 rooms x 10 peers over REST while 5 server-WebSocket clients
are subscribed (quick mode: 100 rooms); the media flow of issue 11 at ``media_speed=20``; and
what the ``jellyfish_server`` fixture costs per test (start, one request, stop).

Reports rooms/s (each room = create + 10 add-peer calls, from 4 REST threads) and the
notifications/s delivered to all clients, and checks that every client received every
notification, in the same order as every other client and, per room, RoomCreated first and
then PeerAdded in the order the peers were created. A lost or reordered notification fails
the benchmark.
"""

from __future__ import annotations

import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import websocket

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import Result

from jellyfish.events._protos.jellyfish.server_notifications_pb2 import ServerMessage
from jellyfish.testing import JellyfishServer
from jellyfish.testing.media_files import write_h264

PEERS = 10
CLIENTS = 5
REST_THREADS = 4


class _Remote:
    """The emulator in a child process (``python -m jellyfish.testing``), so the load
    generators in this process do not share its GIL."""

    def __init__(self, port: int) -> None:
        self.address = f"127.0.0.1:{port}"
        self.http_url = f"http://{self.address}"
        self.token = "development"


@contextmanager
def _emulator(in_process: bool) -> Iterator[JellyfishServer | _Remote]:
    if in_process:
        with JellyfishServer(metrics_interval=3600) as server:
            yield server
        return
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "jellyfish.testing", "--port", str(port)]
    command += ["--metrics-interval", "3600", "--log-level", "warning", "--metrics-port", "0"]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    try:
        remote = _Remote(port)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                httpx.get(
                    f"{remote.http_url}/health", headers={"authorization": "Bearer development"}
                )
                break
            except httpx.TransportError:
                time.sleep(0.05)
        yield remote
    finally:
        process.terminate()
        process.communicate(timeout=10)


class _Collector:
    """A subscribed server-WebSocket client that records (kind, room_id, peer_id)."""

    def __init__(self, server: JellyfishServer | _Remote, expected: int) -> None:
        self.ws = websocket.create_connection(
            f"ws://{server.address}/socket/server/websocket", timeout=10
        )
        auth = ServerMessage(auth_request=ServerMessage.AuthRequest(token=server.token))
        self.ws.send_binary(auth.SerializeToString())
        self.ws.recv()
        subscribe = ServerMessage.SubscribeRequest(
            event_type=ServerMessage.EVENT_TYPE_SERVER_NOTIFICATION
        )
        self.ws.send_binary(ServerMessage(subscribe_request=subscribe).SerializeToString())
        self.ws.recv()
        self.ws.settimeout(60)
        self.expected = expected
        self.events: list[tuple[str, str, str]] = []
        self.last = 0.0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        try:
            while len(self.events) < self.expected:
                data = self.ws.recv()
                if not isinstance(data, bytes):  # "" once the connection is closed
                    break
                message = ServerMessage.FromString(data)
                kind = message.WhichOneof("content") or ""
                body = getattr(message, kind)
                self.events.append((kind, body.room_id, getattr(body, "peer_id", "")))
                self.last = time.perf_counter()
        except (websocket.WebSocketException, OSError):
            pass
        finally:
            self.done.set()

    def close(self) -> None:
        self.ws.close()
        self.thread.join(10)


def _create_rooms(url: str, token: str, count: int) -> list[tuple[str, list[str]]]:
    created = []
    with httpx.Client(base_url=url, headers={"authorization": f"Bearer {token}"}) as client:
        for _ in range(count):
            room_id = client.post("/room", json={}).json()["data"]["room"]["id"]
            peers = [
                client.post(f"/room/{room_id}/peer", json={"type": "webrtc"}).json()["data"][
                    "peer"
                ]["id"]
                for _ in range(PEERS)
            ]
            created.append((room_id, peers))
    return created


def _problems(
    collector: _Collector, reference: list[tuple[str, str, str]], rooms: dict[str, list[str]]
) -> tuple[int, int]:
    """(lost, reordered) for one client."""
    lost = max(0, collector.expected - len(collector.events))
    pairs = zip(collector.events, reference, strict=False)
    reordered = sum(1 for ours, theirs in pairs if ours != theirs)
    per_room: dict[str, list[tuple[str, str]]] = {}
    for kind, room_id, peer_id in collector.events:
        per_room.setdefault(room_id, []).append((kind, peer_id))
    for room_id, peers in rooms.items():
        expected = [("room_created", "")] + [("peer_added", peer) for peer in peers]
        got = per_room.get(room_id, [])
        reordered += sum(1 for a, b in zip(got, expected, strict=False) if a != b)
    return lost, reordered


def _measure(room_count: int, in_process: bool) -> list[Result]:
    expected = room_count * (1 + PEERS)
    where = "in-process" if in_process else "child process"
    with _emulator(in_process) as server:
        collectors = [_Collector(server, expected) for _ in range(CLIENTS)]
        share = [
            room_count // REST_THREADS + (i < room_count % REST_THREADS)
            for i in range(REST_THREADS)
        ]
        start = time.perf_counter()
        with ThreadPoolExecutor(REST_THREADS) as pool:
            batches = list(
                pool.map(lambda n: _create_rooms(server.http_url, server.token, n), share)
            )
        rest_elapsed = time.perf_counter() - start
        for collector in collectors:
            collector.done.wait(60)
        last = max(collector.last for collector in collectors)
        for collector in collectors:
            collector.close()
    rooms = {room_id: peers for batch in batches for room_id, peers in batch}
    reference = collectors[0].events
    lost = reordered = 0
    for collector in collectors:
        client_lost, client_reordered = _problems(collector, reference, rooms)
        lost += client_lost
        reordered += client_reordered
    delivered = sum(len(collector.events) for collector in collectors)
    if lost or reordered:
        raise RuntimeError(f"emulator notifications: {lost} lost, {reordered} reordered")
    notes = (
        f"{room_count} rooms x {PEERS} peers, {REST_THREADS} REST threads, {CLIENTS} WS clients; "
        f"lost 0, reordered 0"
    )
    return [
        Result(
            f"emulator ({where}): create room + 10 peers",
            room_count / rest_elapsed,
            "rooms/s",
            notes=notes,
        ),
        Result(
            f"emulator ({where}): notifications delivered to 5 WS clients",
            delivered / (last - start),
            "notifications/s",
            notes=f"{delivered} delivered, lost 0, reordered 0",
        ),
    ]


def _why_flow(repeats: int) -> Result:
    """h264 room, HLS manual, File, subscribe, HlsPlayable (a 6 s segment at 20x: 0.3 s)."""
    durations = []
    with JellyfishServer(media_speed=20, metrics_interval=3600) as server:
        write_h264(server.file_sources_dir / "video.h264", seconds=2)
        collector = _Collector(server, expected=10**9)
        with httpx.Client(
            base_url=server.http_url, headers={"authorization": f"Bearer {server.token}"}
        ) as client:
            for _ in range(repeats):
                start = time.perf_counter()
                body = {"videoCodec": "h264"}
                room_id = client.post("/room", json=body).json()["data"]["room"]["id"]
                hls = {"type": "hls", "options": {"subscribeMode": "manual"}}
                hls_id = client.post(f"/room/{room_id}/component", json=hls).json()["data"]["id"]
                file = {"type": "file", "options": {"filePath": "video.h264"}}
                file_id = client.post(f"/room/{room_id}/component", json=file).json()["data"]["id"]
                subscribe = {"origins": [file_id]}
                client.post(f"/room/{room_id}/component/{hls_id}/subscribe", json=subscribe)
                deadline = start + 10
                while ("hls_playable", room_id, "") not in collector.events:
                    if time.perf_counter() > deadline:
                        raise RuntimeError("no HlsPlayable within 10 s")
                    time.sleep(0.001)
                durations.append(time.perf_counter() - start)
                client.delete(f"/room/{room_id}")
        collector.close()
    durations.sort()
    median = durations[len(durations) // 2]
    return Result(
        "emulator: issue 11 flow to HlsPlayable (media_speed 20)",
        1 / median,
        "flows/s",
        notes=f"median {median * 1000:.0f} ms, max {durations[-1] * 1000:.0f} ms, n={repeats}; "
        "6 s of media at 20x is 300 ms",
    )


def _fixture_start(repeats: int) -> Result:
    """Start + first answered request + stop, as the ``jellyfish_server`` fixture does per test."""
    durations = []
    headers = {"authorization": "Bearer development"}
    with httpx.Client(headers=headers) as client:  # its TLS set-up is not the fixture's cost
        for _ in range(repeats):
            start = time.perf_counter()
            with JellyfishServer(webhook_loopback_only=True) as server:
                client.get(f"{server.http_url}/health")
            durations.append(time.perf_counter() - start)
    median = statistics.median(durations)
    return Result(
        "emulator: jellyfish_server fixture (start, /health, stop)",
        1 / median,
        "fixtures/s",
        notes=f"median {median * 1000:.1f} ms, max {max(durations) * 1000:.1f} ms, n={repeats}",
    )


def run(quick: bool) -> list[Result]:
    room_count = 100 if quick else 1000
    # Child process: the emulator's own throughput. In-process: what a test suite sees when
    # the emulator shares the interpreter (and the GIL) with the code under test.
    return [
        *_measure(room_count, in_process=False),
        *_measure(room_count // 2, in_process=True),
        _why_flow(3 if quick else 10),
        _fixture_start(20 if quick else 100),
    ]


if __name__ == "__main__":
    for result in run(quick="--quick" in sys.argv):
        print(result)
