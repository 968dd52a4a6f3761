"""RESP2, the Redis protocol, without I/O: commands to bytes, bytes to replies, URLs.

Both connection shells (blocking sockets and anyio streams) use this module and only move
bytes: a :class:`Conversation` holds a connection's state and makes every decision (what
to send, what a reply is, which error a failure becomes).

Replies are decoded the way the wire says: simple strings as ``str``, bulk strings as
``bytes`` (``None`` for a nil), integers as ``int``, arrays as ``list`` (``None`` for a nil
array), and error replies as :class:`ReplyError` *values* (the shells raise them), so that
one reply of a pipeline failing does not hide the others.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import unquote, urlsplit

from jellyfish.redis._errors import (
    RedisConnectionError,
    RedisError,
    RedisTimeoutError,
    ReplyError,
)

__all__ = [
    "NEED_DATA",
    "Conversation",
    "RedisAddress",
    "ReplyParser",
    "Script",
    "encode_command",
]

Arg = bytes | str | int | float


class _NeedData:
    __slots__ = ()

    def __repr__(self) -> str:
        return "NEED_DATA"


NEED_DATA: Final = _NeedData()
"""What :meth:`ReplyParser.next_reply` returns while a reply is incomplete."""


def _arg(value: Arg) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, bool):  # an int subclass, but "True" is not what Redis expects
        raise TypeError("pass 0/1 or a string to Redis, not a bool")
    if isinstance(value, int | float):
        return repr(value).encode()
    raise TypeError(f"a Redis argument must be bytes, str, int or float, not {type(value)!r}")


def encode_command(args: Sequence[Arg]) -> bytes:
    """One command as a RESP array of bulk strings."""
    parts = [b"*%d\r\n" % len(args)]
    for value in args:
        data = _arg(value)
        parts.append(b"$%d\r\n" % len(data))
        parts.append(data)
        parts.append(b"\r\n")
    return b"".join(parts)


class _Incomplete(Exception):
    pass


class ReplyParser:
    """Feed it bytes, take replies out in order."""

    __slots__ = ("_buffer", "_position")

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._position = 0

    def feed(self, data: bytes) -> None:
        """Add bytes read from the connection."""
        if self._position:
            del self._buffer[: self._position]
            self._position = 0
        self._buffer += data

    def next_reply(self) -> Any:
        """The next complete reply, or :data:`NEED_DATA`.

        Raises:
            ValueError: the bytes are not RESP (the connection must be dropped).
        """
        start = self._position
        try:
            return self._parse()
        except _Incomplete:
            self._position = start
            return NEED_DATA

    def _line(self) -> bytes:
        end = self._buffer.find(b"\r\n", self._position)
        if end < 0:
            raise _Incomplete
        line = bytes(self._buffer[self._position : end])
        self._position = end + 2
        return line

    def _parse(self) -> Any:
        line = self._line()
        if not line:
            raise ValueError("an empty RESP line")
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode("utf-8", "replace")
        if kind == b"-":
            return ReplyError(rest.decode("utf-8", "replace"))
        if kind == b":":
            return int(rest)
        if kind == b"$":
            length = int(rest)
            if length < 0:
                return None
            end = self._position + length
            if len(self._buffer) < end + 2:
                raise _Incomplete
            data = bytes(self._buffer[self._position : end])
            self._position = end + 2
            return data
        if kind == b"*":
            count = int(rest)
            if count < 0:
                return None
            return [self._parse() for _ in range(count)]
        raise ValueError(f"not a RESP reply: {line[:40]!r}")


class Script:
    """A Lua script run with ``EVALSHA`` (``EVAL`` once Redis answers ``NOSCRIPT``)."""

    __slots__ = ("sha", "source")

    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()

    def evalsha(self, keys: Sequence[Arg], args: Sequence[Arg]) -> list[Arg]:
        """The ``EVALSHA`` command (Redis keeps scripts until it restarts)."""
        return ["EVALSHA", self.sha, len(keys), *keys, *args]

    def eval(self, keys: Sequence[Arg], args: Sequence[Arg]) -> list[Arg]:
        """The ``EVAL`` command, which also loads the script."""
        return ["EVAL", self.source, len(keys), *keys, *args]

    @staticmethod
    def not_loaded(error: ReplyError) -> bool:
        """Whether ``EVALSHA`` failed because Redis does not hold the script (then ``EVAL``)."""
        return error.code == "NOSCRIPT"


@dataclass(frozen=True)
class RedisAddress:
    """Where a Redis is and how to log in, from a ``redis://`` URL.

    ``redis://[[user]:password@]host[:port][/db]``, ``rediss://`` for TLS,
    ``unix:///path/to/socket[?db=N]``. The password never shows in ``repr``.
    """

    host: str = "localhost"
    port: int = 6379
    db: int = 0
    username: str | None = None
    password: str | None = None
    tls: bool = False
    unix_path: str | None = None

    @classmethod
    def from_url(cls, url: str) -> RedisAddress:
        """Parse a URL; ``ValueError`` says what is wrong with it."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("redis", "rediss", "unix"):
            raise ValueError(
                f"a Redis URL starts with redis://, rediss:// or unix://, got {url.split(':')[0]!r}"
            )
        query = dict(p.split("=", 1) for p in parts.query.split("&") if "=" in p)
        username = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password is not None else None
        try:
            if scheme == "unix":
                if not parts.path:
                    raise ValueError("unix:// needs a socket path")
                return cls(
                    db=int(query.get("db", "0")),
                    username=username,
                    password=password,
                    unix_path=parts.path,
                )
            db = int(parts.path.lstrip("/") or query.get("db", "0"))
            port = parts.port or 6379
        except ValueError as error:
            raise ValueError(f"invalid Redis URL: {error}") from None
        return cls(
            host=parts.hostname or "localhost",
            port=port,
            db=db,
            username=username,
            password=password,
            tls=scheme == "rediss",
        )

    def __repr__(self) -> str:
        return f"RedisAddress({self.url!r})"

    @property
    def url(self) -> str:
        """The URL without the password."""
        user = f"{self.username or ''}:***@" if self.password is not None else ""
        if self.unix_path is not None:
            return f"unix://{user}{self.unix_path}" + (f"?db={self.db}" if self.db else "")
        scheme = "rediss" if self.tls else "redis"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{user}{host}:{self.port}" + (f"/{self.db}" if self.db else "")

    def handshake(self, client_name: str | None = None) -> list[list[Arg]]:
        """The commands that follow connecting: ``AUTH``, ``SELECT``, ``CLIENT SETNAME``."""
        commands: list[list[Arg]] = []
        if self.password is not None:
            if self.username:
                commands.append(["AUTH", self.username, self.password])
            else:
                commands.append(["AUTH", self.password])
        if self.db:
            commands.append(["SELECT", self.db])
        if client_name:
            commands.append(["CLIENT", "SETNAME", client_name])
        return commands

    def connect_failed(self, error: OSError) -> RedisError:
        """The error for a connect that failed with ``error`` (a ``TimeoutError`` included)."""
        if isinstance(error, TimeoutError):
            return RedisTimeoutError(f"connecting to {self.url} timed out")
        return RedisConnectionError(f"cannot connect to {self.url}: {error}")


