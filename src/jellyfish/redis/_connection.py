"""Connections to Redis: an anyio one (asyncio and trio) and a blocking one (sockets).

Both are thin shells around :mod:`jellyfish.redis._resp`: they open the connection, log in,
send encoded commands and feed what they read to the reply parser. A command runs under a
deadline; when it fails half-way (timeout, cancellation, a broken socket) the connection is
dropped, never reused: what Redis did with that command is unknown, and the next reply
read from it would belong to the wrong command.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from collections.abc import Sequence
from typing import Any

import anyio
import anyio.abc

from jellyfish.redis._errors import (
    RedisConnectionError,
    RedisError,
    RedisTimeoutError,
    ReplyError,
)
from jellyfish.redis._resp import NEED_DATA, Arg, RedisAddress, ReplyParser, Script, encode_command

__all__ = ["DEFAULT_TIMEOUT", "AsyncConnection", "BlockingConnection"]

DEFAULT_TIMEOUT = 10.0
"""Seconds a connect or a command may take (a blocking read adds its own block time)."""

_READ_SIZE = 65536


def _raise_error(reply: Any) -> Any:
    if isinstance(reply, ReplyError):
        raise reply
    return reply


def _encode_all(commands: Sequence[Sequence[Arg]]) -> bytes:
    return b"".join(encode_command(command) for command in commands)


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
        self._address = address
        self._parser = ReplyParser()
        self._lock = anyio.Lock()
        self._broken = False

    def __repr__(self) -> str:
        state = "broken" if self._broken else "open"
        return f"AsyncConnection({self._address.url!r}, {state})"

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
        except TimeoutError:
            raise RedisTimeoutError(f"connecting to {address.url} timed out") from None
        except OSError as error:
            raise RedisConnectionError(f"cannot connect to {address.url}: {error}") from None
        connection = cls(stream, address)
        try:
            for reply in await connection.pipeline(address.handshake(client_name), timeout):
                if isinstance(reply, ReplyError):
                    raise RedisConnectionError(f"{address.url} refused the login: {reply}")
        except BaseException:
            await connection.aclose()
            raise
        return connection

    @property
    def broken(self) -> bool:
        """True once a command failed half-way or the connection was closed."""
        return self._broken

    async def execute(self, *args: Arg, timeout: float = DEFAULT_TIMEOUT) -> Any:  # noqa: ASYNC109
        """Run one command; its reply.

        Raises:
            ReplyError: Redis answered with an error (the connection stays usable).
            RedisConnectionError, RedisTimeoutError: the connection is dropped.
        """
        (reply,) = await self._round_trip(encode_command(args), 1, timeout)
        return _raise_error(reply)

    async def pipeline(
        self,
        commands: Sequence[Sequence[Arg]],
        timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109
    ) -> list[Any]:
        """Send several commands at once; their replies, error replies as values."""
        if not commands:
            return []
        return await self._round_trip(_encode_all(commands), len(commands), timeout)

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
            if error.code != "NOSCRIPT":
                raise
        return await self.execute(*script.eval(keys, args), timeout=timeout)

    async def aclose(self) -> None:
        """Close the connection (a command in flight fails)."""
        self._broken = True
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

    async def _round_trip(self, payload: bytes, count: int, timeout: float) -> list[Any]:  # noqa: ASYNC109
        async with self._lock:
            if self._broken:
                raise RedisConnectionError(f"the connection to {self._address.url} is closed")
            done = False
            try:
                with anyio.fail_after(timeout):
                    await self._stream.send(payload)
                    replies = [await self._read_reply() for _ in range(count)]
                done = True
                return replies
            except RedisError:
                raise
            except TimeoutError:
                raise RedisTimeoutError(
                    f"{self._address.url} did not answer within {timeout} s"
                ) from None
            except (OSError, anyio.BrokenResourceError, anyio.ClosedResourceError) as error:
                raise RedisConnectionError(
                    f"the connection to {self._address.url} broke: {error!r}"
                ) from None
            except anyio.EndOfStream:
                raise RedisConnectionError(f"{self._address.url} closed the connection") from None
            finally:
                if not done:  # the state of the conversation is unknown: never reuse it
                    await self.aclose()

    async def _read_reply(self) -> Any:
        parser = self._parser
        while True:
            try:
                reply = parser.next_reply()
            except ValueError as error:
                raise RedisConnectionError(f"not a Redis reply: {error}") from None
            if reply is not NEED_DATA:
                return reply
            parser.feed(await self._stream.receive(_READ_SIZE))


class BlockingConnection:
    """One connection to Redis over a socket: commands run one at a time, in order.

    Thread-safe; :meth:`close` from another thread interrupts a command in flight (which
    then raises :class:`RedisConnectionError`).
    """

    def __init__(self, sock: socket.socket, address: RedisAddress) -> None:
        self._socket = sock
        self._address = address
        self._parser = ReplyParser()
        self._lock = threading.Lock()
        self._broken = False

    def __repr__(self) -> str:
        state = "broken" if self._broken else "open"
        return f"BlockingConnection({self._address.url!r}, {state})"

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
        except TimeoutError:
            raise RedisTimeoutError(f"connecting to {address.url} timed out") from None
        except OSError as error:
            raise RedisConnectionError(f"cannot connect to {address.url}: {error}") from None
        connection = cls(sock, address)
        try:
            for reply in connection.pipeline(address.handshake(client_name), timeout):
                if isinstance(reply, ReplyError):
                    raise RedisConnectionError(f"{address.url} refused the login: {reply}")
        except BaseException:
            connection.close()
            raise
        return connection

    @property
    def broken(self) -> bool:
        """True once a command failed half-way or the connection was closed."""
        return self._broken

    def execute(self, *args: Arg, timeout: float = DEFAULT_TIMEOUT) -> Any:
        """Run one command; raises like :meth:`AsyncConnection.execute`."""
        (reply,) = self._round_trip(encode_command(args), 1, timeout)
        return _raise_error(reply)

    def pipeline(
        self, commands: Sequence[Sequence[Arg]], timeout: float = DEFAULT_TIMEOUT
    ) -> list[Any]:
        """Send several commands at once; their replies, error replies as values."""
        if not commands:
            return []
        return self._round_trip(_encode_all(commands), len(commands), timeout)

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
            if error.code != "NOSCRIPT":
                raise
        return self.execute(*script.eval(keys, args), timeout=timeout)

    def close(self) -> None:
        """Close the connection; a command in flight in another thread fails at once."""
        self._broken = True
        with contextlib.suppress(OSError):
            self._socket.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            self._socket.close()

    def __enter__(self) -> BlockingConnection:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _round_trip(self, payload: bytes, count: int, timeout: float) -> list[Any]:
        with self._lock:
            if self._broken:
                raise RedisConnectionError(f"the connection to {self._address.url} is closed")
            done = False
            try:
                self._socket.settimeout(timeout)
                self._socket.sendall(payload)
                replies = [self._read_reply() for _ in range(count)]
                done = True
                return replies
            except RedisError:
                raise
            except TimeoutError:
                raise RedisTimeoutError(
                    f"{self._address.url} did not answer within {timeout} s"
                ) from None
            except OSError as error:
                raise RedisConnectionError(
                    f"the connection to {self._address.url} broke: {error!r}"
                ) from None
            finally:
                if not done:
                    self.close()

    def _read_reply(self) -> Any:
        parser = self._parser
        while True:
            try:
                reply = parser.next_reply()
            except ValueError as error:
                raise RedisConnectionError(f"not a Redis reply: {error}") from None
            if reply is not NEED_DATA:
                return reply
            data = self._socket.recv(_READ_SIZE)
            if not data:
                raise RedisConnectionError(f"{self._address.url} closed the connection")
            parser.feed(data)
