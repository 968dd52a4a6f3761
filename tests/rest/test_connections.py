"""Pooling, headers, client ownership, cluster routing, streaming and surface parity,
against local stub servers (no Jellyfish needed)."""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import jellyfish
from jellyfish import AsyncRecordingApi, AsyncRoomApi, RecordingApi, RoomApi
from jellyfish.errors import NotFoundError

from ._stubs import Reply, StubServer, health, json_reply, stub_server

ROOM = {
    "id": "r1",
    "config": {
        "roomId": "r1",
        "maxPeers": None,
        "videoCodec": "h264",
        "webhookUrl": None,
        "peerlessPurgeTimeout": None,
        "peerDisconnectedTimeout": None,
    },
    "peers": [],
    "components": [],
}
BIG = bytes(range(256)) * 4096  # 1 MiB


def node_route(created_on: str | None = None, enabled: bool = True) -> Any:
    def route(method: str, path: str, body: bytes, headers: dict[str, str]) -> Reply:
        if path == "/health":
            return json_reply(200, health(enabled, 2 if enabled else 1))
        if method == "POST" and path == "/room":
            room = dict(ROOM, id=json.loads(body or b"{}").get("roomId", "r1"))
            return json_reply(201, {"data": {"room": room, "jellyfish_address": created_on}})
        if method == "GET" and path == "/room":
            return json_reply(200, {"data": [ROOM]})
        if method == "GET" and path.startswith("/room/"):
            return json_reply(200, {"data": dict(ROOM, id=path.split("/")[2])})
        if method == "DELETE" and path.startswith("/room/"):
            return 204, {}, b""
        if path.startswith("/hls/r1/seg"):
            return 200, {"Content-Type": "video/mp4"}, BIG
        if path.startswith("/hls/r") or path.startswith("/recording/rec1/"):
            return 200, {"Content-Type": "application/vnd.apple.mpegurl"}, b"#EXTM3U\n"
        return json_reply(404, {"errors": {"detail": "Not Found"}})

    return route


@pytest.fixture
def server() -> Iterator[StubServer]:
    with stub_server(node_route()) as stub:
        stub.route = node_route(created_on=stub.address)
        yield stub


# ------------------------------------------------------------------ pooling and headers


def test_blocking_calls_reuse_one_connection(server: StubServer) -> None:
    with RoomApi(server.address) as api:
        for _ in range(20):
            assert api.get_room("r1").id == "r1"
        api.create_room()
        api.get_all_rooms()
    assert server.connections == 1
    assert len(server.requests) == 22


def test_recording_api_reuses_one_connection(server: StubServer) -> None:
    with RecordingApi(server.address) as api:
        for _ in range(10):
            assert api.get_content("rec1", "index.m3u8") == b"#EXTM3U\n"
    assert server.connections == 1


@pytest.mark.anyio
async def test_async_calls_reuse_one_connection(server: StubServer) -> None:
    async with AsyncRoomApi(server.address) as api:
        for _ in range(20):
            assert (await api.get_room("r1")).id == "r1"
        await api.create_room()
    assert server.connections == 1


def test_headers_user_agent_and_auth(server: StubServer) -> None:
    with RoomApi(server.address, server_api_token="secret") as api:
        api.get_all_rooms()
        assert api.get_hls_content("r1", "index.m3u8") == b"#EXTM3U\n"
    with RecordingApi(server.address, server_api_token="secret") as recordings:
        recordings.get_content("rec1", "index.m3u8")
    (_, _, _, room_headers), (_, _, _, hls_headers), (_, _, _, rec_headers) = server.requests
    assert room_headers["user-agent"] == f"jellyfish-server-sdk/{jellyfish.__version__}"
    assert room_headers["authorization"] == "Bearer secret"
    # The content endpoints take no token: none is sent.
    assert "authorization" not in hls_headers
    assert "authorization" not in rec_headers
    assert hls_headers["user-agent"] == room_headers["user-agent"]


def test_create_room_body_is_camel_case_without_unset_fields(server: StubServer) -> None:
    with RoomApi(server.address) as api:
        api.create_room(
            room_id="abc",
            max_peers=3,
            video_codec="vp8",
            peerless_purge_timeout=5,
            peer_disconnected_timeout=7,
        )
        api.create_room()
    (_, _, full, _), (_, _, empty, _) = server.requests
    assert json.loads(full) == {
        "roomId": "abc",
        "maxPeers": 3,
        "videoCodec": "vp8",
        "peerlessPurgeTimeout": 5,
        "peerDisconnectedTimeout": 7,
    }
    assert json.loads(empty) == {}


