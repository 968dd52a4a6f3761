"""Error mapping, transport failures, timeouts, validation: no Jellyfish needed.

The server side is ``httpx.MockTransport`` (injected client) or a local socket server.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from jellyfish import (
    AsyncRecordingApi,
    AsyncRoomApi,
    ComponentOptionsHLS,
    PeerOptionsWebRTC,
    RecordingApi,
    RoomApi,
)
from jellyfish.errors import (
    BadRequestError,
    ConnectionFailedError,
    DecodeError,
    HTTPError,
    JellyfishError,
    NotAcceptableError,
    NotFoundError,
    RequestTimeoutError,
    ServerError,
    ServiceUnavailableError,
    TLSError,
    TransportError,
    UnauthorizedError,
    UnexpectedStatusError,
)

from ._cases import CASES, IDS
from ._stubs import (
    answering_server,
    not_tls,
    refused_address,
    reset_connection,
    silent_server,
)

JSON = {"Content-Type": "application/json; charset=utf-8"}

# (status, body, headers, expected class, expected message)
ERROR_CASES: list[tuple[int, bytes, dict[str, str], type[HTTPError], str]] = [
    (
        400,
        b'{"errors":"Invalid request body structure"}',
        JSON,
        BadRequestError,
        "Invalid request body structure",
    ),
    (400, b'{"errors":{"detail":"Bad Request"}}', JSON, BadRequestError, "Bad Request"),
    (401, b'{"errors":"Invalid token"}', JSON, UnauthorizedError, "Invalid token"),
    (401, b'{"errors":"Missing token"}', JSON, UnauthorizedError, "Missing token"),
    (404, b'{"errors":"Room r1 does not exist"}', JSON, NotFoundError, "Room r1 does not exist"),
    (404, b'{"errors":{"detail":"Not Found"}}', JSON, NotFoundError, "Not Found"),
    (406, b'{"errors":{"detail":"Not Acceptable"}}', JSON, NotAcceptableError, "Not Acceptable"),
    (
        503,
        b'{"errors":"Reached peer limit in room r1"}',
        JSON,
        ServiceUnavailableError,
        "Reached peer limit in room r1",
    ),
    (
        500,
        b'{"errors":{"detail":"Internal Server Error"}}',
        JSON,
        ServerError,
        "Internal Server Error",
    ),
    (
        502,
        b"<html>bad gateway</html>",
        {"Content-Type": "text/html"},
        ServerError,
        "<html>bad gateway</html>",
    ),
    (503, b"", {}, ServiceUnavailableError, "Service Unavailable"),
    (599, b"", {}, ServerError, "HTTP 599"),
    (409, b"", {}, UnexpectedStatusError, "Conflict"),
    (302, b"", {"Location": "http://elsewhere/"}, UnexpectedStatusError, "Found"),
    (418, b'{"errors":["a","b"]}', JSON, UnexpectedStatusError, '["a", "b"]'),
    (400, b"plain words", {"Content-Type": "text/plain"}, BadRequestError, "plain words"),
]
ERROR_IDS = [f"{c[0]}-{c[3].__name__}-{i}" for i, c in enumerate(ERROR_CASES)]


def _mock(status: int, body: bytes, headers: dict[str, str]) -> httpx.MockTransport:
    return httpx.MockTransport(
        lambda request: httpx.Response(status, content=body, headers=headers)
    )


@pytest.fixture
def sync_apis() -> Iterator[Any]:
    opened: list[Any] = []

    def make(transport: httpx.BaseTransport, **kwargs: Any) -> tuple[RoomApi, RecordingApi]:
        client = httpx.Client(transport=transport)
        room = RoomApi(http_client=client, **kwargs)
        recording = RecordingApi(http_client=client)
        opened.extend([room, recording, client])
        return room, recording

    yield make
    for item in opened:
        item.close()


# ------------------------------------------------------------------ status -> error


@pytest.mark.parametrize(
    ("status", "body", "headers", "error_class", "message"), ERROR_CASES, ids=ERROR_IDS
)
def test_error_status_is_typed_with_message(
    sync_apis: Any,
    status: int,
    body: bytes,
    headers: dict[str, str],
    error_class: type[HTTPError],
    message: str,
) -> None:
    room_api, _ = sync_apis(_mock(status, body, headers))
    with pytest.raises(error_class) as info:
        room_api.get_room("r1")
    error = info.value
    assert type(error) is error_class
    assert error.status_code == status
    assert error.message == message
    assert str(error) == message
    assert error.method == "GET"
    assert error.path == "/room/r1"


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("status", "body", "headers", "error_class", "message"), ERROR_CASES, ids=ERROR_IDS
)
async def test_error_status_is_typed_with_message_async(
    status: int,
    body: bytes,
    headers: dict[str, str],
    error_class: type[HTTPError],
    message: str,
) -> None:
    async with httpx.AsyncClient(transport=_mock(status, body, headers)) as client:  # noqa: SIM117
        async with AsyncRoomApi(http_client=client) as room_api:
            with pytest.raises(error_class) as info:
                await room_api.get_room("r1")
    assert type(info.value) is error_class
    assert (info.value.status_code, info.value.message) == (status, message)
    assert (info.value.method, info.value.path) == ("GET", "/room/r1")


@pytest.mark.parametrize(("name", "sync_call", "async_call", "method", "path"), CASES, ids=IDS)
def test_every_method_raises_typed_error_never_none(
    sync_apis: Any, name: str, sync_call: Any, async_call: Any, method: str, path: str
) -> None:
    """0.4.0 returned None (or raised AttributeError) for undocumented statuses."""
    for status, error_class in [
        (500, ServerError),
        (409, UnexpectedStatusError),
        (404, NotFoundError),
    ]:
        room_api, recording_api = sync_apis(_mock(status, b'{"errors":"nope"}', JSON))
        with pytest.raises(error_class) as info:
            sync_call(room_api, recording_api)
        assert (info.value.method, info.value.path, info.value.message) == (method, path, "nope")


@pytest.mark.anyio
@pytest.mark.parametrize(("name", "sync_call", "async_call", "method", "path"), CASES, ids=IDS)
async def test_every_method_raises_typed_error_never_none_async(
    name: str, sync_call: Any, async_call: Any, method: str, path: str
) -> None:
    async with httpx.AsyncClient(transport=_mock(503, b'{"errors":"busy"}', JSON)) as client:  # noqa: SIM117
        async with (
            AsyncRoomApi(http_client=client) as rooms,
            AsyncRecordingApi(http_client=client) as recordings,
        ):
            with pytest.raises(ServiceUnavailableError) as info:
                await async_call(rooms, recordings)
    assert (info.value.method, info.value.path, info.value.message) == (method, path, "busy")


@pytest.mark.parametrize("body", [b"", b"not json", b'{"data": 5}', b'{"nodata": {}}', b"[]"])
def test_malformed_success_body_raises_decode_error(sync_apis: Any, body: bytes) -> None:
    room_api, _ = sync_apis(_mock(200, body, JSON))
    with pytest.raises(DecodeError) as info:
        room_api.get_room("r1")
    assert "GET /room/r1" in info.value.message
    assert isinstance(info.value, JellyfishError)


def test_unknown_component_type_is_a_decode_error(sync_apis: Any) -> None:
    body = b'{"data":{"id":"c","type":"hologram","properties":{},"tracks":[]}}'
    room_api, _ = sync_apis(_mock(201, body, JSON))
    with pytest.raises(DecodeError, match="hologram"):
        room_api.add_component("r1", ComponentOptionsHLS())


# ------------------------------------------------------------------ pickling


PICKLED: list[JellyfishError] = [
    HTTPError.from_status(404, "Room x does not exist", "GET", "/room/x"),
    HTTPError.from_status(400, "bad", "POST", "/room"),
    HTTPError.from_status(401, "Invalid token", "GET", "/room"),
    HTTPError.from_status(406, "Not Acceptable", "GET", "/room"),
    HTTPError.from_status(503, "full", "POST", "/room/x/peer"),
    HTTPError.from_status(500, "Internal Server Error", "DELETE", "/room/x"),
    HTTPError.from_status(418, "teapot", "GET", "/health"),
    ConnectionFailedError("connection failed: refused", "http://127.0.0.1:1/room"),
    RequestTimeoutError("no answer within 1 s (timeout)", "http://127.0.0.1:1/room"),
    TLSError("TLS failure", "https://127.0.0.1:1/room"),
    DecodeError("GET /room: unexpected response body", b"garbage"),
    DecodeError("GET /room: truncated body (status 200)", b'{"data":', 200),
]


@pytest.mark.parametrize("error", PICKLED, ids=lambda e: type(e).__name__)
def test_errors_pickle_round_trip(error: JellyfishError) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert copy.args == error.args
    assert str(copy) == str(error)
    if isinstance(error, HTTPError):
        assert isinstance(copy, HTTPError)
        assert (copy.status_code, copy.message, copy.method, copy.path) == (
            error.status_code,
            error.message,
            error.method,
            error.path,
        )


def test_raised_errors_pickle(sync_apis: Any) -> None:
    room_api, _ = sync_apis(_mock(404, b'{"errors":"Room r1 does not exist"}', JSON))
    with pytest.raises(NotFoundError) as info:
        room_api.get_room("r1")
    copy = pickle.loads(pickle.dumps(info.value))
    assert repr(copy) == repr(info.value)
    with RoomApi(refused_address(), timeout=2) as api, pytest.raises(ConnectionFailedError) as t:
        api.get_all_rooms()
    assert pickle.loads(pickle.dumps(t.value)).url == t.value.url


# ------------------------------------------------------------------ transport failures


def test_connection_refused() -> None:
    address = refused_address()
    with RoomApi(address) as api, pytest.raises(ConnectionFailedError) as info:
        api.get_all_rooms()
    assert info.value.url == f"http://{address}/room"
    assert not isinstance(info.value, httpx.HTTPError)
    assert isinstance(info.value.__cause__, httpx.ConnectError)


@pytest.mark.anyio
async def test_connection_refused_async() -> None:
    address = refused_address()
    async with AsyncRoomApi(address) as api:
        with pytest.raises(ConnectionFailedError) as info:
            await api.get_all_rooms()
    assert info.value.url == f"http://{address}/room"


def test_timeout_default_per_client_and_per_call() -> None:
    with silent_server() as address:
        with RoomApi(address, timeout=0.2) as api, pytest.raises(RequestTimeoutError) as info:
            api.get_room("r1")
        assert "0.2 s" in info.value.message
        assert info.value.url == f"http://{address}/room/r1"
        with RoomApi(address) as api:
            assert api.timeout == 10.0
            with pytest.raises(RequestTimeoutError, match=r"0\.1 s"):
                api.create_room(timeout=0.1)
            with pytest.raises(RequestTimeoutError):
                api.get_all_rooms(timeout=httpx.Timeout(0.1))


@pytest.mark.anyio
async def test_timeout_async() -> None:
    with silent_server() as address:
        async with AsyncRoomApi(address, timeout=0.2) as api:
            with pytest.raises(RequestTimeoutError, match=r"0\.2 s"):
                await api.get_room("r1")
            with pytest.raises(RequestTimeoutError, match=r"0\.1 s"):
                await api.create_room(timeout=0.1)
        async with AsyncRecordingApi(address) as recordings:
            with pytest.raises(RequestTimeoutError):
                await recordings.get_list(timeout=0.1)


def test_connection_reset() -> None:
    with answering_server(reset_connection) as address, RoomApi(address, timeout=5) as api:  # noqa: SIM117
        with pytest.raises(ConnectionFailedError, match="connection broke"):
            api.get_all_rooms()


@pytest.mark.anyio
async def test_connection_reset_async() -> None:
    with answering_server(reset_connection) as address:
        async with AsyncRoomApi(address, timeout=5) as api:
            with pytest.raises(ConnectionFailedError):
                await api.get_all_rooms()


def test_tls_failure() -> None:
    with answering_server(not_tls) as address, RoomApi(address, secure=True, timeout=5) as api:  # noqa: SIM117
        with pytest.raises(TLSError) as info:
            api.get_all_rooms()
    assert info.value.url == f"https://{address}/room"
    assert isinstance(info.value, TransportError)


@pytest.mark.anyio
async def test_tls_failure_async() -> None:
    with answering_server(not_tls) as address:
        async with AsyncRoomApi(address, secure=True, timeout=5) as api:
            with pytest.raises(TLSError):
                await api.get_all_rooms()


def test_verify_accepts_bool_path_and_context(tmp_path: Any) -> None:
    import ssl

    RoomApi(verify=False).close()
    RoomApi(verify=ssl.create_default_context()).close()
    with pytest.raises(FileNotFoundError):
        RoomApi(verify=str(tmp_path / "missing-ca.pem"))


# ------------------------------------------------------------------ validation


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda api: api.get_room(""), "room_id must be a non-empty string"),
        (lambda api: api.delete_peer("r", ""), "peer_id must be a non-empty string"),
        (lambda api: api.delete_component("r", None), "component_id must be a non-empty"),
        (lambda api: api.create_room(video_codec="h265"), "video_codec must be 'h264', 'vp8'"),
        (lambda api: api.add_component("r", PeerOptionsWebRTC()), "options must be Component"),
        (lambda api: api.add_peer("r", ComponentOptionsHLS()), "options must be PeerOptionsWebRTC"),
        (lambda api: api.subscribe("r", "c", "peer"), "origins must be a list"),
        (lambda api: api.sip_dial("r", "c", 123), "phone_number must be a string"),
        (lambda api: api.get_hls_content("r", ""), "filename must be a non-empty"),
        (lambda api: api.remember_room("r", "https://x:1"), "says https but this API"),
        (lambda api: api.remember_room("r", "x:99999"), "out of range"),
        (lambda api: api.get_health(node="x/y"), "path"),
    ],
)
def test_client_side_validation_sends_nothing(call: Any, message: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"no request expected, got {request.method} {request.url}")

    with (
        httpx.Client(transport=httpx.MockTransport(handler)) as client,
        RoomApi(http_client=client) as api,
        pytest.raises(ValueError, match=message),
    ):
        call(api)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"server_address": "ftp://localhost:5002"}, "unsupported scheme 'ftp'"),
        ({"server_address": "localhost:5002/api"}, "a path, query or fragment is not allowed"),
        ({"server_address": ""}, "it is empty"),
        ({"server_address": "127.0.0.1:99999"}, r"port 99999 is out of range \(1-65535\)"),
        ({"server_address": "127.0.0.1:abc"}, "port 'abc' is not a number"),
        (
            {"server_address": "http://x:1", "secure": True},
            "says http/ws but secure=True contradicts it",
        ),
        ({"server_api_token": ""}, "server_api_token is empty"),
        ({"max_response_size": -1}, "max_response_size"),
        ({"cluster_routing": "sometimes"}, "cluster_routing"),
        ({"http_client": object()}, "httpx.Client"),
    ],
)
def test_constructor_validation(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RoomApi(**kwargs)


def test_async_constructor_rejects_sync_client() -> None:
    with httpx.Client() as client, pytest.raises(ValueError, match=r"httpx\.AsyncClient"):
        AsyncRoomApi(http_client=client)  # type: ignore[arg-type]


def test_closed_api_refuses_calls() -> None:
    api = RoomApi(refused_address())
    api.close()
    api.close()
    with pytest.raises(RuntimeError, match="closed"):
        api.get_all_rooms()


@pytest.mark.anyio
async def test_closed_async_api_refuses_calls() -> None:
    api = AsyncRoomApi(refused_address())
    assert not api.closed
    await api.aclose()
    await api.aclose()
    assert api.closed
    with pytest.raises(RuntimeError, match="closed"):
        await api.get_all_rooms()


def test_create_room_without_an_address_is_a_decode_error(sync_apis: Any) -> None:
    body = b'{"data":{"room":{"id":"r","config":{},"peers":[],"components":[]}}}'
    room_api, _ = sync_apis(_mock(201, body, JSON))
    with pytest.raises(DecodeError, match="jellyfish_address"):
        room_api.create_room()
    null_address = body.replace(b'"room"', b'"jellyfish_address":null,"room"')
    room_api, _ = sync_apis(_mock(201, null_address, JSON))
    with pytest.raises(DecodeError, match="jellyfish_address must be a 'host:port' string"):
        room_api.create_room()
