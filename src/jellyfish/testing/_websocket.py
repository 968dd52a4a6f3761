"""What both WebSockets share: an outgoing queue drained by one sender task (§5, §6)."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import TypeVar

import anyio
from google.protobuf.message import DecodeError, Message
from starlette.types import Scope
from starlette.websockets import WebSocket

logger = logging.getLogger("jellyfish.testing")

M = TypeVar("M", bound=Message)

#: Unsent frames a client may have queued before the emulator drops it. Jellyfish itself has
#: no bound (the socket process's mailbox grows); see docs/testing.md.
MAX_QUEUED_BYTES = 16 * 1024 * 1024


class SocketHooks:
    """What a WebSocket connection may ask of the HTTP server that carries it."""

    def __init__(
        self,
        start_heartbeat: Callable[[Scope], None] = lambda scope: None,
        drop_connection: Callable[[Scope], None] = lambda scope: None,
    ) -> None:
        self.start_heartbeat = start_heartbeat
        self.drop_connection = drop_connection


class Connection:
    """A WebSocket with an outgoing queue drained by one sender task.

    The queue holds at most :data:`MAX_QUEUED_BYTES`; a client that falls further behind
    is dropped (no close frame: the queue is full), as a broken network would drop it.
    """

    def __init__(self, websocket: WebSocket, hooks: SocketHooks) -> None:
        self.websocket = websocket
        self.hooks = hooks
        self.closing = False
        self.queued_bytes = 0
        self._out, self._in = anyio.create_memory_object_stream[bytes | tuple[int, str]](math.inf)

    def send_bytes(self, data: bytes) -> None:
        """Queue one binary frame (never blocks)."""
        if self.closing:
            return
        if self.queued_bytes + len(data) > MAX_QUEUED_BYTES:
            logger.warning(
                "WebSocket client is not reading (%d bytes unsent); dropping the connection",
                self.queued_bytes,
            )
            self.closing = True
            self.hooks.drop_connection(self.websocket.scope)
            return
        self.queued_bytes += len(data)
        self._out.send_nowait(data)

    def close(self, code: int, reason: str) -> None:
        """Queue a close frame; nothing is sent after it."""
        if not self.closing:
            self.closing = True
            self._out.send_nowait((code, reason))

    def decode(self, data: bytes, message_class: type[M]) -> M | None:
        """``data`` as a protobuf message; None (the socket closes with 1011) if it is not one.

        In Jellyfish the socket process crashes on such a frame (§5, §6.2).
        """
        try:
            return message_class.FromString(data)
        except DecodeError:
            logger.error("WebSocket received a frame that is not a %s", message_class.__name__)
            self.close(1011, "")
            return None

    def start_heartbeat(self) -> None:
        """Start WebSocket pings (Jellyfish pings only after auth)."""
        self.hooks.start_heartbeat(self.websocket.scope)

    async def _sender(self) -> None:
        try:
            async for item in self._in:
                if isinstance(item, bytes):
                    await self.websocket.send_bytes(item)
                    self.queued_bytes -= len(item)
                else:
                    await self.websocket.close(item[0], item[1])
                    return
        except Exception as error:  # the client is gone; the receiver sees the disconnect
            logger.debug("WebSocket send failed: %r", error)

    async def serve(self) -> None:
        """Accept, then hand every frame to :meth:`on_frame` until the client goes."""
        await self.websocket.accept()
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._sender)
                try:
                    while True:
                        message = await self.websocket.receive()
                        if message["type"] == "websocket.disconnect":
                            break
                        if not self.closing:
                            self.on_frame(message.get("bytes"), message.get("text"))
                finally:
                    tg.cancel_scope.cancel()
        finally:
            self._out.close()
            self._in.close()
            self.on_closed()

    def on_frame(self, data: bytes | None, text: str | None) -> None:
        """One frame from the client (binary ``data`` or ``text``)."""
        raise NotImplementedError

    def on_closed(self) -> None:
        """The connection is over."""
        raise NotImplementedError