class Conversation:
    """One connection's state without I/O: what to send, the replies, what failures mean.

    A shell sends :meth:`request`'s bytes, feeds what it reads to :meth:`receive` while
    :meth:`next_reply` says :data:`NEED_DATA`, and raises what :meth:`failed` makes of a
    failed read or write. A failure half-way (timeout, cancellation, a broken socket)
    ends the conversation for good: what Redis did with the command is unknown, and the
    next reply read would belong to the wrong command.
    """

    __slots__ = ("_parser", "address", "broken")

    def __init__(self, address: RedisAddress) -> None:
        self.address = address
        self.broken = False
        self._parser = ReplyParser()

    def __repr__(self) -> str:
        return f"{self.address.url!r}, {'broken' if self.broken else 'open'}"

    def request(self, commands: Sequence[Sequence[Arg]]) -> bytes:
        """The bytes of ``commands`` (their replies are read in the same order)."""
        if self.broken:
            raise RedisConnectionError(f"the connection to {self.address.url} is closed")
        return b"".join(encode_command(command) for command in commands)

    def receive(self, data: bytes) -> None:
        """Bytes read from the connection; ``b""`` when Redis closed it."""
        if not data:
            raise RedisConnectionError(f"{self.address.url} closed the connection")
        self._parser.feed(data)

    def next_reply(self) -> Any:
        """The next reply (error replies as :class:`ReplyError` values), or :data:`NEED_DATA`."""
        try:
            return self._parser.next_reply()
        except ValueError as error:
            raise RedisConnectionError(f"not a Redis reply: {error}") from None

    def failed(self, error: OSError | Exception, timeout: float) -> RedisError:
        """Reading or writing failed half-way with ``error``: the conversation is over.

        Returns the error to raise: :class:`RedisTimeoutError` for a ``TimeoutError``
        (``timeout`` seconds passed), else :class:`RedisConnectionError`.
        """
        self.broken = True
        if isinstance(error, TimeoutError):
            return RedisTimeoutError(f"{self.address.url} did not answer within {timeout} s")
        return RedisConnectionError(f"the connection to {self.address.url} broke: {error!r}")

    def logged_in(self, replies: Sequence[Any]) -> None:
        """Checks the replies to :meth:`RedisAddress.handshake`'s commands."""
        for reply in replies:
            if isinstance(reply, ReplyError):
                raise RedisConnectionError(f"{self.address.url} refused the login: {reply}")


def checked(reply: Any) -> Any:
    """``reply``, or the :class:`ReplyError` it is raised."""
    if isinstance(reply, ReplyError):
        raise reply
    return reply
