"""What a hostile or broken server can send back: answers too large to hold
(``max_response_size``), JSON nested too deep to parse, and both through error statuses.

The servers are local sockets that stream their answer and count what they managed to send
before the client hung up: a refused body must be refused early, not read and dropped.
"""

from __future__ import annotations

import gzip
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import pytest

from jellyfish import AsyncRecordingApi, AsyncRoomApi, RecordingApi, RoomApi
from jellyfish.api._base_api import DEFAULT_MAX_RESPONSE_SIZE
from jellyfish.errors import DecodeError, NotFoundError, ServerError

from ._stubs import answering_server

GIB = 1024**3
MIB = 1024**2
CHUNK = b"x" * (256 * 1024)
# Loopback socket buffers hold a few MiB: what a server can push before a client that
# stopped reading makes it block. Far below anything "read into memory" would take.
EARLY = 32 * MIB


@contextmanager
def streaming_server(head: bytes, body_size: int) -> Iterator[tuple[str, list[int]]]:
    """Answer each request with ``head``, then stream ``body_size`` bytes of ``x`` for as
    long as the client reads; record how many bytes each answer got out."""
    sent: list[int] = []
    stopped = threading.Event()

    def answer(conn: socket.socket) -> None:
        conn.recv(65536)
        count = 0
        try:
            conn.sendall(head)
            while count < body_size and not stopped.is_set():
                part = CHUNK[: body_size - count]
                conn.sendall(part)
                count += len(part)
        finally:
            sent.append(count)

    with answering_server(answer) as address:
        try:
            yield address, sent
        finally:
            stopped.set()


