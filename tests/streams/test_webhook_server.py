"""The bridge's webhook server: HTTP/1.1 as Jellyfish speaks it, and its limits.

Raw sockets, so that every byte (keep-alive, chunked bodies, garbage, a slow client) is
the test's choice; on asyncio and trio.
"""

from __future__ import annotations

import gc
import socket
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import anyio.abc
import httpx
import pytest
from anyio.lowlevel import checkpoint

from jellyfish._webhook_server import Answer, WebhookServer, parse_listen_address

pytestmark = pytest.mark.anyio


class Recorder:
    def __init__(self) -> None:
        self.posts: list[tuple[bytes, str | None]] = []

    async def on_post(self, body: bytes, content_type: str | None) -> Answer:
        self.posts.append((body, content_type))
        if body == b"refuse":
            return Answer(503, "not stored")
        if body == b"bug":
            raise RuntimeError("a bug in the handler")
        return Answer(204)

    async def on_get(self) -> Answer:
        return Answer(200, "ok: standby")


@asynccontextmanager
async def serving(**limits: Any) -> AsyncIterator[tuple[WebhookServer, Recorder]]:
    recorder = Recorder()
    server = await WebhookServer.listen("127.0.0.1", 0, recorder.on_post, recorder.on_get, **limits)
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(server.serve)
            yield server, recorder
            group.cancel_scope.cancel()
    finally:
        await server.aclose()


async def exchange(server: WebhookServer, data: bytes, limit: float = 5.0) -> bytes:
    """Send ``data`` on a new connection; everything the server wrote until it closed."""
    host, port = server.address
    received = b""
    with anyio.fail_after(limit):
        async with await anyio.connect_tcp(host, port) as stream:
            await stream.send(data)
            while True:
                try:
                    received += await stream.receive()
                except (anyio.EndOfStream, anyio.BrokenResourceError):
                    return received


def post(body: bytes, *, extra: bytes = b"", close: bool = False) -> bytes:
    return (
        b"POST /webhook HTTP/1.1\r\nHost: bridge\r\n"
        b"Content-Type: application/x-protobuf\r\n"
        + f"Content-Length: {len(body)}\r\n".encode()
        + extra
        + (b"Connection: close\r\n" if close else b"")
        + b"\r\n"
        + body
    )


async def test_posts_on_a_kept_alive_connection_and_the_health_check(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with serving() as (server, recorder), httpx.AsyncClient() as client:
        for index in range(3):  # one pooled connection, as Jellyfish's client keeps it
            response = await client.post(
                f"{server.url}/any/path",
                content=b"body %d" % index,
                headers={"content-type": "application/x-protobuf"},
            )
            assert response.status_code == 204
        refused = await client.post(f"{server.url}/", content=b"refuse")
        assert (refused.status_code, refused.text) == (503, "not stored")
        health = await client.get(f"{server.url}/health")
        assert (health.status_code, health.text) == (200, "ok: standby")
        head = await client.head(server.url)
        assert (head.status_code, head.content) == (200, b"")
        put = await client.put(server.url, content=b"x")
        assert put.status_code == 405
        assert put.headers["allow"] == "GET, HEAD, POST"
        bug = await client.post(server.url, content=b"bug")  # logged, answered, server lives on
        assert bug.status_code == 500
        after = await client.post(server.url, content=b"after")
        assert after.status_code == 204
    assert recorder.posts[:3] == [(b"body %d" % i, "application/x-protobuf") for i in range(3)]
    assert "answering POST / failed" in caplog.text
    assert "RuntimeError: a bug in the handler" in caplog.text


async def test_pipelined_and_chunked_requests() -> None:
    async with serving() as (server, recorder):
        chunked = (
            b"POST / HTTP/1.1\r\nHost: b\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
        )
        answer = await exchange(server, chunked + post(b"second", close=True))
    assert answer.count(b"HTTP/1.1 204 No Content\r\n") == 2
    assert recorder.posts == [(b"abcde", "application/json"), (b"second", "application/x-protobuf")]


async def test_expect_100_continue() -> None:
    async with serving() as (server, recorder):
        host, port = server.address
        async with await anyio.connect_tcp(host, port) as stream:
            head = post(b"late", extra=b"Expect: 100-continue\r\n", close=True)
            await stream.send(head[: -len(b"late")])
            with anyio.fail_after(5):
                assert (await stream.receive()).startswith(b"HTTP/1.1 100 ")
                await stream.send(b"late")
                assert (await stream.receive()).startswith(b"HTTP/1.1 204 ")
    assert recorder.posts == [(b"late", "application/x-protobuf")]


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (post(b"x" * 2000), b"413"),  # announced
        (  # chunked: refused once over the limit, whatever the client announced
            b"POST / HTTP/1.1\r\nHost: b\r\nTransfer-Encoding: chunked\r\n\r\n"
            + b"400\r\n"
            + b"x" * 1024
            + b"\r\n"
            + b"400\r\n"
            + b"x" * 1024
            + b"\r\n",
            b"413",
        ),
        (b"GARBAGE\r\n\r\n", b"400"),
        (b"POST / HTTP/1.1\r\nHost: b\r\nX-Big: " + b"y" * 20_000 + b"\r\n\r\n", b"431"),
    ],
    ids=["announced-too-large", "chunked-too-large", "garbage", "head-too-large"],
)
async def test_bad_requests_are_answered_and_the_connection_closed(
    request_bytes: bytes, status: bytes
) -> None:
    async with serving(max_body=1024) as (server, recorder):
        answer = await exchange(server, request_bytes)
        assert answer.startswith(b"HTTP/1.1 " + status), answer[:200]
        assert b"connection: close" in answer.lower()
        # the server goes on serving
        assert (await exchange(server, post(b"ok", close=True))).startswith(b"HTTP/1.1 204")
    assert recorder.posts == [(b"ok", "application/x-protobuf")]