def test_hls_query_parameters_and_range(server: StubServer) -> None:
    with RoomApi(server.address) as api:
        api.get_hls_content(
            "r1", "index.m3u8", hls_msn=3, hls_part=1, hls_skip="YES", byte_range="bytes=0-9"
        )
        api.get_hls_content("r 1", "a/b.m3u8")
    (_, path, _, headers), (_, escaped, _, _) = server.requests
    assert path == "/hls/r1/index.m3u8?_HLS_msn=3&_HLS_part=1&_HLS_skip=YES"
    assert headers["range"] == "bytes=0-9"
    assert escaped == "/hls/r%201/a%2Fb.m3u8"


# ------------------------------------------------------------------ client ownership


def test_injected_client_is_used_and_not_closed(server: StubServer) -> None:
    seen: list[str] = []
    with httpx.Client(event_hooks={"request": [lambda r: seen.append(str(r.url))]}) as client:
        with RoomApi(server.address, http_client=client) as api:
            api.get_all_rooms()
        assert seen == [f"http://{server.address}/room"]
        assert not client.is_closed
        assert client.get(f"http://{server.address}/health").status_code == 200
        with pytest.raises(RuntimeError, match="closed"):
            api.get_all_rooms()


def test_own_client_is_closed(server: StubServer) -> None:
    api = RoomApi(server.address)
    api.get_all_rooms()
    own = api._http_client
    assert own is not None
    api.close()
    assert own.is_closed


@pytest.mark.anyio
async def test_injected_async_client_is_used_and_not_closed(server: StubServer) -> None:
    async with httpx.AsyncClient() as client:
        async with AsyncRoomApi(server.address, http_client=client) as api:
            await api.get_all_rooms()
        assert not client.is_closed
        api2 = AsyncRecordingApi(server.address)
        await api2.get_content("rec1", "index.m3u8")
        own = api2._http_client
        await api2.aclose()
        assert own is not None
        assert own.is_closed


# ------------------------------------------------------------------ cluster routing


@pytest.fixture
def cluster() -> Iterator[tuple[StubServer, StubServer]]:
    with stub_server(node_route()) as node_a, stub_server(node_route()) as node_b:
        # node A creates every room on node B (as the load balancer may)
        node_a.route = node_route(created_on=node_b.address, enabled=True)
        node_b.route = node_route(created_on=node_b.address, enabled=True)
        yield node_a, node_b


def _paths(stub: StubServer) -> list[str]:
    return [f"{method} {path}" for method, path, _, _ in stub.requests]


@pytest.mark.parametrize("mode", ["auto", True])
def test_room_calls_follow_the_room_to_its_node(
    cluster: tuple[StubServer, StubServer], mode: Any
) -> None:
    node_a, node_b = cluster
    with RoomApi(node_a.address, cluster_routing=mode) as api:
        address, _room = api.create_room(room_id="r1")
        assert address == node_b.address
        assert api.room_address("r1") == node_b.address
        api.get_room("r1")
        api.get_hls_content("r1", "index.m3u8")
        api.get_room("other")  # unknown room: default node
        api.get_all_rooms()  # node-local listing: default node
        api.delete_room("r1")
        assert api.room_address("r1") == node_a.address
        api.get_room("r1")
    health = ["GET /health"] if mode == "auto" else []
    assert _paths(node_a) == ["POST /room", *health, "GET /room/other", "GET /room", "GET /room/r1"]
    assert _paths(node_b) == ["GET /room/r1", "GET /hls/r1/index.m3u8", "DELETE /room/r1"]


def test_routing_off_keeps_everything_on_the_default_node(
    cluster: tuple[StubServer, StubServer],
) -> None:
    node_a, node_b = cluster
    with RoomApi(node_a.address, cluster_routing=False) as api:
        api.create_room(room_id="r1")
        api.get_room("r1")
        assert api.room_address("r1") == node_a.address
    assert node_b.requests == []


