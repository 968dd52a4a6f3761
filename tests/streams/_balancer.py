"""A TCP load balancer in front of the bridges' webhook ports, for the webhook tests.

Each new connection goes to the next backend in turn that accepts it (a dead bridge's port
refuses, so its share goes to the others), as a load balancer with connect retries does.
Threads, like the fault proxy: it keeps working whatever the code under test does.
"""

from __future__ import annotations

import contextlib
import socket
import threading

_POLL = 0.05


class Balancer:
    """``with Balancer([(host, port), ...]) as balancer:``, then POST to ``balancer.url``."""

    def __init__(self, backends: list[tuple[str, int]]) -> None:
        self.backends = list(backends)
        self.connections: dict[tuple[str, int], int] = {}
        """Connections forwarded, per backend."""
        self._next = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(_POLL)
        self.port = self._listener.getsockname()[1]
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Balancer:
        self._spawn(self._accept_loop)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stopping.set()  # every thread sees it within _POLL
        for thread in list(self._threads):  # the accept loop starts no thread after it ended
            thread.join(5)
            assert not thread.is_alive(), thread.name
        for sock in self._sockets:
            sock.close()
        self._listener.close()

    def _spawn(self, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)  # type: ignore[arg-type]
        with self._lock:
            self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            upstream = self._connect()
            if upstream is None:
                client.close()
                continue
            for sock in (client, upstream):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                sock.settimeout(_POLL)
            with self._lock:
                self._sockets += [client, upstream]
            self._spawn(self._pump, client, upstream)
            self._spawn(self._pump, upstream, client)

    def _connect(self) -> socket.socket | None:
        for _ in range(len(self.backends)):
            backend = self.backends[self._next % len(self.backends)]
            self._next += 1
            try:
                upstream = socket.create_connection(backend, timeout=1)
            except OSError:
                continue
            self.connections[backend] = self.connections.get(backend, 0) + 1
            return upstream
        return None

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        while not self._stopping.is_set():
            try:
                data = source.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                data = b""
            if not data:
                break
            try:
                target.sendall(data)
            except OSError:
                break
        for sock in (source, target):  # one side ended: end the other (a reset stays a close)
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
