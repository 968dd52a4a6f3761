"""Server notifications: the decoder, and the notifiers end to end over loopback.

* Decoder: ``receive_binary`` (a webhook body) and ``decode_notification`` vs raw
  ``ServerMessage.FromString`` + ``WhichOneof`` on a realistic mix of frames, in this
  process (targets >= 0.8x).
* End to end: a server in a subprocess authenticates, acknowledges the subscription and
  then writes N pre-framed notifications as fast as the socket takes them. Measured from
  connecting to the N-th notification reaching a handler:
  ``BlockingNotifier`` vs a raw websocket-client loop (``recv`` + ``FromString`` +
  ``WhichOneof``), and ``Notifier`` (anyio on asyncio) vs a raw wsproto-over-anyio loop
  doing the same decoding (targets >= 0.7x). Best of several interleaved runs.

The comparisons with 0.4.0 (``receive_binary`` and its ``Notifier``, in their own venv) are in
bench_legacy.py, which reuses ``realistic_mix``, the server and the notifier loops from here.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import anyio
import websocket
from wsproto import ConnectionType, WSConnection
from wsproto.connection import Connection
from wsproto.events import AcceptConnection, BytesMessage, CloseConnection, Request

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import Result, best_rate

from jellyfish import BlockingNotifier, Notifier, receive_binary
from jellyfish.events import ServerMessage as S
from jellyfish.events import decode_notification

AUTH = S(auth_request=S.AuthRequest(token="development")).SerializeToString()
SUBSCRIBE = S(
    subscribe_request=S.SubscribeRequest(event_type=S.EVENT_TYPE_SERVER_NOTIFICATION)
).SerializeToString()


def realistic_mix() -> list[bytes]:
    """One room's life: peers, tracks, metadata, HLS, and metrics reports."""
    room = "0b4e7b5a-3f1e-4c57-9a43-3b2f7f4c9e11"
    frames: list[bytes] = []
    frames.append(S(room_created=S.RoomCreated(room_id=room)).SerializeToString())
    for p in range(4):
        peer = f"7c1d4c1e-9a0b-4d6e-8f3a-{p:012d}"
        frames.append(S(peer_added=S.PeerAdded(room_id=room, peer_id=peer)).SerializeToString())
        frames.append(
            S(peer_connected=S.PeerConnected(room_id=room, peer_id=peer)).SerializeToString()
        )
        frames.append(
            S(
                peer_metadata_updated=S.PeerMetadataUpdated(
                    room_id=room,
                    peer_id=peer,
                    metadata=json.dumps({"name": f"user {p}", "role": "guest"}),
                )
            ).SerializeToString()
        )
        for kind in (S.TRACK_TYPE_AUDIO, S.TRACK_TYPE_VIDEO):
            track = S.Track(id=f"{peer}:{kind}", type=kind, metadata='{"source":"camera"}')
            frames.append(
                S(
                    track_added=S.TrackAdded(room_id=room, peer_id=peer, track=track)
                ).SerializeToString()
            )
            frames.append(
                S(
                    track_metadata_updated=S.TrackMetadataUpdated(
                        room_id=room, peer_id=peer, track=track
                    )
                ).SerializeToString()
            )
    frames.append(
        S(hls_playable=S.HlsPlayable(room_id=room, component_id="c1")).SerializeToString()
    )
    metrics = json.dumps({f"room_id={room}": {"endpoint_id=p": {"ice.bytes_received": 10**200}}})
    frames.extend(
        S(metrics_report=S.MetricsReport(metrics=metrics)).SerializeToString() for _ in range(3)
    )
    frames.append(
        S(peer_disconnected=S.PeerDisconnected(room_id=room, peer_id="p")).SerializeToString()
    )
    frames.append(S(room_deleted=S.RoomDeleted(room_id=room)).SerializeToString())
    return frames


# -- decoder ---------------------------------------------------------------------------------


