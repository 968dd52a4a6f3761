"""``/socket/peer/websocket``: token auth and media events (§6)."""

from __future__ import annotations

import logging

from google.protobuf.message import DecodeError
from starlette.websockets import WebSocket

from jellyfish.events._protos.jellyfish.peer_notifications_pb2 import PeerMessage
from jellyfish.testing._model import Peer, Room
from jellyfish.testing._peers import Peers
from jellyfish.testing._tokens import TokenError
from jellyfish.testing._websocket import Connection, SocketHooks

logger = logging.getLogger("jellyfish.testing")


class PeerSocket(Connection):
    """One peer's WebSocket: ``auth_request{token}`` first, then media events."""

    def __init__(self, websocket: WebSocket, peers: Peers, hooks: SocketHooks) -> None:
        super().__init__(websocket, hooks)
        self.peers = peers
        self.room: Room | None = None
        self.peer: Peer | None = None

    async def run(self) -> None:
        """Serve the connection until it closes."""
        await self.serve()

    def send_media_event(self, data: str) -> None:
        """Send ``PeerMessage{media_event{data}}``."""
        message = PeerMessage(media_event=PeerMessage.MediaEvent(data=data))
        self.send_bytes(message.SerializeToString())

    def on_frame(self, data: bytes | None, text: str | None) -> None:
        """The handshake of §6.2, then ``media_event`` frames (anything else is ignored)."""
        if self.room is None or self.peer is None:
            if data is None:
                logger.error("Peer WS received a text frame before authenticating")
                self.close(1011, "")
                return
            message = self.decode(data, PeerMessage)
            if message is None:
                return
            if message.WhichOneof("content") != "auth_request":
                self.close(1000, "unauthenticated")
                return
            try:
                self.room, self.peer = self.peers.authenticate(message.auth_request.token, self)
            except TokenError as error:
                logger.warning("Peer WS authentication failed: %s", error.reason)
                self.close(1000, error.reason)
                return
            self.send_bytes(
                PeerMessage(authenticated=PeerMessage.Authenticated()).SerializeToString()
            )
            self.start_heartbeat()
            return
        if data is None:
            return  # text frames are ignored after auth
        try:
            message = PeerMessage.FromString(data)
        except DecodeError:
            return  # ignored after auth
        if message.WhichOneof("content") == "media_event":
            self.peers.media_event(self.room, self.peer, self, message.media_event.data)

    def on_closed(self) -> None:
        """The peer disconnects (§4.5)."""
        if self.room is not None and self.peer is not None:
            self.peers.socket_closed(self.room, self.peer, self)
