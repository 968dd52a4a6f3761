"""The RESP client, against the real server and without one (the parser, URLs)."""

from __future__ import annotations

import contextlib
import pickle
import socket
import threading
import time

import anyio
import pytest

from jellyfish.redis import RedisConnectionError, RedisTimeoutError, ReplyError
from jellyfish.redis._connection import AsyncConnection, BlockingConnection
from jellyfish.redis._resp import (
    NEED_DATA,
    Conversation,
    RedisAddress,
    ReplyParser,
    Script,
    encode_command,
)

from ._redis_server import RedisServer


def test_parser_takes_replies_byte_by_byte() -> None:
    wire = b"+OK\r\n-ERR wrong\r\n:42\r\n$5\r\nhel\r\n\r\n$-1\r\n*2\r\n$1\r\na\r\n*-1\r\n*0\r\n"
    parser = ReplyParser()
    replies = []
    for byte in wire:
        parser.feed(bytes([byte]))
        while (reply := parser.next_reply()) is not NEED_DATA:
            replies.append(reply)
    assert replies[0] == "OK"
    assert isinstance(replies[1], ReplyError)
    assert replies[1].code == "ERR"
    assert replies[2:] == [42, b"hel\r\n", None, [b"a", None], []]


def test_garbage_is_refused() -> None:
    parser = ReplyParser()
    parser.feed(b"HTTP/1.1 400 Bad Request\r\n")
    with pytest.raises(ValueError, match="not a RESP reply"):
        parser.next_reply()


def test_encoding() -> None:
    assert encode_command(["SET", b"k", 1, 2.5]) == (
        b"*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\n1\r\n$3\r\n2.5\r\n"
    )
    with pytest.raises(TypeError, match="bool"):
        encode_command(["SET", "k", True])


def test_urls() -> None:
    address = RedisAddress.from_url("rediss://bridge:s%40cret@redis.example:6380/2")
    assert (address.host, address.port, address.db, address.tls) == ("redis.example", 6380, 2, True)
    assert (address.username, address.password) == ("bridge", "s@cret")
    assert "s@cret" not in repr(address)
    assert "s%40cret" not in repr(address)
    assert address.handshake("me") == [
        ["AUTH", "bridge", "s@cret"],
        ["SELECT", 2],
        ["CLIENT", "SETNAME", "me"],
    ]
    assert RedisAddress.from_url("redis://:pw@h").handshake() == [["AUTH", "pw"]]
    assert RedisAddress.from_url("unix:///run/redis.sock?db=3").unix_path == "/run/redis.sock"
    for bad in ("http://h", "redis://h:port", "redis://h/x"):
        with pytest.raises(ValueError, match="Redis URL"):
            RedisAddress.from_url(bad)


def test_errors_are_the_builtins_and_pickle() -> None:
    error = RedisConnectionError("cannot connect")
    assert isinstance(error, ConnectionError)
    assert isinstance(RedisTimeoutError("slow"), TimeoutError)
    copy = pickle.loads(pickle.dumps(ReplyError("NOSCRIPT no such script")))
    assert copy.code == "NOSCRIPT"


def test_the_conversation_decides_what_a_failure_is_without_io() -> None:
    conversation = Conversation(RedisAddress.from_url("redis://:secret@h:1"))
    assert conversation.request([["PING"], ["GET", "k"]]) == b"*1\r\n$4\r\nPING\r\n" + (
        b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"
    )
    conversation.receive(b"+PONG\r\n$1\r")
    assert conversation.next_reply() == "PONG"
    assert conversation.next_reply() is NEED_DATA
    with pytest.raises(RedisConnectionError, match="refused the login"):
        conversation.logged_in(["OK", ReplyError("WRONGPASS invalid")])
    with pytest.raises(RedisConnectionError, match="closed the connection"):
        conversation.receive(b"")
    timeout = conversation.failed(TimeoutError(), 2.5)
    assert isinstance(timeout, RedisTimeoutError)
    assert str(timeout) == "redis://:***@h:1 did not answer within 2.5 s"
    assert isinstance(conversation.failed(ConnectionResetError(), 1), RedisConnectionError)
    assert repr(conversation) == "'redis://:***@h:1', broken"
    with pytest.raises(RedisConnectionError, match="is closed"):
        conversation.request([["PING"]])
    garbage = Conversation(RedisAddress())
    garbage.receive(b"HTTP/1.1 400\r\n")
    with pytest.raises(RedisConnectionError, match="not a Redis reply"):
        garbage.next_reply()


