"""Connections are reaped with Cowboy's timeouts, as the server's HTTP layer reaps them.

Server: Jellyfish serves HTTP with plug_cowboy (``lib/jellyfish_web/endpoint.ex``, Phoenix's
Cowboy adapter) and its default options, so Cowboy's defaults apply:

* ``cowboy_http`` (``src/cowboy_http.erl``, ``set_timeout/1`` and ``timeout/2``):
  ``request_timeout`` (5000 ms) runs while no request is in progress, from the connection's
  start and again after each response, and data does not reset it; when it fires, a
  connection that has sent no complete request line is closed, one that has (headers still
  missing) gets ``408`` and is closed. ``idle_timeout`` (60000 ms) runs while a request is in
  progress and every byte received resets it.
* ``cowboy_websocket`` (``src/cowboy_websocket.erl``): ``idle_timeout`` (Phoenix's socket
  ``timeout``, 60000 ms) without data from the client closes the WebSocket with a close
  frame 1000 (pongs are data: a client that answers pings stays).

The tests shrink the timeouts (``request_timeout`` / ``idle_timeout`` options) and check
each rule; the defaults are Cowboy's.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest
import websocket

from jellyfish.events._protos.jellyfish.server_notifications_pb2 import ServerMessage
from jellyfish.testing import JellyfishServer, NodeOptions

from .helpers import Rest

pytestmark = pytest.mark.emulator_only(in_process=True)

REQUEST = 0.4
IDLE = 1.0
WAIT = 10.0  # how long a test waits for a close that must come


def _connect(server: JellyfishServer) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=WAIT)
    return sock


def _read_until_closed(sock: socket.socket) -> tuple[bytes, float]:
    """Everything the server sends until it closes, and when it closed (monotonic)."""
    received = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            return received, time.monotonic()
        received += chunk


def _exchange(sock: socket.socket, request: bytes) -> bytes:
    """Send one request, read its whole response (head and ``content-length`` body)."""
    sock.sendall(request)
    response = b""
    while b"\r\n\r\n" not in response:
        response += sock.recv(65536)
    head, _, body = response.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += sock.recv(65536)
    return head + b"\r\n\r\n" + body


HEALTH = b"GET /health HTTP/1.1\r\nhost: x\r\nauthorization: Bearer development\r\n\r\n"


def test_defaults_are_cowboys() -> None:
    options = NodeOptions()
    assert (options.request_timeout, options.idle_timeout) == (5.0, 60.0)


def test_a_silent_connection_is_closed_after_the_request_timeout() -> None:
    with JellyfishServer(request_timeout=REQUEST, idle_timeout=IDLE) as server:
        sock = _connect(server)
        opened = time.monotonic()
        received, closed = _read_until_closed(sock)
        sock.close()
        assert received == b""  # nothing sent: closed without an answer
        assert closed - opened >= REQUEST * 0.9


def test_a_trickled_request_is_not_kept_alive_by_its_bytes() -> None:
    with JellyfishServer(request_timeout=REQUEST, idle_timeout=IDLE) as server:
        # slowloris: a byte every 0.05 s, never a full request line
        sock = _connect(server)
        opened = time.monotonic()
        sock.settimeout(0.05)
        received = b""
        for byte in b"GET /room/" + b"x" * 200:
            try:
                sock.sendall(bytes([byte]))
                received += sock.recv(65536)
                break  # the server answered or closed
            except TimeoutError:
                continue
            except OSError:
                break
        sock.settimeout(WAIT)
        rest, closed = _read_until_closed(sock)
        sock.close()
        assert received + rest == b""
        assert REQUEST * 0.9 <= closed - opened < 200 * 0.05

        # the request line has come, the headers never do: 408, then closed
        sock = _connect(server)
        sock.sendall(b"GET /room HTTP/1.1\r\nhost: x\r\n")
        received, _ = _read_until_closed(sock)
        sock.close()
        assert received.startswith(b"HTTP/1.1 408 Request Timeout\r\n")


def test_keep_alive_connections_get_the_request_timeout_after_each_response() -> None:
    with JellyfishServer(request_timeout=REQUEST, idle_timeout=IDLE) as server:
        sock = _connect(server)
        assert _exchange(sock, HEALTH).startswith(b"HTTP/1.1 200")
        time.sleep(REQUEST / 2)
        # within the timeout: served on the same connection
        assert _exchange(sock, HEALTH).startswith(b"HTTP/1.1 200")
        answered = time.monotonic()
        received, closed = _read_until_closed(sock)
        sock.close()
        assert received == b""
        assert closed - answered >= REQUEST * 0.9


def test_a_request_in_progress_gets_the_idle_timeout() -> None:
    # An LL-HLS blocking playlist request is held until its part exists: with a silent
    # client, Cowboy's idle timeout ends it (the request timeout does not apply).
    with (
        JellyfishServer(request_timeout=REQUEST, idle_timeout=IDLE) as server,
        Rest(server) as rest,
    ):
        room_id, _ = rest.create_room(videoCodec="h264")
        rest.add_component(room_id, "hls", lowLatency=True)
        sock = _connect(server)
        target = f"/hls/{room_id}/video.m3u8?_HLS_msn=50&_HLS_part=0"
        sock.sendall(f"GET {target} HTTP/1.1\r\nhost: x\r\n\r\n".encode())
        sent = time.monotonic()
        received, closed = _read_until_closed(sock)
        sock.close()
        assert received == b""
        assert closed - sent >= IDLE * 0.9  # not the request timeout


def test_an_idle_websocket_is_closed_with_1000_and_a_ponging_one_stays() -> None:
    with JellyfishServer(
        request_timeout=REQUEST, idle_timeout=IDLE, heartbeat_interval=IDLE / 5
    ) as server:
        silent = websocket.create_connection(server.server_websocket_url, timeout=WAIT)
        opened = time.monotonic()
        live = websocket.create_connection(server.server_websocket_url, timeout=WAIT)
        auth = ServerMessage(auth_request=ServerMessage.AuthRequest(token=server.token))
        live.send_binary(auth.SerializeToString())
        assert ServerMessage.FromString(live.recv()).WhichOneof("content") == "authenticated"
        # the authenticated client answers every ping at once (websocket-client pongs while it
        # reads), from now on: its pongs are the only data that keep it open
        answering = _PingAnswerer(live)
        answering.start()
        try:
            opcode, data = silent.recv_data(control_frame=True)
            closed = time.monotonic()
            assert opcode == websocket.ABNF.OPCODE_CLOSE
            assert data[:2] == (1000).to_bytes(2, "big")
            assert closed - opened >= IDLE * 0.9
            silent.shutdown()  # the server closed the connection after its close frame

            # 8 more pings, IDLE/5 apart, span longer than IDLE: a connection without data
            # would have been closed in that time
            assert answering.wait_for_pings(answering.pings + 8, timeout=WAIT)
        finally:
            answering.stop()
        assert answering.closed_by_server is None
        live.close()


class _PingAnswerer(threading.Thread):
    """Reads a client WebSocket until stopped: counts pings (answered by websocket-client)."""

    def __init__(self, connection: websocket.WebSocket) -> None:
        super().__init__(daemon=True)
        self.connection = connection
        self.pings = 0
        self.closed_by_server: bytes | None = None
        """The close frame's payload (``b""``: dropped without one), once the server closed."""
        self._stopping = threading.Event()
        self._changed = threading.Condition()

    def run(self) -> None:
        self.connection.settimeout(0.05)  # to see `stop()` between frames
        while not self._stopping.is_set():
            try:
                opcode, data = self.connection.recv_data(control_frame=True)
            except websocket.WebSocketTimeoutException:
                continue
            except (websocket.WebSocketException, OSError):  # dropped without a close frame
                opcode, data = websocket.ABNF.OPCODE_CLOSE, b""
            with self._changed:
                if opcode == websocket.ABNF.OPCODE_PING:
                    self.pings += 1
                elif opcode == websocket.ABNF.OPCODE_CLOSE:
                    self.closed_by_server = data
                self._changed.notify_all()
            if self.closed_by_server is not None:
                return

    def wait_for_pings(self, count: int, timeout: float) -> bool:
        """Whether ``count`` pings came in time, the connection still open."""
        with self._changed:
            self._changed.wait_for(
                lambda: self.pings >= count or self.closed_by_server is not None, timeout
            )
            return self.pings >= count and self.closed_by_server is None

    def stop(self) -> None:
        self._stopping.set()
        self.join(WAIT)
        self.connection.settimeout(WAIT)


def test_thousands_of_idle_and_half_sent_sockets_are_all_reaped() -> None:
    """The issue's measurement, scaled down: idle and slowloris sockets all go."""
    with JellyfishServer(request_timeout=REQUEST, idle_timeout=IDLE) as server:
        sockets = []
        for index in range(400):
            sock = _connect(server)
            if index % 2:
                sock.sendall(b"GET /room HTTP/1.1\r\nhost")  # half a request
            sockets.append(sock)
        deadline = time.monotonic() + WAIT
        for sock in sockets:
            sock.settimeout(max(0.1, deadline - time.monotonic()))
            _read_until_closed(sock)
            sock.close()
        assert time.monotonic() < deadline
        with Rest(server) as rest:
            assert rest.request("GET", "/room").status_code == 200  # still serving


def test_timeouts_can_be_turned_off() -> None:
    with JellyfishServer(request_timeout=None, idle_timeout=None) as server:
        sock = _connect(server)
        sock.settimeout(REQUEST * 3)
        with pytest.raises(TimeoutError):
            sock.recv(1)  # nothing, and still open
        sock.settimeout(WAIT)
        assert _exchange(sock, HEALTH).startswith(b"HTTP/1.1 200")
        sock.close()
