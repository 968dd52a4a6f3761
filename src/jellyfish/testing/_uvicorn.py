"""The uvicorn adapter: serve one node's ASGI app on a bound socket, start and stop it fast.

Everything that touches uvicorn's internals (startup without ``serve()``, connection aborts,
per-connection keepalive pings) lives here, so the rest of the emulator does not know them.
"""

from __future__ import annotations

import socket
from typing import Any

import anyio
import uvicorn
from starlette.types import ASGIApp, Scope

from jellyfish.testing._reaping import ConnectionReaper

#: uvicorn's own keep-alive timeout, out of the way of the reaper's.
_NEVER_SECONDS = 365 * 24 * 3600


def bind(host: str, port: int) -> socket.socket:
    """A listening-ready TCP socket on ``host:port`` (``port=0``: a free one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on accepted sockets whose proto says TCP
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


class UvicornHost:
    """One uvicorn server (h11 + wsproto) for one app, on the caller's event loop.

    Connections are timed out by ``reaper`` (Cowboy's rules), not by uvicorn's keep-alive.
    """

    def __init__(self, app: ASGIApp, heartbeat_interval: float, reaper: ConnectionReaper) -> None:
        self._heartbeat_interval = heartbeat_interval
        http_protocol, ws_protocol = reaper.protocol_classes()
        self.config = uvicorn.Config(
            app,
            http=http_protocol,
            ws=ws_protocol,
            lifespan="off",
            log_config=None,
            access_log=False,
            # The reaper maps requests to connections by the ASGI ``client``: keep it the peer.
            proxy_headers=False,
            ws_ping_interval=None,  # started per connection after auth: start_heartbeat
            ws_ping_timeout=None,
            timeout_graceful_shutdown=2,
            timeout_keep_alive=_NEVER_SECONDS,
        )
        self.server = uvicorn.Server(self.config)
        self.running = False

    async def start(self, sockets: list[socket.socket]) -> None:
        """Accept connections on ``sockets``."""
        # uvicorn's own serve() polls for exit every 0.1 s and sleeps 0.1 s on shutdown;
        # driving startup/shutdown here keeps start and stop fast for tests.
        self.config.load()
        self.server.lifespan = self.config.lifespan_class(self.config)
        await self.server.startup(sockets=sockets)
        self.running = True

    async def date_header_loop(self) -> None:
        """Refresh the ``Date`` header every second (what ``serve()`` would do)."""
        while True:
            await self.server.on_tick(0)
            await anyio.sleep(1)

    async def shutdown(self) -> None:
        """Stop accepting, drop every connection, close the listeners."""
        self.running = False
        server = self.server
        # Stop accepting first, but keep the listeners open until connections accepted in
        # this very loop iteration have become transports: closing an asyncio Server with
        # accepts in flight leaks their sockets (CPython 3.11 asserts in Server._attach).
        for listener in server.servers:
            for sock in listener.sockets:
                listener.get_loop().remove_reader(sock.fileno())
        # Abort until nothing is left: an accepted client becomes a connection a few loop
        # iterations later, and must be dropped too.
        quiet = 0
        with anyio.move_on_after(2):
            while quiet < 5:
                self.abort_connections(None)
                await anyio.sleep(0.001)
                state = server.server_state
                quiet = 0 if state.connections or state.tasks else quiet + 1
        for listener in server.servers:
            listener.close()
        for task in list(server.server_state.tasks):
            task.cancel()

    def start_heartbeat(self, scope: Scope) -> None:
        """Start WebSocket pings on the connection of ``scope`` (Jellyfish pings after auth)."""
        if not self.running or self._heartbeat_interval <= 0:
            return
        for connection in self.server.server_state.connections:
            protocol: Any = connection  # the wsproto protocol (uvicorn >= 0.46)
            if getattr(protocol, "scope", None) is scope and hasattr(protocol, "start_keepalive"):
                protocol.ping_interval = self._heartbeat_interval
                protocol.start_keepalive()
                return

    def abort_connections(self, websocket_path: str | None) -> int:
        """Drop connections without a close frame: all, or the WebSockets on one path."""
        count = 0
        for connection in list(self.server.server_state.connections):
            scope = getattr(connection, "scope", None)
            transport = getattr(connection, "transport", None)
            if transport is None:
                continue
            if websocket_path is not None and not (
                isinstance(scope, dict)
                and scope.get("type") == "websocket"
                and scope.get("path") == websocket_path
            ):
                continue
            transport.abort()
            count += 1
        return count

    def abort_scope(self, scope: Scope) -> bool:
        """Drop the one connection serving ``scope`` (a client that cannot keep up)."""
        for connection in list(self.server.server_state.connections):
            if getattr(connection, "scope", None) is scope:
                transport = getattr(connection, "transport", None)
                if transport is not None:
                    transport.abort()
                    return True
        return False