def test_auto_routing_stays_home_when_not_clustered() -> None:
    """A single node advertising an unreachable address (e.g. Docker's 0.0.0.0:8080)."""
    with stub_server(node_route(created_on="0.0.0.0:8080", enabled=False)) as node:  # noqa: SIM117
        with RoomApi(node.address) as api:
            address, _ = api.create_room(room_id="r1")
            assert address == "0.0.0.0:8080"
            for _ in range(3):
                api.get_room("r1")
            assert api.room_address("r1") == node.address
    assert _paths(node) == ["POST /room", "GET /health"] + ["GET /room/r1"] * 3


def test_remember_and_forget_room(cluster: tuple[StubServer, StubServer]) -> None:
    node_a, node_b = cluster
    with RoomApi(node_a.address, cluster_routing=True) as api:
        api.remember_room("elsewhere", node_b.address)
        api.get_room("elsewhere")
        api.forget_room("elsewhere")
        api.get_room("elsewhere")
    assert _paths(node_b) == ["GET /room/elsewhere"]
    assert _paths(node_a) == ["GET /room/elsewhere"]


@pytest.mark.anyio
async def test_async_room_calls_follow_the_room(cluster: tuple[StubServer, StubServer]) -> None:
    node_a, node_b = cluster
    async with AsyncRoomApi(node_a.address) as api:
        address, _ = await api.create_room(room_id="r1")
        await api.get_room("r1")
        await api.delete_room("r1")
    assert address == node_b.address
    assert _paths(node_a) == ["POST /room", "GET /health"]
    assert _paths(node_b) == ["GET /room/r1", "DELETE /room/r1"]


# ------------------------------------------------------------------ streaming


def test_stream_hls_content(server: StubServer) -> None:
    with RoomApi(server.address) as api:
        with api.stream_hls_content("r1", "seg1.m4s", chunk_size=65536) as chunks:
            received = list(chunks)
        assert b"".join(received) == BIG
        assert len(received) > 1
        assert api.get_hls_content("r1", "seg1.m4s") == BIG
        with pytest.raises(NotFoundError, match="Not Found"):  # noqa: SIM117
            with api.stream_hls_content("xnope", "x"):
                pytest.fail("not entered")
    with RecordingApi(server.address) as recordings:  # noqa: SIM117
        with recordings.stream_content("rec1", "index.m3u8") as chunks:
            assert b"".join(chunks) == b"#EXTM3U\n"


@pytest.mark.anyio
async def test_stream_hls_content_async(server: StubServer) -> None:
    async with AsyncRoomApi(server.address) as api:
        async with api.stream_hls_content("r1", "seg1.m4s") as chunks:
            received = [chunk async for chunk in chunks]
        assert b"".join(received) == BIG
        with pytest.raises(NotFoundError):
            async with api.stream_hls_content("xnope", "x"):
                pytest.fail("not entered")
    async with AsyncRecordingApi(server.address) as recordings:  # noqa: SIM117
        async with recordings.stream_content("rec1", "index.m3u8") as chunks:
            assert b"".join([c async for c in chunks]) == b"#EXTM3U\n"


# ------------------------------------------------------------------ same surface


@pytest.mark.parametrize(
    ("sync_class", "async_class"), [(RoomApi, AsyncRoomApi), (RecordingApi, AsyncRecordingApi)]
)
def test_async_surface_matches_blocking(sync_class: type, async_class: type) -> None:
    def public(cls: type) -> dict[str, Any]:
        return {
            name: member
            for name, member in inspect.getmembers(cls)
            if not name.startswith("_") and callable(member)
        }

    sync_members, async_members = public(sync_class), public(async_class)
    assert set(sync_members) - {"close"} == set(async_members) - {"aclose"}
    for name, member in sync_members.items():
        if name == "close":
            continue
        if async_members[name] is member:  # shared, no I/O (routing controls)
            continue
        sync_sig = inspect.signature(member)
        async_sig = inspect.signature(async_members[name])
        if name == "__init__" or name.startswith("stream"):
            assert list(sync_sig.parameters) == list(async_sig.parameters), name
        else:
            assert sync_sig == async_sig, name
            assert inspect.iscoroutinefunction(async_members[name]), name


