"""A TCP proxy that understands just enough WebSocket to break it on purpose.

It sits between a notifier and a server (the emulator), forwards bytes both ways, and on
command: cuts the connection (FIN, RST, or in the middle of a frame), black-holes it (stops
forwarding but keeps both sockets open), drips the server's bytes one at a time, injects
server->client frames between two real ones, refuses or resets new connections (a server
that is down), and records every complete server->client frame it forwarded.

Threads, not async: the proxy must keep working whatever the code under test does to its
own event loop. Every socket operation is bounded; :meth:`FaultProxy.close` joins every
thread it started.
"""

from __future__ import annotations

import enum
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field

from support.websocket import Opcode, frame

_POLL = 0.05
"""Seconds a blocked accept/recv waits before re-checking for shutdown."""


def _split_frame(buffer: bytearray) -> tuple[int, bytes, int] | None:
    """``(opcode, unmasked payload, total length)`` of the first complete frame, or None."""
    if len(buffer) < 2:
        return None
    opcode = buffer[0] & 0xF
    masked = buffer[1] & 0x80
    length = buffer[1] & 0x7F
    offset = 2
    if length == 126:
        if len(buffer) < 4:
            return None
        (length,) = struct.unpack_from("!H", buffer, 2)
        offset = 4
    elif length == 127:
        if len(buffer) < 10:
            return None
        (length,) = struct.unpack_from("!Q", buffer, 2)
        offset = 10
    key = b""
    if masked:
        if len(buffer) < offset + 4:
            return None
        key = bytes(buffer[offset : offset + 4])
        offset += 4
    end = offset + length
    if len(buffer) < end:
        return None
    payload = bytes(buffer[offset:end])
    if key:
        payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return opcode, payload, end


class Cut(enum.Enum):
    FIN = "fin"
    """An orderly TCP close of both sockets, without a WebSocket close frame."""
    RST = "rst"
    """A TCP reset (SO_LINGER 0): the peer sees ECONNRESET."""
    MID_FRAME = "mid_frame"
    """Half of a binary frame, then FIN: the client holds a truncated frame."""


def _reset(sock: socket.socket) -> None:
    with suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with suppress(OSError):
        sock.close()


def _close(sock: socket.socket) -> None:
    with suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with suppress(OSError):
        sock.close()


