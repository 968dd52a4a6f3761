"""Connections to Redis: an anyio one (asyncio and trio) and a blocking one (sockets).

Both are thin shells around :class:`jellyfish.redis._resp.Conversation`: they open the
connection, log in, send the bytes it gives and feed it what they read. A command runs
under a deadline; when it fails half-way (timeout, cancellation, a broken socket) the
connection is dropped, never reused.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from collections.abc import Sequence
from typing import Any

import anyio
import anyio.abc

from jellyfish.redis._errors import ReplyError
from jellyfish.redis._resp import NEED_DATA, Arg, Conversation, RedisAddress, Script, checked

__all__ = ["DEFAULT_TIMEOUT", "AsyncConnection", "BlockingConnection"]

DEFAULT_TIMEOUT = 10.0
"""Seconds a connect or a command may take (a blocking read adds its own block time)."""

_READ_SIZE = 65536
_STREAM_FAILURES = (OSError, anyio.BrokenResourceError, anyio.ClosedResourceError)
"""What a stream raises when it fails (``TimeoutError``, from ``fail_after``, included)."""


def _tls_context(address: RedisAddress, context: ssl.SSLContext | None) -> ssl.SSLContext | None:
    if not address.tls:
        return None
    return context or ssl.create_default_context()


class AsyncConnection:
    """One connection to Redis on anyio: commands run one at a time, in order.

    Open with :meth:`open`; use ``async with`` or :meth:`aclose`.
    """

    def __init__(self, stream: anyio.abc.ByteStream, address: RedisAddress) -> None:
        self._stream = stream
        self._conversation = Conversation(address)
        self._lock = anyio.Lock()

    def __repr__(self) -> str:
        return f"AsyncConnection({self._conversation!r})"

    @classmethod
    async def open(
        cls,
        address: RedisAddress,
        *,
        timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109
        client_name: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> AsyncConnection:
        """Connect and log in (``AUTH``, ``SELECT``, ``CLIENT SETNAME``).

        Raises:
            RedisConnectionError: refused, unreachable, or the login failed.
            RedisTimeoutError: not done within ``timeout`` seconds.
        """
        stream: anyio.abc.ByteStream
        try:
            with anyio.fail_after(timeout):
                if address.unix_path is not None:
                    stream = await anyio.connect_unix(address.unix_path)
                else:
                    context = _tls_context(address, ssl_context)
                    if context is not None:
                        stream = await anyio.connect_tcp(
                            address.host, address.port, ssl_context=context
                        )
                    else:
                        stream = await anyio.connect_tcp(address.host, address.port)
        except OSError as error:  # TimeoutError included
            raise address.connect_failed(error) from None
        connection = cls(stream, address)
        try:
            replies = await connection.pipeline(address.handshake(client_name), timeout)
            connection._conversation.logged_in(replies)
        except BaseException:
            await connection.aclose()
            raise
        return connection

    @property
    def broken(self) -> bool:
        """True once a command failed half-way or the connection was closed."""
        return self._conversation.broken

    async def execute(self, *args: Arg, timeout: float = DEFAULT_TIMEOUT) -> Any:  # noqa: ASYNC109
        """Run one command; its reply.

        Raises:
            ReplyError: Redis answered with an error (the connection stays usable).
            RedisConnectionError, RedisTimeoutError: the connection is dropped.
        """
        (reply,) = await self._round_trip([args], timeout)
        return checked(reply)

    async def pipeline(
        self,
        commands: Sequence[Sequence[Arg]],
        timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109
    ) -> list[Any]:
        """Send several commands at once; their replies, error replies as values."""
        return await self._round_trip(commands, timeout) if commands else []

    async def run_script(
        self,
        script: Script,
        keys: Sequence[Arg],
        args: Sequence[Arg],
        timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109
    ) -> Any:
        """``EVALSHA``, or ``EVAL`` when Redis does not have the script (yet, or any more)."""
        try:
            return await self.execute(*script.evalsha(keys, args), timeout=timeout)
        except ReplyError as error:
            if not script.not_loaded(error):
                raise
        return await self.execute(*script.eval(keys, args), timeout=timeout)

    async def aclose(self) -> None:
        """Close the connection (a command in flight fails)."""
        self._conversation.broken = True
        with (
            anyio.CancelScope(shield=True),
            anyio.move_on_after(1.0),
            contextlib.suppress(Exception),
        ):
            await self._stream.aclose()

    async def __aenter__(self) -> AsyncConnection:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def _round_trip(self, commands: Sequence[Sequence[Arg]], timeout: float) -> list[Any]:  # noqa: ASYNC109
        conversation = self._conversation
        async with self._lock:
            payload = conversation.request(commands)
            try:
                with anyio.fail_after(timeout):
                    await self._stream.send(payload)
                    return [await self._read_reply() for _ in commands]
            except BaseException as error:  # the conversation's state is unknown: drop it
                await self.aclose()
                if isinstance(error, _STREAM_FAILURES):
                    raise conversation.failed(error, timeout) from None
                raise

    async def _read_reply(self) -> Any:
        conversation = self._conversation
        while (reply := conversation.next_reply()) is NEED_DATA:
            try:
                data = await self._stream.receive(_READ_SIZE)
            except anyio.EndOfStream:
                data = b""
            conversation.receive(data)
        return reply


class BlockingConnection:
    """One connection to Redis over a socket: commands run one at a time, in order.

    Thread-safe; :meth:`close` from another thread interrupts a command in flight (which
    then raises :class:`RedisConnectionError`).
    """

    def __init__(self, sock: socket.socket, address: RedisAddress) -> None:
        self._socket = sock
        self._conversation = Conversation(address)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"BlockingConnection({self._conversation!r})"

    @classmethod
    def open(
        cls,
        address: RedisAddress,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        client_name: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> BlockingConnection:
        """Connect and log in; raises like :meth:`AsyncConnection.open`."""
        sock: socket.socket
        try:
            if address.unix_path is not None:
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                try:
                    sock.settimeout(timeout)
                    sock.connect(address.unix_path)
                except BaseException:
                    sock.close()
                    raise
            else:
                sock = socket.create_connection((address.host, address.port), timeout=timeout)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                context = _tls_context(address, ssl_context)
                if context is not None:
                    sock = context.wrap_socket(sock, server_hostname=address.host)
        except OSError as error:  # TimeoutError included
            raise address.connect_failed(error) from None
        connection = cls(sock, address)
        try:
            replies = connection.pipeline(address.handshake(client_name), timeout)
            connection._conversation.logged_in(replies)
        except BaseException:
            connection.close()
            raise
        return connection

    @property
    def broken(self) -> bool:
        """True once a command failed half-way or the connection was closed."""
        return self._conversation.broken

    def execute(self, *args: Arg, timeout: float = DEFAULT_TIMEOUT) -> Any:
        """Run one command; raises like :meth:`AsyncConnection.execute`."""
        (reply,) = self._round_trip([args], timeout)
        return checked(reply)

    def pipeline(
        self, commands: Sequence[Sequence[Arg]], timeout: float = DEFAULT_TIMEOUT
    ) -> list[Any]:
        """Send several commands at once; their replies, error replies as values."""
        return self._round_trip(commands, timeout) if commands else []

    def run_script(
        self,
        script: Script,
        keys: Sequence[Arg],
        args: Sequence[Arg],
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Any:
        """``EVALSHA``, or ``EVAL`` when Redis does not have the script."""
        try:
            return self.execute(*script.evalsha(keys, args), timeout=timeout)
        except ReplyError as error:
            if not script.not_loaded(error):
                raise
        return self.execute(*script.eval(keys, args), timeout=timeout)

    def close(self) -> None:
        """Close the connection; a command in flight in another thread fails at once."""
        self._conversation.broken = True
        with contextlib.suppress(OSError):
            self._socket.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            self._socket.close()

    def __enter__(self) -> BlockingConnection:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _round_trip(self, commands: Sequence[Sequence[Arg]], timeout: float) -> list[Any]:
        conversation = self._conversation
        with self._lock:
            payload = conversation.request(commands)
            deadline = time.monotonic() + timeout  # for the whole command, as fail_after
            try:
                self._socket.settimeout(timeout)
                self._socket.sendall(payload)  # the timeout bounds the whole sendall
                return [self._read_reply(deadline) for _ in commands]
            except BaseException as error:  # the conversation's state is unknown: drop it
                self.close()
                if isinstance(error, OSError):  # TimeoutError included
                    raise conversation.failed(error, timeout) from None
                raise

    def _read_reply(self, deadline: float) -> Any:
        conversation = self._conversation
        while (reply := conversation.next_reply()) is NEED_DATA:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            self._socket.settimeout(remaining)  # recv's timeout is per call
            conversation.receive(self._socket.recv(_READ_SIZE))
        return reply
