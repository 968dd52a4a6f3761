"""A fake WebRTC peer: connects over the peer WebSocket the way a browser client does."""

from __future__ import annotations

import contextlib
import json
import queue
import socket
import struct
import threading
import uuid
from typing import Any

import websocket

from jellyfish.events._protos.jellyfish.peer_notifications_pb2 import PeerMessage

_PATH = "/socket/peer/websocket"


def _normalise(url: str) -> str:
    if url.startswith(("http://", "https://")):
        url = "ws" + url[len("http") :]
    if not url.startswith(("ws://", "wss://")):
        url = "ws://" + url
    scheme, rest = url.split("://", 1)
    if "/" not in rest:
        rest += _PATH
    return f"{scheme}://{rest}"


class PeerMediaEvents:
    """The RTC engine's media events a browser client sends, over ``send_media_event``."""

    def send_media_event(self, event: dict[str, Any] | str) -> None:
        """Send ``media_event{data}``; a dict is JSON-encoded."""
        raise NotImplementedError

    def receive_media_event(self, timeout: float | None = None) -> dict[str, Any]:
        """The next media event from the server, decoded from JSON."""
        raise NotImplementedError

    def connect(self, metadata: Any = None) -> dict[str, Any]:
        """Send the RTC engine ``connect`` event with ``metadata``; return the ``connected`` reply.

        The server emits ``PeerMetadataUpdated`` with the metadata.
        """
        self.send_media_event({"type": "connect", "data": {"metadata": metadata}})
        while True:
            event = self.receive_media_event()
            if event.get("type") == "connected":
                return event

    def update_metadata(self, metadata: Any) -> None:
        """Send ``updateEndpointMetadata`` (``PeerMetadataUpdated`` follows)."""
        self.send_media_event({"type": "updateEndpointMetadata", "data": {"metadata": metadata}})