@dataclass
class Link:
    """One proxied connection (client <-> upstream)."""

    client: socket.socket
    upstream: socket.socket
    frames: list[tuple[int, bytes]] = field(default_factory=list)
    """Every complete server->client frame forwarded, as (opcode, payload)."""
    upgraded: threading.Event = field(default_factory=threading.Event)
    closed: threading.Event = field(default_factory=threading.Event)
    black_holed: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)
    """Held while a whole frame is sent to the client: faults land between frames."""
    threads: list[threading.Thread] = field(default_factory=list)

    def send_to_client(self, data: bytes, drip: float | None) -> None:
        if drip is None:
            self.client.sendall(data)
            return
        for index in range(len(data)):
            self.client.sendall(data[index : index + 1])
            time.sleep(drip)

    def shut(self, how: Cut) -> None:
        with self.lock:
            self._shut_locked(how)

    def _shut_locked(self, how: Cut) -> None:
        if self.closed.is_set():
            return
        self.closed.set()
        if how is Cut.MID_FRAME:
            payload = b"\x08" * 40
            with suppress(OSError):
                self.client.sendall(frame(Opcode.BINARY, payload)[: 2 + len(payload) // 2])
        if how is Cut.RST:
            _reset(self.client)
        else:
            _close(self.client)
        _close(self.upstream)


class FaultProxy:
    """``with FaultProxy("127.0.0.1:5002") as proxy:`` then connect to ``proxy.address``."""

    def __init__(self, upstream: str) -> None:
        host, _, port = upstream.rpartition(":")
        self.upstream = (host, int(port))
        self.links: list[Link] = []
        self.attempts: list[float] = []
        """``time.monotonic()`` of every accepted (or reset) connection attempt."""
        self.reset_new_connections = False
        """Reset every new connection at once (a server that accepts then crashes)."""
        self.drip: float | None = None
        """Seconds between two server->client bytes (None: forward at full speed)."""
        self._changed = threading.Condition()
        self._stopping = threading.Event()
        self._listener: socket.socket | None = None
        self._accept_thread: threading.Thread | None = None
        self.port = 0

    # -- lifecycle ---------------------------------------------------------------------

    def __enter__(self) -> FaultProxy:
        self.up()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def up(self) -> None:
        """Listen (again, on the same port after :meth:`down`)."""
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(_POLL)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._stopping.clear()
        self._accept_thread = threading.Thread(
            target=self._accept_loop, args=(listener,), name="fault-proxy-accept", daemon=True
        )
        self._accept_thread.start()

    def down(self) -> None:
        """Stop listening (new connections are refused) and reset every open link."""
        self._stop_accepting()
        self.cut(Cut.RST)

    def close(self) -> None:
        self._stop_accepting()
        self.cut(Cut.FIN)
        for link in list(self.links):
            for thread in link.threads:
                thread.join(5)
                assert not thread.is_alive(), f"proxy thread {thread.name} did not stop"

    def _stop_accepting(self) -> None:
        self._stopping.set()
        if self._accept_thread is not None:
            self._accept_thread.join(5)
            assert not self._accept_thread.is_alive(), "proxy accept loop did not stop"
            self._accept_thread = None
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    # -- waiting -----------------------------------------------------------------------

    def wait_for(self, condition: Callable[[], bool], timeout: float = 10) -> None:
        """Wait until ``condition()`` (re-checked on every proxy event); raise on timeout."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not condition():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("the proxy never reached the expected state")
                self._changed.wait(min(left, _POLL))

    def wait_attempts(self, count: int, timeout: float = 10) -> None:
        self.wait_for(lambda: len(self.attempts) >= count, timeout)

    def _notify(self) -> None:
        with self._changed:
            self._changed.notify_all()

    @property
    def live_links(self) -> list[Link]:
        return [link for link in self.links if not link.closed.is_set()]

    def forwarded_binary(self) -> Iterator[bytes]:
        """Payloads of every complete binary frame forwarded to clients, all links."""
        for link in list(self.links):
            for opcode, payload in list(link.frames):
                if opcode == Opcode.BINARY:
                    yield payload

    # -- faults ------------------------------------------------------------------------

    def cut(self, how: Cut = Cut.FIN) -> None:
        """Cut every open link."""
        for link in self.live_links:
            link.shut(how)
        self._notify()

    def black_hole(self) -> None:
        """Open links stop forwarding in both directions; their sockets stay open."""
        for link in self.live_links:
            link.black_holed = True

    def inject(self, data: bytes) -> None:
        """Send raw bytes (whole frames) to every open WebSocket client, between two frames."""
        for link in self.live_links:
            if not link.upgraded.is_set():
                continue  # not a WebSocket (yet)
            with link.lock, suppress(OSError):
                link.client.sendall(data)

    # -- pumps -------------------------------------------------------------------------

    def _accept_loop(self, listener: socket.socket) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.attempts.append(time.monotonic())
            if self.reset_new_connections:
                _reset(client)
                self._notify()
                continue
            try:
                upstream = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                _reset(client)
                self._notify()
                continue
            for sock in (client, upstream):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                sock.settimeout(_POLL)
            link = Link(client, upstream)
            link.threads = [
                threading.Thread(target=self._client_to_server, args=(link,), daemon=True),
                threading.Thread(target=self._server_to_client, args=(link,), daemon=True),
            ]
            self.links.append(link)
            for thread in link.threads:
                thread.start()
            self._notify()

    def _receive(self, link: Link, sock: socket.socket) -> bytes | None:
        """The next chunk, b"" at EOF, None when the link is closed."""
        while not link.closed.is_set():
            try:
                return sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return b""
        return None

    def _client_to_server(self, link: Link) -> None:
        while True:
            data = self._receive(link, link.client)
            if not data:
                break
            if link.black_holed:
                continue
            try:
                link.upstream.sendall(data)
            except OSError:
                break
        link.shut(Cut.FIN)
        self._notify()

    def _server_to_client(self, link: Link) -> None:
        buffer = bytearray()
        plain_http = False
        while True:
            data = self._receive(link, link.upstream)
            if not data:
                break
            if link.black_holed:
                continue
            buffer += data
            try:
                if not plain_http and not link.upgraded.is_set():
                    end = buffer.find(b"\r\n\r\n")
                    if end < 0:
                        continue
                    # anything but an upgrade is a REST call through the proxy: plain bytes
                    plain_http = not buffer.startswith(b"HTTP/1.1 101")
                    if not plain_http:
                        with link.lock:
                            link.send_to_client(bytes(buffer[: end + 4]), self.drip)
                        del buffer[: end + 4]
                        link.upgraded.set()
                if plain_http:
                    with link.lock:
                        link.send_to_client(bytes(buffer), self.drip)
                    buffer.clear()
                    continue
                while (split := _split_frame(buffer)) is not None:
                    opcode, payload, size = split
                    with link.lock:
                        if link.closed.is_set() or link.black_holed:
                            break
                        link.send_to_client(bytes(buffer[:size]), self.drip)
                        link.frames.append((opcode, payload))
                    del buffer[:size]
                    self._notify()
            except OSError:
                break
        link.shut(Cut.FIN)
        self._notify()