def test_0_4_0_exports_are_present() -> None:
    names_0_4_0 = [
        "RoomApi",
        "RecordingApi",
        "Room",
        "RoomConfig",
        "RoomConfigVideoCodec",
        "Peer",
        "PeerOptionsWebRTC",
        "PeerStatus",
        "ComponentHLS",
        "ComponentOptionsHLS",
        "ComponentOptionsHLSSubscribeMode",
        "ComponentPropertiesHLS",
        "ComponentPropertiesHLSSubscribeMode",
        "ComponentSIP",
        "ComponentOptionsSIP",
        "ComponentPropertiesSIP",
        "ComponentPropertiesSIPSIPCredentials",
        "ComponentFile",
        "ComponentRTSP",
        "ComponentOptionsRTSP",
        "ComponentPropertiesRTSP",
        "ComponentOptionsFile",
        "ComponentPropertiesFile",
        "events",
        "errors",
        "SIPCredentials",
        "ComponentRecording",
        "ComponentOptionsRecording",
        "ComponentOptionsRecordingSubscribeMode",
        "ComponentPropertiesRecording",
        "ComponentPropertiesRecordingSubscribeMode",
        "S3Credentials",
    ]
    for name in names_0_4_0:
        assert name in jellyfish.__all__, name
        assert getattr(jellyfish, name) is not None
    for name in jellyfish.__all__:
        assert hasattr(jellyfish, name), name


def test_blocking_api_is_shared_between_threads(server: StubServer) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with RoomApi(server.address) as api, ThreadPoolExecutor(8) as pool:
        rooms = list(pool.map(lambda i: api.get_room(f"r{i}"), range(64)))
    assert [room.id for room in rooms] == [f"r{i}" for i in range(64)]
    assert server.connections <= 8


def test_room_map_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from jellyfish.api import _base_api

    monkeypatch.setattr(_base_api, "MAX_REMEMBERED_ROOMS", 3)
    with RoomApi("node-a:5002", cluster_routing=True) as api:
        for index in range(5):
            api.remember_room(f"room-{index}", f"node-{index}:5002")
        api.remember_room("room-2", "node-2:5002")  # touch: most recently used
        api.remember_room("room-5", "node-5:5002")
        assert [api.room_address(f"room-{i}") for i in range(6)] == [
            "node-a:5002",
            "node-a:5002",
            "node-2:5002",
            "node-a:5002",
            "node-4:5002",
            "node-5:5002",
        ]


# Parameter lists of jellyfish-server-sdk 0.4.0 (api/_room_api.py, api/_recording_api.py).
SIGNATURES_0_4_0 = {
    (RoomApi, "__init__"): ["self", "server_address", "server_api_token", "secure"],
    (RoomApi, "create_room"): [
        "self",
        "room_id",
        "max_peers",
        "video_codec",
        "webhook_url",
        "peerless_purge_timeout",
        "peer_disconnected_timeout",
    ],
    (RoomApi, "delete_room"): ["self", "room_id"],
    (RoomApi, "get_all_rooms"): ["self"],
    (RoomApi, "get_room"): ["self", "room_id"],
    (RoomApi, "add_peer"): ["self", "room_id", "options"],
    (RoomApi, "delete_peer"): ["self", "room_id", "peer_id"],
    (RoomApi, "add_component"): ["self", "room_id", "options"],
    (RoomApi, "delete_component"): ["self", "room_id", "component_id"],
    (RoomApi, "subscribe"): ["self", "room_id", "component_id", "origins"],
    (RoomApi, "sip_dial"): ["self", "room_id", "component_id", "phone_number"],
    (RoomApi, "sip_end_call"): ["self", "room_id", "component_id"],
    (RecordingApi, "__init__"): ["self", "server_address", "server_api_token", "secure"],
    (RecordingApi, "get_list"): ["self"],
    (RecordingApi, "delete"): ["self", "recording_id"],
}


@pytest.mark.parametrize(
    ("key", "legacy"),
    SIGNATURES_0_4_0.items(),
    ids=[f"{c.__name__}.{m}" for c, m in SIGNATURES_0_4_0],
)
def test_0_4_0_signatures_are_kept(key: tuple[type, str], legacy: list[str]) -> None:
    """0.4.0's positional parameters come first, in order; everything new is keyword-only."""
    cls, method = key
    parameters = list(inspect.signature(getattr(cls, method)).parameters.values())
    assert [p.name for p in parameters[: len(legacy)]] == legacy
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters[len(legacy) :])
    for parameter in parameters:
        if parameter.name in ("server_address", "server_api_token", "secure"):
            # None: the environment, else 0.4.0's default (test_settings_from_environment).
            assert parameter.default is None