def test_blocking_connection(redis_server: RedisServer) -> None:
    address = RedisAddress.from_url(redis_server.url)
    with BlockingConnection.open(address, client_name="t") as connection:
        assert connection.execute("SET", "k", "v") == "OK"
        assert connection.pipeline([["GET", "k"], ["INCR", "k"], ["GET", "missing"]])[0] == b"v"
        with pytest.raises(ReplyError, match="not an integer"):
            connection.execute("INCR", "k")
        script = Script("return redis.call('GET', KEYS[1])")
        assert connection.run_script(script, ["k"], []) == b"v"  # NOSCRIPT -> EVAL
        assert connection.run_script(script, ["k"], []) == b"v"  # EVALSHA
        assert connection.execute("CLIENT", "GETNAME") == b"t"


def test_close_from_another_thread_interrupts_a_blocking_read(redis_server: RedisServer) -> None:
    connection = BlockingConnection.open(RedisAddress.from_url(redis_server.url))
    threading.Timer(0.2, connection.close).start()
    started = time.monotonic()
    with pytest.raises(RedisConnectionError):
        connection.execute("BLPOP", "nothing", 30, timeout=40)
    assert time.monotonic() - started < 10
    assert connection.broken


def test_a_timeout_drops_the_connection(redis_server: RedisServer) -> None:
    connection = BlockingConnection.open(RedisAddress.from_url(redis_server.url))
    with pytest.raises(RedisTimeoutError):
        connection.execute("BLPOP", "nothing", 5, timeout=0.2)
    with pytest.raises(RedisConnectionError, match="closed"):
        connection.execute("PING")


def test_the_blocking_timeout_bounds_the_whole_command_even_when_redis_drips() -> None:
    """A reply that trickles in byte by byte still ends at the timeout (not per read)."""
    listener = socket.create_server(("127.0.0.1", 0))

    def drip() -> None:
        server, _ = listener.accept()
        with server, contextlib.suppress(OSError):  # the client leaves at its timeout
            server.recv(1024)
            for byte in b"$20\r\n" + b"x" * 20 + b"\r\n":
                server.sendall(bytes([byte]))
                time.sleep(0.1)

    dripper = threading.Thread(target=drip)
    dripper.start()
    try:
        connection = BlockingConnection.open(RedisAddress("127.0.0.1", listener.getsockname()[1]))
        started = time.monotonic()
        with pytest.raises(RedisTimeoutError):
            connection.execute("GET", "k", timeout=0.3)
        assert time.monotonic() - started < 2.0  # the whole reply takes 2.6 s
        assert connection.broken
    finally:
        dripper.join(5)
        listener.close()


def test_refused() -> None:
    with pytest.raises(RedisConnectionError, match="cannot connect"):
        BlockingConnection.open(RedisAddress("127.0.0.1", 1))


@pytest.mark.anyio
async def test_async_connection(redis_server: RedisServer) -> None:
    address = RedisAddress.from_url(redis_server.url)
    async with await AsyncConnection.open(address) as connection:
        assert await connection.execute("PING") == "PONG"
        replies = await connection.pipeline([["SET", "a", "1"], ["INCRBY", "a", "x"]])
        assert replies[0] == "OK"
        assert isinstance(replies[1], ReplyError)
        # cancelled in the middle of a command: the connection is dropped, never reused
        with anyio.move_on_after(0.2):
            await connection.execute("BLPOP", "nothing", 5, timeout=10)
        assert connection.broken
    with pytest.raises(RedisConnectionError, match="refused the login"):
        await AsyncConnection.open(RedisAddress.from_url(redis_server.url + "/99"))
