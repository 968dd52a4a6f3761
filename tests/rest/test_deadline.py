"""``timeout`` is a deadline for the whole call, not a limit per read.

A local server on 127.0.0.1 drips its answer one byte at a time, each byte well within the
per-read timeout, so only a total deadline can end the call. It drips for a bounded time
(then stops sending, so even a broken deadline ends by the per-read timeout) and stops at
once when the client hangs up or the test ends.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, suppress

import httpx
import pytest

from jellyfish import AsyncRecordingApi, AsyncRoomApi, RecordingApi, RoomApi
from jellyfish.errors import ConnectionFailedError, DecodeError, RequestTimeoutError

DEADLINE = 1.0
DRIP_INTERVAL = 0.2  # five drips per per-read timeout: a per-read limit never fires
MAX_DRIPS = 30  # 6 s: far beyond the deadline, bounded if the deadline were broken
# Generous: the call must end near DEADLINE, far before the drip would (6 s, or the
# per-read timeout after it).
ENDS_BEFORE = DEADLINE + 1.5

JSON_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
STATUS_LINE = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"


@contextmanager
def dripping_server(prefix: bytes, drip: bytes, then_close: bool = False) -> Iterator[str]:
    """Answer every request with ``prefix`` at once, then ``drip`` one byte at a time.

    Then hang up (``then_close``) or keep the connection open without sending anything.
    """
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()
    threads: list[threading.Thread] = []

    def answer(conn: socket.socket) -> None:
        with conn, suppress(OSError):
            conn.recv(65536)
            conn.sendall(prefix)
            for byte in drip[:MAX_DRIPS]:
                if stop.wait(DRIP_INTERVAL):
                    return
                conn.sendall(bytes([byte]))
            if not then_close:
                stop.wait()  # stop sending, keep the connection: the client must give up

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            thread = threading.Thread(target=answer, args=(conn,), daemon=True)
            threads.append(thread)
            thread.start()

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield f"127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        listener.close()
        acceptor.join(5)
        for thread in threads:
            thread.join(5)


SLOW_BODY = (JSON_HEAD, b"x" * 1000)
SLOW_HEADERS = (b"", STATUS_LINE + b"X-Filler: " + b"y" * 200)


@pytest.mark.parametrize("drip", [SLOW_BODY, SLOW_HEADERS], ids=["body", "headers"])
def test_dripping_answer_ends_at_the_deadline(drip: tuple[bytes, bytes]) -> None:
    with dripping_server(*drip) as address, RoomApi(address, timeout=DEADLINE) as api:
        started = time.monotonic()
        with pytest.raises(RequestTimeoutError) as info:
            api.get_all_rooms()
        elapsed = time.monotonic() - started
    assert DEADLINE * 0.9 <= elapsed < ENDS_BEFORE
    assert isinstance(info.value, TimeoutError)
    assert f"{DEADLINE:g} s" in info.value.message


def test_deadline_holds_through_a_proxy_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with dripping_server(*SLOW_BODY) as proxy:
        monkeypatch.setenv("HTTP_PROXY", f"http://{proxy}")
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        with RoomApi("jellyfish.invalid:5002", timeout=DEADLINE) as api:
            started = time.monotonic()
            with pytest.raises(RequestTimeoutError):
                api.get_all_rooms()
            assert time.monotonic() - started < ENDS_BEFORE


def test_per_call_timeout_is_a_deadline_too() -> None:
    with dripping_server(*SLOW_BODY) as address, RecordingApi(address) as api:
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            api.get_content("rec", "index.m3u8", timeout=DEADLINE)
        assert time.monotonic() - started < ENDS_BEFORE


@pytest.mark.anyio
@pytest.mark.parametrize("drip", [SLOW_BODY, SLOW_HEADERS], ids=["body", "headers"])
async def test_dripping_answer_ends_at_the_deadline_async(drip: tuple[bytes, bytes]) -> None:
    with dripping_server(*drip) as address:
        async with AsyncRoomApi(address, timeout=DEADLINE) as api:
            started = time.monotonic()
            with pytest.raises(RequestTimeoutError) as info:
                await api.get_all_rooms()
            elapsed = time.monotonic() - started
        async with AsyncRecordingApi(address) as recordings:
            with pytest.raises(TimeoutError):
                await recordings.get_list(timeout=DEADLINE)
    assert DEADLINE * 0.9 <= elapsed < ENDS_BEFORE
    assert isinstance(info.value, TimeoutError)
    assert f"{DEADLINE:g} s" in info.value.message


@pytest.mark.anyio
@pytest.mark.parametrize("drip", [SLOW_BODY, SLOW_HEADERS], ids=["body", "headers"])
async def test_async_deadline_applies_to_an_injected_client(drip: tuple[bytes, bytes]) -> None:
    with dripping_server(*drip) as address:
        async with httpx.AsyncClient() as client, AsyncRoomApi(address, http_client=client) as api:
            started = time.monotonic()
            with pytest.raises(RequestTimeoutError):
                await api.get_all_rooms(timeout=DEADLINE)
            assert DEADLINE * 0.9 <= time.monotonic() - started < ENDS_BEFORE


@pytest.mark.parametrize("drip", [SLOW_BODY, SLOW_HEADERS], ids=["body", "headers"])
def test_deadline_applies_to_an_injected_blocking_client(drip: tuple[bytes, bytes]) -> None:
    """The user's pool cannot be reached: the call runs in a helper thread, the caller
    stops waiting at the deadline, and the client stays usable."""
    with dripping_server(*drip) as address, httpx.Client() as client:  # noqa: SIM117
        with RoomApi(address, http_client=client, timeout=DEADLINE) as api:
            started = time.monotonic()
            with pytest.raises(RequestTimeoutError) as info:
                api.get_all_rooms()
            assert DEADLINE * 0.9 <= time.monotonic() - started < ENDS_BEFORE
    assert f"{DEADLINE:g} s" in info.value.message
    # the server has hung up: the helper thread ends on its own
    for thread in threading.enumerate():
        if thread.name == "jellyfish-rest-call":
            thread.join(ENDS_BEFORE)
            assert not thread.is_alive()


def test_an_injected_blocking_client_answers_within_the_deadline() -> None:
    """What arrives in time is the answer, from the helper thread, with its errors typed."""
    body = b'{"data":[]}'
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n"
    with dripping_server(head, body) as address, httpx.Client() as client:  # noqa: SIM117
        with RoomApi(address, http_client=client) as api:
            assert api.get_all_rooms(timeout=DRIP_INTERVAL * 30) == []
    with one_shot_server(TRUNCATED + b'{"data":') as address, httpx.Client() as client:  # noqa: SIM117
        with RoomApi(address, http_client=client) as api, pytest.raises(DecodeError):
            api.create_room(timeout=DEADLINE * 5)


def test_connection_is_not_reused_after_a_deadline() -> None:
    """The half-read answer is dropped with its connection; the next call starts clean."""
    with dripping_server(*SLOW_BODY) as address, RoomApi(address, timeout=DEADLINE) as api:
        for _ in range(2):
            with pytest.raises(RequestTimeoutError):
                api.get_all_rooms()


# ------------------------------------------------------------------ streams

STREAMED = b"012345"
STREAM_HEAD = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(STREAMED)
STREAM_TIMEOUT = 3 * DRIP_INTERVAL  # half the whole download (6 drips)


def test_stream_may_outlast_its_timeout_while_data_keeps_coming() -> None:
    """For a download, ``timeout`` bounds the wait for the headers and each read."""
    with dripping_server(STREAM_HEAD, STREAMED) as address, RoomApi(address) as api:
        started = time.monotonic()
        with api.stream_hls_content("r1", "seg.m4s", timeout=STREAM_TIMEOUT) as chunks:
            body = b"".join(chunks)
        assert body == STREAMED
        assert time.monotonic() - started > STREAM_TIMEOUT


@pytest.mark.anyio
async def test_stream_may_outlast_its_timeout_while_data_keeps_coming_async() -> None:
    with dripping_server(STREAM_HEAD, STREAMED) as address:
        async with AsyncRecordingApi(address) as api:
            started = time.monotonic()
            async with api.stream_content("rec", "seg.m4s", timeout=STREAM_TIMEOUT) as chunks:
                body = b"".join([chunk async for chunk in chunks])
            assert body == STREAMED
            assert time.monotonic() - started > STREAM_TIMEOUT


def test_stream_headers_are_under_the_deadline() -> None:
    with dripping_server(*SLOW_HEADERS) as address, RoomApi(address) as api:
        started = time.monotonic()
        with pytest.raises(RequestTimeoutError):  # noqa: SIM117
            with api.stream_hls_content("r1", "seg.m4s", timeout=DEADLINE):
                pass
        assert time.monotonic() - started < ENDS_BEFORE


def test_stalled_stream_fails_by_its_read_timeout() -> None:
    stalled = STREAM_HEAD.replace(b"6", b"9")  # promises 9 bytes, drips 6, then stalls
    with dripping_server(stalled, STREAMED) as address, RoomApi(address) as api:
        stream = api.stream_hls_content("r1", "seg.m4s", chunk_size=1, timeout=STREAM_TIMEOUT)
        with stream as chunks:
            received = [next(chunks) for _ in STREAMED]
            with pytest.raises(RequestTimeoutError):
                next(chunks)
        assert b"".join(received) == STREAMED


# ------------------------------------------------------------------ unreadable 2xx bodies

TRUNCATED = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
UNDECODABLE = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 5\r\n\r\nabcde"


def one_shot_server(answer: bytes) -> AbstractContextManager[str]:
    """Answer each request with ``answer``, then close the connection."""
    return dripping_server(answer, b"", then_close=True)


BROKEN_BODIES = [
    (TRUNCATED + b'{"data":', "truncated body"),
    (UNDECODABLE, "undecodable body"),
]


@pytest.mark.parametrize(("answer", "cause"), BROKEN_BODIES, ids=["truncated", "undecodable"])
def test_unreadable_2xx_body_is_a_decode_error_with_status(answer: bytes, cause: str) -> None:
    """After a POST the 2xx status says the room was created: the error carries it."""
    with one_shot_server(answer) as address, RoomApi(address) as api:  # noqa: SIM117
        with pytest.raises(DecodeError) as info:
            api.create_room()
    assert info.value.status_code == 200
    assert f"POST /room: {cause} (status 200)" in info.value.message


def test_a_get_whose_body_the_connection_cut_is_a_connection_failure() -> None:
    """A read applied nothing: the cut is the transport failure it is (safe to retry)."""
    with one_shot_server(TRUNCATED + b'{"data":') as address, RoomApi(address) as api:  # noqa: SIM117
        with pytest.raises(ConnectionFailedError):
            api.get_all_rooms()
    with one_shot_server(UNDECODABLE) as address, RoomApi(address) as api:  # noqa: SIM117
        with pytest.raises(DecodeError, match=r"GET /room: undecodable body \(status 200\)"):
            api.get_all_rooms()  # a broken encoding is no transport failure


@pytest.mark.anyio
@pytest.mark.parametrize(("answer", "cause"), BROKEN_BODIES, ids=["truncated", "undecodable"])
# httpx leaves its raw-bytes generator suspended when decoding fails inside aread(); trio
# reports it when it is collected. Nothing of ours is left open (the response is closed).
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
async def test_unreadable_2xx_body_is_a_decode_error_with_status_async(
    answer: bytes, cause: str
) -> None:
    with one_shot_server(answer) as address:
        async with AsyncRoomApi(address) as api:
            with pytest.raises(DecodeError) as info:
                await api.create_room()
    assert info.value.status_code == 200
    assert f"POST /room: {cause} (status 200)" in info.value.message


@pytest.mark.anyio
async def test_a_get_whose_body_the_connection_cut_is_a_connection_failure_async() -> None:
    with one_shot_server(TRUNCATED + b'{"data":') as address:
        async with AsyncRoomApi(address) as api:
            with pytest.raises(ConnectionFailedError):
                await api.get_all_rooms()


@pytest.mark.anyio
async def test_body_cut_before_its_end_names_the_truncation_async() -> None:
    """Without a Content-Length the body ends with the connection: the JSON stops short."""
    cut = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
    with one_shot_server(cut + b'{"data": [') as address:
        async with AsyncRoomApi(address) as api:
            with pytest.raises(DecodeError, match=r"truncated body \(status 200\)") as info:
                await api.get_all_rooms()
    assert info.value.status_code == 200


def test_error_status_with_a_broken_body_is_a_transport_error() -> None:
    broken = TRUNCATED.replace(b"200 OK", b"500 Internal Server Error")
    with one_shot_server(broken) as address, RoomApi(address) as api:  # noqa: SIM117
        with pytest.raises(ConnectionFailedError):
            api.get_all_rooms()