@pytest.mark.parametrize("api_class", [RoomApi, RecordingApi, AsyncRoomApi, AsyncRecordingApi])
def test_without_arguments_the_0_4_0_defaults_apply(
    api_class: type[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("JELLYFISH_ADDRESS", "JELLYFISH_TOKEN", "JELLYFISH_SECURE"):
        monkeypatch.delenv(name, raising=False)
    api = api_class()
    assert api.server_address == "localhost:5002"
    assert api._settings.auth_headers["Authorization"] == "Bearer development"
    assert api._settings.base_url(api.server_address) == "http://localhost:5002"


@pytest.mark.parametrize("api_class", [RoomApi, RecordingApi, AsyncRoomApi, AsyncRecordingApi])
def test_settings_from_environment(api_class: type[Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """Explicit argument > JELLYFISH_* > 0.4.0's defaults, for each setting on its own."""
    monkeypatch.setenv("JELLYFISH_ADDRESS", "env-host:4000")
    monkeypatch.setenv("JELLYFISH_TOKEN", "env-token")
    monkeypatch.setenv("JELLYFISH_SECURE", "true")
    api = api_class()
    assert api.server_address == "env-host:4000"
    assert api._settings.auth_headers["Authorization"] == "Bearer env-token"
    assert api._settings.base_url(api.server_address) == "https://env-host:4000"
    api = api_class("arg-host:5000", "arg-token", False)
    assert api.server_address == "arg-host:5000"
    assert api._settings.auth_headers["Authorization"] == "Bearer arg-token"
    assert api._settings.base_url(api.server_address) == "http://arg-host:5000"
    monkeypatch.setenv("JELLYFISH_SECURE", "maybe")
    with pytest.raises(ValueError, match="JELLYFISH_SECURE"):
        api_class()


def test_env_configured_client_reaches_the_server(
    server: StubServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JELLYFISH_ADDRESS", server.address)
    monkeypatch.setenv("JELLYFISH_TOKEN", "from-env")
    monkeypatch.delenv("JELLYFISH_SECURE", raising=False)
    with RoomApi() as api:
        assert api.get_room("r1").id == "r1"
    assert server.requests[-1][3]["authorization"] == "Bearer from-env"


def test_repr_shows_address_and_state_never_the_token() -> None:
    api = RoomApi("jf:5002", "s3cret", secure=True)
    assert repr(api) == (
        "RoomApi(server_address='jf:5002', secure=True, timeout=10.0, state='open')"
    )
    api.close()
    assert repr(api) == (
        "RoomApi(server_address='jf:5002', secure=True, timeout=10.0, state='closed')"
    )
    assert api.closed
    recordings = AsyncRecordingApi("jf:5002", "s3cret", timeout=None)
    assert repr(recordings) == (
        "AsyncRecordingApi(server_address='jf:5002', secure=False, timeout=None, state='open')"
    )
    for shown in (api, recordings, api._settings, recordings._settings):
        assert "s3cret" not in repr(shown)


def test_async_api_moves_to_a_new_event_loop(server: StubServer) -> None:
    """A second anyio.run (a new event loop) gets a fresh pool instead of dead connections."""
    import anyio

    api = AsyncRoomApi(server.address)

    async def call() -> str:
        return (await api.get_room("r1")).id

    assert anyio.run(call, backend="trio") == "r1"
    first = api._http_client
    assert anyio.run(call, backend="trio") == "r1"
    second = api._http_client
    assert first is not None
    assert second is not None
    assert first is not second
    assert server.connections == 2
    anyio.run(first.aclose, backend="trio")  # trio sockets can be closed from any run
    anyio.run(api.aclose, backend="trio")
    assert second.is_closed


def test_stream_stopped_early_releases_the_connection(server: StubServer) -> None:
    with RoomApi(server.address) as api:
        with api.stream_hls_content("r1", "seg1.m4s", chunk_size=1024) as chunks:
            assert len(next(iter(chunks))) == 1024
        assert api.get_room("r1").id == "r1"


@pytest.mark.anyio
async def test_async_stream_stopped_early_releases_the_connection(server: StubServer) -> None:
    async with AsyncRoomApi(server.address) as api:
        async with api.stream_hls_content("r1", "seg1.m4s", chunk_size=1024) as chunks:
            async for chunk in chunks:
                assert len(chunk) == 1024
                break
        assert (await api.get_room("r1")).id == "r1"
