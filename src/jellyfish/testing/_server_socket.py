"""``/socket/server/websocket``: auth, subscriptions, notifications (§5)."""

from __future__ import annotations

import logging

from starlette.websockets import WebSocket

from jellyfish.events._protos.jellyfish.server_notifications_pb2 import ServerMessage
from jellyfish.testing._hub import Hub
from jellyfish.testing._websocket import Connection, SocketHooks

logger = logging.getLogger("jellyfish.testing")


class ServerSocket(Connection):
    """One server-WebSocket client: it authenticates with the API token, then subscribes."""

    def __init__(self, websocket: WebSocket, token: str, hub: Hub, hooks: SocketHooks) -> None:
        super().__init__(websocket, hooks)
        self.token = token
        self.hub = hub
        self.authenticated = False

    async def run(self) -> None:
        """Serve the connection until it closes."""
        logger.info("New incoming server WebSocket connection, accepting")
        await self.serve()

    def on_frame(self, data: bytes | None, text: str | None) -> None:
        """Auth first (§5 step 1-3), then subscribe requests (step 4)."""
        if data is None:
            self.close(1003, "operation not allowed")
            return
        message = self.decode(data, ServerMessage)
        if message is None:
            return
        kind = message.WhichOneof("content")
        if not self.authenticated:
            if kind != "auth_request":
                logger.warning("Invalid auth request over server WS")
                self.close(1000, "invalid auth request")
            elif message.auth_request.token != self.token:
                logger.warning("Invalid token over server WS")
                self.close(1000, "invalid token")
            else:
                self.authenticated = True
                self.send_bytes(
                    ServerMessage(authenticated=ServerMessage.Authenticated()).SerializeToString()
                )
                self.start_heartbeat()
                logger.info("Server WS authenticated.")
            return
        if kind == "subscribe_request":
            event_type = message.subscribe_request.event_type
            if event_type not in (1, 2):
                logger.error("Server WS subscribed to an unknown event type %s", event_type)
                self.close(1011, "")
                return
            response = ServerMessage.SubscribeResponse(event_type=event_type)
            self.send_bytes(ServerMessage(subscribe_response=response).SerializeToString())
            self.hub.subscribe(self, event_type)
            return
        logger.warning("Received unexpected message over server WS: %s", kind)
        self.close(1003, "operation not allowed")

    def on_closed(self) -> None:
        """Forget the subscriptions."""
        self.hub.unsubscribe(self)