def bench_decoder(quick: bool) -> list[Result]:
    frames = realistic_mix()
    rounds = 2_000 if quick else 20_000
    from_string = S.FromString

    def raw() -> None:
        for frame in frames:
            from_string(frame).WhichOneof("content")

    def raw_object() -> None:
        for frame in frames:
            message = from_string(frame)
            getattr(message, message.WhichOneof("content"))  # type: ignore[arg-type]

    def webhook() -> None:
        for frame in frames:
            receive_binary(frame)

    def ours() -> None:
        for frame in frames:
            decode_notification(frame)

    # Interleaved rounds, each side right after the baseline it is compared with; the
    # machine's load changes between rounds, so each row reports its round of median ratio.
    per_round = max(1, rounds // 15)
    pairs = {"webhook": (raw, webhook), "ours": (raw, ours), "like": (raw_object, ours)}
    samples: dict[str, list[tuple[float, float, float]]] = {name: [] for name in pairs}
    for _ in range(15):
        for name, (baseline, side) in pairs.items():
            baseline_rate = best_rate(baseline, per_round, repeats=1) * len(frames)
            side_rate = best_rate(side, per_round, repeats=1) * len(frames)
            samples[name].append((side_rate / baseline_rate, baseline_rate, side_rate))
    median = {name: sorted(rows)[len(rows) // 2] for name, rows in samples.items()}
    note = f"mix of {len(frames)} frames; median of 15 interleaved rounds"
    return [
        Result(
            "decoder: receive_binary",
            median["webhook"][2],
            "msg/s",
            raw=median["webhook"][1],
            raw_name="FromString+WhichOneof",
            target=0.8,
            notes=note,
        ),
        Result(
            "decoder: decode_notification",
            median["ours"][2],
            "msg/s",
            raw=median["ours"][1],
            raw_name="FromString+WhichOneof",
            target=0.8,
            notes=note,
        ),
        Result(
            "decoder: like for like",
            median["like"][2],
            "msg/s",
            raw=median["like"][1],
            raw_name="FromString+WhichOneof+getattr",
            notes="raw also materialises the notification object, as the decoder must",
        ),
    ]


# -- a loopback server in a subprocess ----------------------------------------------------------


def _serve(count: int) -> None:
    """Subprocess entry: accept connections forever; each gets ``count`` notifications."""
    frames = [
        S(
            peer_metadata_updated=S.PeerMetadataUpdated(
                room_id="0b4e7b5a-3f1e-4c57-9a43-3b2f7f4c9e11",
                peer_id="7c1d4c1e-9a0b-4d6e-8f3a-000000000001",
                metadata=str(i),
            )
        ).SerializeToString()
        for i in range(count)
    ]
    listener = socket.create_server(("127.0.0.1", 0))
    print(listener.getsockname()[1], flush=True)
    while True:
        connection, _ = listener.accept()
        threading.Thread(target=_serve_one, args=(connection, frames), daemon=True).start()


def _serve_one(connection: socket.socket, frames: list[bytes]) -> None:
    connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    ws = WSConnection(ConnectionType.SERVER)
    try:
        while True:
            data = connection.recv(65536)
            if not data:
                return
            ws.receive_data(data)
            for event in ws.events():
                if isinstance(event, Request):
                    connection.sendall(ws.send(AcceptConnection()))
                elif isinstance(event, CloseConnection):
                    connection.sendall(ws.send(event.response()))
                    return
                elif isinstance(event, BytesMessage):
                    message = S.FromString(bytes(event.data))
                    case = message.WhichOneof("content")
                    if case == "auth_request":
                        reply = S(authenticated=S.Authenticated())
                        connection.sendall(ws.send(BytesMessage(reply.SerializeToString())))
                    elif case == "subscribe_request":
                        kind = message.subscribe_request.event_type
                        reply = S(subscribe_response=S.SubscribeResponse(event_type=kind))
                        blob = ws.send(BytesMessage(reply.SerializeToString())) + b"".join(
                            ws.send(BytesMessage(frame)) for frame in frames
                        )
                        connection.sendall(blob)
    except OSError:
        return
    finally:
        connection.close()


class _Server:
    def __init__(self, count: int) -> None:
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(count)], stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        self.address = f"127.0.0.1:{int(self.process.stdout.readline())}"

    def close(self) -> None:
        self.process.kill()
        self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


# -- end to end --------------------------------------------------------------------------------


def _raw_blocking(address: str, count: int) -> float:
    start = time.perf_counter()
    ws = websocket.create_connection(
        f"ws://{address}/socket/server/websocket", suppress_origin=True
    )
    from_string = S.FromString
    try:
        ws.send_bytes(AUTH)
        from_string(ws.recv()).WhichOneof("content")
        ws.send_bytes(SUBSCRIBE)
        from_string(ws.recv()).WhichOneof("content")
        received = 0
        while received < count:
            message = from_string(ws.recv())
            case = message.WhichOneof("content")
            if case is not None:
                getattr(message, case)
                received += 1
        return time.perf_counter() - start
    finally:
        ws.close()


def _raw_blocking_wsproto(address: str, count: int) -> float:
    """The blocking notifier's engine, bare: websocket-client upgrades, wsproto frames."""
    start = time.perf_counter()
    host, port = address.split(":")
    sock = socket.create_connection((host, int(port)))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    websocket.create_connection(
        f"ws://{address}/socket/server/websocket", suppress_origin=True, socket=sock
    )
    ws = Connection(ConnectionType.CLIENT)
    from_string = S.FromString
    try:
        sock.sendall(ws.send(BytesMessage(AUTH)))
        received = 0
        handshake = 0
        partial: list[bytes | bytearray] = []
        while received < count:
            ws.receive_data(sock.recv(65536))
            for event in ws.events():
                if type(event) is BytesMessage:
                    data = event.data
                    if not event.message_finished or partial:
                        partial.append(data)
                        if not event.message_finished:
                            continue
                        data = b"".join(partial)
                        partial.clear()
                    message = from_string(data)
                    case = message.WhichOneof("content")
                    if handshake == 0:
                        handshake = 1
                        sock.sendall(ws.send(BytesMessage(SUBSCRIBE)))
                    elif handshake == 1:
                        handshake = 2
                    elif case is not None:
                        getattr(message, case)
                        received += 1
        return time.perf_counter() - start
    finally:
        sock.close()


def _ours_blocking(address: str, count: int) -> float:
    start = time.perf_counter()
    notifier = BlockingNotifier(address, "development")
    received = 0
    end = 0.0

    @notifier.on_server_notification
    def handle(event: object) -> None:
        nonlocal received, end
        received += 1
        if received == count:
            end = time.perf_counter()
            notifier.close()

    notifier.connect()
    if received != count:
        raise RuntimeError(f"lost notifications: {received} of {count}")
    return end - start


async def _raw_anyio(address: str, count: int) -> float:
    start = time.perf_counter()
    host, port = address.split(":")
    stream = await anyio.connect_tcp(host, int(port))
    ws = WSConnection(ConnectionType.CLIENT)
    from_string = S.FromString
    async with stream:
        await stream.send(ws.send(Request(host=address, target="/socket/server/websocket")))
        received = 0
        handshake = 0
        partial: list[bytes | bytearray] = []
        while received < count:
            ws.receive_data(await stream.receive(65536))
            for event in ws.events():
                if isinstance(event, AcceptConnection):
                    await stream.send(ws.send(BytesMessage(AUTH)))
                elif type(event) is BytesMessage:
                    data = event.data
                    if not event.message_finished or partial:
                        partial.append(data)
                        if not event.message_finished:
                            continue
                        data = b"".join(partial)
                        partial.clear()
                    message = from_string(data)
                    case = message.WhichOneof("content")
                    if handshake == 0:
                        handshake = 1
                        await stream.send(ws.send(BytesMessage(SUBSCRIBE)))
                    elif handshake == 1:
                        handshake = 2
                    elif case is not None:
                        getattr(message, case)
                        received += 1
        return time.perf_counter() - start


async def _ours_anyio(address: str, count: int) -> float:
    start = time.perf_counter()
    notifier = Notifier(address, "development")
    received = 0
    end = 0.0
    done = anyio.Event()

    @notifier.on_server_notification
    def handle(event: object) -> None:
        nonlocal received, end
        received += 1
        if received == count:
            end = time.perf_counter()
            done.set()

    async with anyio.create_task_group() as group:
        group.start_soon(notifier.connect)
        await done.wait()
        await notifier.close()
    return end - start


def _timed(function: Callable[[], float], count: int) -> tuple[float, float]:
    """``(messages per second, messages per CPU-second of this process)``.

    ``function`` returns the seconds from connect to the N-th message; the server runs in
    another process, so this process's CPU time is the client's alone.
    """
    cpu = time.process_time()
    seconds = function()
    cpu = time.process_time() - cpu
    return count / seconds, count / cpu


def bench_end_to_end(quick: bool) -> list[Result]:
    count = 20_000 if quick else 100_000
    runs = 3 if quick else 5
    server = _Server(count)
    try:
        rates: dict[str, float] = {}
        per_cpu: dict[str, float] = {}

        def keep(name: str, measured: tuple[float, float]) -> None:
            rates[name] = max(rates.get(name, 0.0), measured[0])
            per_cpu[name] = max(per_cpu.get(name, 0.0), measured[1])

        for _ in range(runs):
            keep("raw_blocking", _timed(lambda: _raw_blocking(server.address, count), count))
            keep(
                "raw_blocking_wsproto",
                _timed(lambda: _raw_blocking_wsproto(server.address, count), count),
            )
            keep("ours_blocking", _timed(lambda: _ours_blocking(server.address, count), count))
            keep(
                "raw_anyio",
                _timed(lambda: anyio.run(_raw_anyio, server.address, count), count),
            )
            keep(
                "ours_anyio",
                _timed(lambda: anyio.run(_ours_anyio, server.address, count), count),
            )
            keep(
                "ours_trio",
                _timed(
                    lambda: anyio.run(_ours_anyio, server.address, count, backend="trio"), count
                ),
            )
            keep(
                "raw_trio",
                _timed(lambda: anyio.run(_raw_anyio, server.address, count, backend="trio"), count),
            )
    finally:
        server.close()
    notes = f"{count:,} notifications per run over loopback, best of {runs}"
    cpu_notes = f"{notes}; client CPU only (the server is another process)"
    flavours = [
        ("BlockingNotifier", "blocking", "websocket-client recv loop"),
        ("Notifier (asyncio)", "anyio", "wsproto+anyio loop (asyncio)"),
        ("Notifier (trio)", "trio", "wsproto+anyio loop (trio)"),
    ]
    results = [
        Result(
            "engine: websocket-client upgrade + wsproto frames",
            rates["raw_blocking_wsproto"],
            "msg/s",
            raw=rates["raw_blocking"],
            raw_name="websocket-client recv loop",
            notes=f"{notes}; the blocking notifier's frame engine, chosen on this row "
            f"({per_cpu['raw_blocking_wsproto']:,.0f} vs {per_cpu['raw_blocking']:,.0f} "
            "msg/CPU-s)",
        )
    ]
    for title, key, raw_name in flavours:
        results.append(
            Result(
                f"e2e: {title}",
                rates[f"ours_{key}"],
                "msg/s",
                raw=rates[f"raw_{key}"],
                raw_name=raw_name,
                target=0.7,
                notes=notes,
            )
        )
        results.append(
            Result(
                f"e2e CPU: {title}",
                per_cpu[f"ours_{key}"],
                "msg/CPU-s",
                raw=per_cpu[f"raw_{key}"],
                raw_name=raw_name,
                notes=cpu_notes,
            )
        )
    return results


def run(quick: bool) -> list[Result]:
    """Decoder and end-to-end results (see the module docstring)."""
    return bench_decoder(quick) + bench_end_to_end(quick)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--serve":
        _serve(int(sys.argv[2]))
    else:
        for result in run("--quick" in sys.argv):
            ratio = f"{result.ratio:.2f}x" if result.ratio is not None else "-"
            line = f"{result.name:40} {result.ours:>12,.0f} {result.unit} ratio {ratio}"
            print(f"{line}  {result.notes}")