class FakePeer(PeerMediaEvents):
    """A peer connected over ``/socket/peer/websocket`` (blocking; websocket-client).

    ``FakePeer(url, token)`` connects, sends ``auth_request{token}`` and waits until the
    server answers ``Authenticated`` or closes the socket; check :attr:`authenticated`,
    :attr:`close_code` and :attr:`close_reason`. ``url`` may be the ``peer_websocket_url``
    from add-peer (``host:port/socket/peer/websocket``), a bare ``host:port`` or a ws:// URL.
    From async code, create and use it through ``anyio.to_thread.run_sync``.
    """

    def __init__(
        self, url: str, token: str | None, *, timeout: float = 5.0, authenticate: bool = True
    ) -> None:
        self.url = _normalise(url)
        self.timeout = timeout
        self.close_code: int | None = None
        self.close_reason: str | None = None
        self._authenticated = threading.Event()
        self._closed = threading.Event()
        self._settled = threading.Event()  # authenticated or closed
        self._media_events: queue.Queue[str] = queue.Queue()
        self._ws = websocket.create_connection(self.url, timeout=timeout)
        self._ws.settimeout(None)
        self._reader = threading.Thread(target=self._read, name="FakePeer reader", daemon=True)
        self._reader.start()
        if authenticate and token is not None:
            self.send(PeerMessage(auth_request=PeerMessage.AuthRequest(token=token)))
            self.wait_authenticated()

    # --- state ---------------------------------------------------------------------------

    @property
    def authenticated(self) -> bool:
        """True once the server answered ``Authenticated``."""
        return self._authenticated.is_set()

    @property
    def closed(self) -> bool:
        """True once the connection is closed (by either side, or dropped)."""
        return self._closed.is_set()

    def wait_authenticated(self, timeout: float | None = None) -> bool:
        """Wait for ``Authenticated`` or a close; True if authenticated."""
        self._settled.wait(self.timeout if timeout is None else timeout)
        return self._authenticated.is_set()

    def wait_closed(self, timeout: float | None = None) -> tuple[int | None, str | None]:
        """Wait until the server closes the socket; ``(code, reason)``.

        Raises ``TimeoutError`` if it stays open.
        """
        if not self._closed.wait(self.timeout if timeout is None else timeout):
            raise TimeoutError("the peer socket is still open")
        return self.close_code, self.close_reason

    # --- sending -------------------------------------------------------------------------

    def send(self, message: PeerMessage) -> None:
        """Send one ``PeerMessage`` as a binary frame."""
        self.send_bytes(message.SerializeToString())

    def send_bytes(self, data: bytes) -> None:
        """Send a raw binary frame."""
        self._ws.send_binary(data)

    def send_text(self, text: str) -> None:
        """Send a text frame (the server ignores them after auth)."""
        self._ws.send(text)

    def send_media_event(self, event: dict[str, Any] | str) -> None:
        """Send ``media_event{data}``; a dict is JSON-encoded."""
        data = event if isinstance(event, str) else json.dumps(event)
        self.send(PeerMessage(media_event=PeerMessage.MediaEvent(data=data)))

    def receive_media_event(self, timeout: float | None = None) -> dict[str, Any]:
        """The next media event from the server, decoded from JSON."""
        try:
            data = self._media_events.get(timeout=self.timeout if timeout is None else timeout)
        except queue.Empty:
            raise TimeoutError("no media event arrived") from None
        decoded: dict[str, Any] = json.loads(data)
        return decoded

    # --- closing -------------------------------------------------------------------------

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the socket (the server emits ``PeerDisconnected``) and join the reader."""
        if not self._closed.is_set():
            with contextlib.suppress(websocket.WebSocketException, OSError):
                self._ws.send_close(code, reason.encode())
            self._closed.wait(self.timeout)
        self._shutdown()

    def kill(self) -> None:
        """Drop the TCP connection without a close frame."""
        self._shutdown()

    def _shutdown(self) -> None:
        sock = self._ws.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # wakes the reader; sends FIN
        with contextlib.suppress(websocket.WebSocketException, OSError):
            self._ws.shutdown()  # type: ignore[no-untyped-call]
        self._reader.join(self.timeout)

    def _read(self) -> None:
        try:
            while True:
                opcode, data = self._ws.recv_data(control_frame=True)
                if opcode == websocket.ABNF.OPCODE_CLOSE:
                    if len(data) >= 2:
                        self.close_code = struct.unpack("!H", data[:2])[0]
                        self.close_reason = data[2:].decode("utf-8", "replace")
                    else:
                        self.close_code, self.close_reason = 1005, ""
                    return
                if opcode != websocket.ABNF.OPCODE_BINARY:
                    continue
                message = PeerMessage.FromString(data)
                kind = message.WhichOneof("content")
                if kind == "authenticated":
                    self._authenticated.set()
                    self._settled.set()
                elif kind == "media_event":
                    self._media_events.put(message.media_event.data)
        except Exception:
            if self.close_code is None:
                self.close_code, self.close_reason = 1006, ""
        finally:
            self._closed.set()
            self._settled.set()
            with contextlib.suppress(Exception):
                self._ws.close(timeout=0)
            with contextlib.suppress(Exception):
                self._ws.shutdown()  # type: ignore[no-untyped-call]

    def __enter__(self) -> FakePeer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class FakePeerRegistry:
    """Fake peers a node runs for its control API (``fake_peer_*`` operations), by id.

    Each is a :class:`FakePeer` connected to the node's own peer WebSocket, so it goes
    through exactly what a browser's connection goes through. Thread-safe.
    """

    def __init__(self) -> None:
        self._peers: dict[str, FakePeer] = {}
        self._lock = threading.Lock()

    def open(self, url: str, token: str, timeout: float) -> tuple[str, FakePeer]:
        """Connect and authenticate a new fake peer; ``(id, peer)``."""
        peer = FakePeer(url, token, timeout=timeout)
        fake_peer_id = f"fake-{uuid.uuid4()}"
        with self._lock:
            self._peers[fake_peer_id] = peer
        return fake_peer_id, peer

    def get(self, fake_peer_id: str) -> FakePeer:
        """The fake peer with that id; ``KeyError`` if there is none."""
        with self._lock:
            return self._peers[fake_peer_id]

    def forget(self, fake_peer_id: str) -> FakePeer:
        """Remove a fake peer from the registry (the caller closes it)."""
        with self._lock:
            return self._peers.pop(fake_peer_id)

    def close_all(self) -> None:
        """Drop every fake peer's connection (the node is stopping)."""
        with self._lock:
            peers, self._peers = list(self._peers.values()), {}
        for peer in peers:
            peer.kill()
