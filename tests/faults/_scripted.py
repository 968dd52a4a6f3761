"""A Jellyfish stand-in that plays a script per connection, byte for byte (threads).

Where the emulator is too correct: an upgrade answer with a wrong ``Sec-WebSocket-Accept``,
a 101 without ``Upgrade``, bytes that are not HTTP, an extension or subprotocol nobody
asked for, a server that never acknowledges, a header announcing more than ``max_size``.
Connection ``n`` plays ``scripts[n - 1]`` (the last one for every later connection). The
client's frames are read with wsproto's server-side connection; the answer is built by
hand so that a script can break it.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

from wsproto import ConnectionType
from wsproto.connection import Connection
from wsproto.events import BytesMessage, CloseConnection, Ping
from wsproto.utilities import generate_accept_token

from jellyfish.events import ServerMessage as S

WAIT = 15.0
AUTHENTICATED = S(authenticated=S.Authenticated()).SerializeToString()


def acknowledgement(kind: int) -> bytes:
    return S(subscribe_response=S.SubscribeResponse(event_type=kind)).SerializeToString()


class Peer:
    """The server's end of one connection, for a script."""

    def __init__(self, sock: socket.socket, number: int) -> None:
        self.sock = sock
        self.number = number
        self.ws = Connection(ConnectionType.SERVER)
        self.received: list[Any] = []

    # -- the upgrade ---------------------------------------------------------------------

    def read_request(self) -> dict[str, str]:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("the client left during the upgrade")
            head += chunk
        head, _, rest = head.partition(b"\r\n\r\n")
        assert not rest, "the client sent data before the upgrade was answered"
        lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return headers

    def upgrade(self, edit: Callable[[bytes], bytes] = lambda head: head) -> None:
        """Answer the upgrade request (``edit`` may break the answer's head)."""
        key = self.read_request()["sec-websocket-key"]
        head = (
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: " + generate_accept_token(key.encode()) + b"\r\n\r\n"
        )
        self.sock.sendall(edit(head))

    # -- frames ----------------------------------------------------------------------------

    def send(self, *messages: bytes) -> None:
        self.sock.sendall(b"".join(self.ws.send(BytesMessage(data=m)) for m in messages))

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def close(self, code: int, reason: str = "") -> None:
        self.sock.sendall(self.ws.send(CloseConnection(code=code, reason=reason)))

    def expect(self, case: str) -> S:
        """The next binary message from the client, which must be ``case``."""
        while True:
            for event in self.ws.events():
                if isinstance(event, BytesMessage):
                    message = S.FromString(bytes(event.data))
                    assert message.WhichOneof("content") == case, message
                    return message
                if isinstance(event, Ping):
                    self.sock.sendall(self.ws.send(event.response()))
                self.received.append(event)
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError(f"the client left while the server expected {case!r}")
            self.ws.receive_data(data)

    def handshake(self) -> None:
        """Upgrade, authenticate, acknowledge the subscription."""
        self.upgrade()
        self.authenticate()
        kind = self.expect("subscribe_request").subscribe_request.event_type
        self.send(acknowledgement(kind))

    def authenticate(self) -> None:
        assert self.expect("auth_request").auth_request.token == "development"
        self.send(AUTHENTICATED)

    def linger(self) -> None:
        """Keep the connection open (answering pings) until the client closes it."""
        with contextlib.suppress(OSError):
            while data := self.sock.recv(65536):
                self.ws.receive_data(data)
                for event in self.ws.events():
                    if isinstance(event, Ping):
                        self.sock.sendall(self.ws.send(event.response()))
                    self.received.append(event)


Script = Callable[[Peer], None]


class ScriptedServer:
    """``with ScriptedServer(script1, script2) as server:`` then connect to ``server.address``."""

    def __init__(self, *scripts: Script) -> None:
        assert scripts
        self.scripts = scripts
        self.connections = 0
        self.errors: list[BaseException] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []
        self.port = self._listener.getsockname()[1]

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def __enter__(self) -> ScriptedServer:
        thread = threading.Thread(target=self._accept, name="fault-scripted-accept")
        self._threads.append(thread)
        thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()
        for sock in list(self._sockets):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(WAIT)
            assert not thread.is_alive(), f"{thread.name} did not stop"
        self._listener.close()

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            self.connections += 1
            sock.settimeout(WAIT)
            self._sockets.append(sock)
            script = self.scripts[min(self.connections, len(self.scripts)) - 1]
            thread = threading.Thread(
                target=self._play,
                args=(script, Peer(sock, self.connections)),
                name=f"fault-scripted-{self.connections}",
            )
            self._threads.append(thread)
            thread.start()

    def _play(self, script: Script, peer: Peer) -> None:
        try:
            script(peer)
        except (ConnectionError, OSError):
            pass  # the client went away: that is what many scripts provoke
        except BaseException as error:  # a broken script: the test reports it
            self.errors.append(error)
        finally:
            with contextlib.suppress(OSError):
                peer.sock.close()


def frames(*messages: bytes) -> Iterator[bytes]:
    server = Connection(ConnectionType.SERVER)
    for message in messages:
        yield server.send(BytesMessage(data=message))
