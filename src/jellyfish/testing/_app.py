"""The ASGI application of one node: what arrives where.

* the metrics listener: ``GET /metrics`` (Prometheus, §8);
* ``/_emulator/v1``: the control API (``_control_http``);
* every other HTTP request: the REST API (``_rest``), with CORS as Jellyfish's ``CORSPlug``;
* ``/socket/server/websocket`` and ``/socket/peer/websocket``: the two WebSockets.

HTTP traffic is counted for the metrics, and every request is reported to the connection
reaper (Cowboy's timeouts run between requests).
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

from jellyfish.testing._control_http import ControlHttp
from jellyfish.testing._core import NodeCore
from jellyfish.testing._http import PEER_WS_PATH, SERVER_WS_PATH
from jellyfish.testing._hub import Hub
from jellyfish.testing._operations import CONTROL_PREFIX
from jellyfish.testing._peer_socket import PeerSocket
from jellyfish.testing._reaping import ConnectionReaper
from jellyfish.testing._rest import RestApi
from jellyfish.testing._server_socket import ServerSocket
from jellyfish.testing._telemetry import CONTENT_TYPE
from jellyfish.testing._websocket import SocketHooks


@dataclass(eq=False)
class NodeApp:
    """Routes one node's connections (both listeners) to its APIs and WebSockets."""

    core: NodeCore
    hub: Hub
    rest: RestApi
    control: ControlHttp
    hooks: SocketHooks
    reaper: ConnectionReaper
    metrics_address: tuple[str, int] | None

    def __post_init__(self) -> None:
        self._cors: ASGIApp = CORSMiddleware(
            self._rest, allow_origins=["*"], allow_methods=["*"], allow_headers=["*"]
        )

    def _is_metrics_listener(self, scope: Scope) -> bool:
        server = scope.get("server")
        metrics = self.metrics_address
        if metrics is None or not server:
            return False
        if server[1] != metrics[1]:
            return False
        return metrics[0] in ("0.0.0.0", "::") or server[0] == metrics[0]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            client = scope.get("client")
            self.reaper.request_started(client)
            try:
                await self._http(scope, receive, send)
            finally:
                self.reaper.request_finished(client)
        elif scope["type"] == "websocket":
            await self._websocket(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._is_metrics_listener(scope):
            await self._metrics(scope, receive, send)
        elif scope["path"] == CONTROL_PREFIX or scope["path"].startswith(CONTROL_PREFIX + "/"):
            request = Request(scope, receive)
            await (await self.control.respond(request))(scope, receive, send)
        else:
            await self._cors(scope, receive, send)

    async def _rest(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.rest.respond(Request(scope, receive))
        # measured for the HTTP traffic metrics as TrafficMetricsPlug measures (before_send)
        self.core.telemetry.http_exchange(
            scope["method"],
            scope.get("raw_path") or scope["path"].encode(),
            scope.get("query_string", b""),
            scope["headers"],
            len(response.body),
            response.raw_headers,
        )
        await response(scope, receive, send)

    async def _metrics(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] == "/metrics" and scope["method"] in ("GET", "HEAD"):
            body = self.core.telemetry.render()
            response = Response(body, headers={"content-type": CONTENT_TYPE})
        else:
            response = Response("Not Found", status_code=404)
        await response(scope, receive, send)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send)
        if self._is_metrics_listener(scope):
            await websocket.close(1008)
        elif scope["path"] == SERVER_WS_PATH:
            await ServerSocket(websocket, self.core.settings.token, self.hub, self.hooks).run()
        elif scope["path"] == PEER_WS_PATH:
            await PeerSocket(websocket, self.core.peers, self.hooks).run()
        else:
            await websocket.close(1008)