def _head(status: str = "200 OK", **headers: Any) -> bytes:
    lines = [f"HTTP/1.1 {status}", "Content-Type: application/json"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def test_the_default_limit_refuses_a_1_gib_answer_from_its_headers() -> None:
    with streaming_server(_head(Content_Length=GIB), GIB) as (address, sent):  # noqa: SIM117
        with RoomApi(address) as api, pytest.raises(DecodeError) as info:
            api.get_all_rooms()
    assert info.value.status_code == 200
    assert info.value.message == (
        f"GET /room: the answer is larger than max_response_size ({DEFAULT_MAX_RESPONSE_SIZE} "
        "bytes), refused unread (status 200); use a stream_* method for large downloads"
    )
    assert sent[0] < EARLY


@pytest.mark.anyio
async def test_the_default_limit_refuses_a_1_gib_answer_from_its_headers_async() -> None:
    with streaming_server(_head(Content_Length=GIB), GIB) as (address, sent):
        async with AsyncRecordingApi(address) as api:
            with pytest.raises(DecodeError, match="larger than max_response_size"):
                await api.get_content("rec", "segment.m4s")
    assert sent[0] < EARLY


def test_an_answer_without_a_length_is_cut_at_the_limit() -> None:
    close_delimited = _head(Connection="close")
    with streaming_server(close_delimited, GIB) as (address, sent):  # noqa: SIM117
        with RoomApi(address, max_response_size=MIB) as api, pytest.raises(DecodeError) as info:
            api.get_all_rooms()
    assert f"larger than max_response_size ({MIB} bytes)" in info.value.message
    assert MIB < sent[0] < MIB + EARLY


@pytest.mark.anyio
async def test_an_answer_without_a_length_is_cut_at_the_limit_async() -> None:
    chunked = _head(Transfer_Encoding="chunked")
    # one endless chunk: its size line promises 1 GiB
    with streaming_server(chunked + b"40000000\r\n", GIB) as (address, sent):
        async with AsyncRoomApi(address, max_response_size=MIB) as api:
            with pytest.raises(DecodeError, match=f"max_response_size \\({MIB} bytes\\)"):
                await api.get_all_rooms()
    assert MIB < sent[0] < MIB + EARLY


def test_the_limit_is_on_the_decoded_body_a_compressed_bomb_is_refused() -> None:
    bomb = gzip.compress(b"[" * (64 * MIB))  # 64 KiB on the wire
    head = _head(Content_Encoding="gzip", Content_Length=len(bomb))

    def answer(conn: socket.socket) -> None:
        conn.recv(65536)
        conn.sendall(head + bomb)

    with answering_server(answer) as address:  # noqa: SIM117
        with RoomApi(address, max_response_size=MIB) as api:
            with pytest.raises(DecodeError, match="larger than max_response_size"):
                api.get_all_rooms()


def test_an_oversized_error_body_keeps_the_error_status() -> None:
    head = _head("500 Internal Server Error", Content_Length=GIB)
    with streaming_server(head, GIB) as (address, sent):  # noqa: SIM117
        with RoomApi(address) as api, pytest.raises(ServerError) as info:
            api.get_room("r1")
    assert info.value.status_code == 500
    assert info.value.message == (
        "Internal Server Error (the error body is larger than max_response_size "
        f"({DEFAULT_MAX_RESPONSE_SIZE} bytes), not read)"
    )
    assert sent[0] < EARLY


def test_answers_within_the_limit_are_read_whole() -> None:
    body = b'{"data":["' + b"r" * (MIB - 13) + b'"]}'
    assert len(body) == MIB

    def answer(conn: socket.socket) -> None:
        conn.recv(65536)
        conn.sendall(_head(Content_Length=len(body)) + body)

    with answering_server(answer) as address, RecordingApi(address, max_response_size=MIB) as api:
        assert api.get_list() == ["r" * (MIB - 13)]


def test_no_limit_when_max_response_size_is_none() -> None:
    size = DEFAULT_MAX_RESPONSE_SIZE + MIB
    with streaming_server(_head(Content_Length=size), size) as (address, sent):  # noqa: SIM117
        with RecordingApi(address, max_response_size=None) as api:
            assert len(api.get_content("rec", "big.mp4")) == size
    assert sent == [size]


def test_streaming_downloads_are_not_limited() -> None:
    size = 4 * MIB
    with streaming_server(_head(Content_Length=size), size) as (address, sent):  # noqa: SIM117
        with RoomApi(address, max_response_size=MIB) as api:
            with api.stream_hls_content("r1", "segment.m4s") as chunks:
                assert sum(len(chunk) for chunk in chunks) == size
    assert sent == [size]


@pytest.mark.anyio
async def test_streaming_downloads_are_not_limited_async() -> None:
    size = 4 * MIB
    with streaming_server(_head(Content_Length=size), size) as (address, _):
        async with AsyncRecordingApi(address, max_response_size=MIB) as api:  # noqa: SIM117
            async with api.stream_content("rec", "big.mp4") as chunks:
                assert sum([len(chunk) async for chunk in chunks]) == size


@pytest.mark.parametrize("limit", [-1, 1.5, "1MiB", True])
def test_a_limit_that_bounds_nothing_is_refused(limit: Any) -> None:
    with pytest.raises(ValueError, match="max_response_size must be a number of bytes"):
        RoomApi(max_response_size=limit)


# ---------------------------------------------------------------- deep JSON

DEPTH = 100_000
DEEP = b"[" * DEPTH + b"]" * DEPTH


def _replying(answer: bytes) -> Any:
    def reply(conn: socket.socket) -> None:
        with suppress(OSError):
            conn.recv(65536)
            conn.sendall(answer)

    return answering_server(reply)


def _answer(status: str, body: bytes) -> bytes:
    return _head(status, Content_Length=len(body)) + body


def test_json_nested_too_deep_is_a_decode_error() -> None:
    with _replying(_answer("200 OK", b'{"data":' + DEEP + b"}")) as address:  # noqa: SIM117
        with RoomApi(address) as api, pytest.raises(DecodeError) as info:
            api.get_all_rooms()
    assert info.value.message == (
        "GET /room: unexpected response body (status 200): nested too deeply (RecursionError)"
    )
    assert isinstance(info.value.__cause__, RecursionError)


@pytest.mark.anyio
async def test_json_nested_too_deep_is_a_decode_error_async() -> None:
    with _replying(_answer("200 OK", DEEP)) as address:
        async with AsyncRoomApi(address) as api:
            with pytest.raises(DecodeError, match=r"nested too deeply \(RecursionError\)"):
                await api.get_room("r1")


def test_an_error_status_with_json_nested_too_deep_keeps_its_status() -> None:
    body = b'{"errors":' + DEEP + b"}"
    with _replying(_answer("404 Not Found", body)) as address:  # noqa: SIM117
        with RoomApi(address) as api, pytest.raises(NotFoundError) as info:
            api.get_room("r1")
    assert info.value.status_code == 404
    assert info.value.message.startswith('{"errors":[[[[')
    assert info.value.message.endswith("...")  # the body as text, cut at 2000 characters


@pytest.mark.parametrize(
    "body",
    [b'{"data": 5}', b'{"data": [5]}', b'{"data": [{"id": []}]}', b"[]", b"null"],
    ids=["number", "list of numbers", "wrong member types", "no envelope", "null"],
)
def test_json_of_the_wrong_shape_is_a_decode_error(body: bytes) -> None:
    with _replying(_answer("200 OK", body)) as address:  # noqa: SIM117
        with RoomApi(address) as api, pytest.raises(DecodeError, match="GET /room: ") as info:
            api.get_all_rooms()
    assert info.value.data == body