async def test_a_slow_request_gets_408_and_an_idle_connection_is_closed() -> None:
    async with serving(read_timeout=0.3, idle_timeout=0.3) as (server, recorder):
        host, port = server.address
        async with await anyio.connect_tcp(host, port) as slow:
            await slow.send(post(b"never complete")[:-3])  # the body never ends
            with anyio.fail_after(5):
                answer = await slow.receive()
        assert answer.startswith(b"HTTP/1.1 408 ")
        async with await anyio.connect_tcp(host, port) as idle:
            with anyio.fail_after(5), pytest.raises((anyio.EndOfStream, anyio.BrokenResourceError)):
                await idle.receive()  # closed without an answer: no request was begun
    assert recorder.posts == []


async def test_connections_beyond_the_limit_wait_their_turn() -> None:
    async with serving(max_connections=1) as (server, recorder):
        host, port = server.address
        async with await anyio.connect_tcp(host, port) as first:
            await first.send(post(b"first"))
            with anyio.fail_after(5):
                assert (await first.receive()).startswith(b"HTTP/1.1 204 ")
            second = anyio.create_task_group()
            answers: list[bytes] = []

            async def send_second() -> None:
                answers.append(await exchange(server, post(b"second", close=True)))

            async with second:
                second.start_soon(send_second)
                await anyio.sleep(0.3)
                assert answers == []  # accepted by the kernel, not served: the slot is taken
                await first.aclose()
        assert answers[0].startswith(b"HTTP/1.1 204 ")
    assert [body for body, _ in recorder.posts] == [b"first", b"second"]


async def test_listening_on_an_address_in_use_fails_there() -> None:
    async with serving() as (server, _):
        host, port = server.address
        with pytest.raises(OSError, match=r"(?i)in use"):
            await WebhookServer.listen(host, port, Recorder().on_post, Recorder().on_get)


@pytest.mark.parametrize(
    ("text", "address"),
    [
        (":8000", ("0.0.0.0", 8000)),
        ("127.0.0.1:0", ("127.0.0.1", 0)),
        ("[::1]:9000", ("::1", 9000)),
        ("bridge.local:80", ("bridge.local", 80)),
    ],
)
def test_listen_addresses(text: str, address: tuple[str, int]) -> None:
    assert parse_listen_address(text) == address


@pytest.mark.parametrize("text", ["8000", ":", "host:http", ":70000", "::1:8000"])
def test_bad_listen_addresses(text: str) -> None:
    with pytest.raises(ValueError, match=r"PORT|brackets"):
        parse_listen_address(text)


async def test_a_connection_arriving_as_the_server_is_cancelled_is_closed_not_leaked() -> None:
    """Cancelling ``serve()`` while a client connects leaves no accepted socket unclosed.

    On asyncio, a cancellation landing while the loop completes ``sock_accept`` used to
    drop the accepted socket to the garbage collector (a ``ResourceWarning: unclosed
    <socket.socket ...>`` that ``filterwarnings = error`` turned into a failure of
    whichever test ran next). The race is hit within a few rounds; each round cancels
    one loop step later than the one before.
    """
    clients: list[socket.socket] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        try:
            for round_ in range(36):
                server = await WebhookServer.listen(
                    "127.0.0.1", 0, Recorder().on_post, Recorder().on_get
                )
                async with anyio.create_task_group() as group:
                    group.start_soon(server.serve)
                    await anyio.sleep(0.005)  # serve() waits for a connection by then
                    clients.append(socket.create_connection(server.address))
                    for _ in range(round_ % 6):
                        await checkpoint()
                    group.cancel_scope.cancel()
                await server.aclose()
        finally:
            for client in clients:
                client.close()
        gc.collect()
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []
