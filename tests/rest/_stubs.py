"""Local socket servers for REST tests that need no Jellyfish: a keep-alive HTTP stub that
counts connections, a listener that never answers, a server that resets connections, and
one that is not speaking TLS."""

from __future__ import annotations

import json
import socket
import ssl
import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = tuple[int, dict[str, str], bytes]
Route = Callable[[str, str, bytes, dict[str, str]], Reply]


def health(enabled: bool, nodes: int = 1) -> dict[str, Any]:
    """``GET /health``'s JSON: a node that is up, in a cluster (``enabled``) of ``nodes``."""
    return {
        "data": {
            "status": "UP",
            "uptime": 1,
            "version": "0.5.0",
            "gitCommit": "dev",
            "distribution": {"enabled": enabled, "nodeStatus": "UP", "nodesInCluster": nodes},
        }
    }


def json_reply(status: int, body: Any) -> Reply:
    return status, {"Content-Type": "application/json; charset=utf-8"}, json.dumps(body).encode()


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that hang up mid-answer are part of the tests


class StubServer:
    """HTTP/1.1 keep-alive server on 127.0.0.1; ``route`` answers every request."""

    def __init__(self, route: Route, tls: ssl.SSLContext | None = None) -> None:
        self.route = route
        self.connections = 0
        self.requests: list[tuple[str, str, bytes, dict[str, str]]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                stub.connections += 1

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                stub.requests.append((self.command, self.path, body, headers))
                status, reply_headers, payload = stub.route(self.command, self.path, body, headers)
                self.send_response(status)
                for name, value in reply_headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_DELETE = _answer

        self.httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@contextmanager
def stub_server(route: Route, tls: ssl.SSLContext | None = None) -> Iterator[StubServer]:
    server = StubServer(route, tls)
    try:
        yield server
    finally:
        server.close()


@contextmanager
def silent_server() -> Iterator[str]:
    """A listener that completes TCP handshakes (kernel backlog) but never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    try:
        yield f"127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()


def refused_address() -> str:
    """An address where nothing listens (connection refused)."""
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return f"127.0.0.1:{port}"


@contextmanager
def answering_server(answer: Callable[[socket.socket], None]) -> Iterator[str]:
    """Accept connections in a thread and hand each to ``answer`` (then close it)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                if stop.is_set():
                    return
                with suppress(OSError):
                    answer(conn)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    address = f"127.0.0.1:{listener.getsockname()[1]}"
    try:
        yield address
    finally:
        stop.set()
        # Wake the accept() up, then close.
        with socket.create_connection(("127.0.0.1", listener.getsockname()[1])):
            pass
        thread.join()
        listener.close()


def reset_connection(conn: socket.socket) -> None:
    """Read the request, then abort the connection with a TCP RST."""
    conn.recv(65536)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def not_tls(conn: socket.socket) -> None:
    """Answer a TLS ClientHello with plain HTTP bytes."""
    conn.recv(65536)
    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
