# ruff: noqa: E501
"""REST conformance (§1, §2, §3 and the controller tests of §10)."""

from __future__ import annotations

import gc
import inspect
import queue
import socket
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from support.convergence import wait_until

from jellyfish.testing import JellyfishServer
from jellyfish.testing._rest import RestApi, playlist_has_part

from .helpers import Rest

JSON = "application/json; charset=utf-8"


@pytest.fixture
def rest(jellyfish_shared_server: Any) -> Iterator[Rest]:
    with Rest(jellyfish_shared_server) as client:
        yield client


def error(response: httpx.Response) -> Any:
    return response.json()["errors"]


# --- auth and envelopes -----------------------------------------------------------------


def test_auth_invalid_missing_and_correct_token(jellyfish_shared_server: Any) -> None:
    url = jellyfish_shared_server.http_url
    token = jellyfish_shared_server.token
    wrong = httpx.post(f"{url}/room", headers={"authorization": "Bearer wrong"})
    assert (wrong.status_code, wrong.json()) == (401, {"errors": "Invalid token"})
    assert wrong.headers["content-type"] == JSON
    for headers in ({}, {"authorization": f"bearer {token}"}, {"authorization": f"Bearer{token}"}):
        missing = httpx.post(f"{url}/room", headers=headers)
        assert (missing.status_code, missing.json()) == (401, {"errors": "Missing token"})
    twice = httpx.post(
        f"{url}/room",
        headers=[("authorization", f"Bearer {token}"), ("authorization", f"Bearer {token}")],
    )
    assert error(twice) == "Missing token"
    ok = httpx.post(f"{url}/room", headers={"authorization": f"Bearer {token}"})
    assert ok.status_code == 201
    httpx.delete(
        f"{url}/room/{ok.json()['data']['room']['id']}",
        headers={"authorization": f"Bearer {token}"},
    )


def test_health_requires_auth_and_reports_up(rest: Rest, jellyfish_shared_server: Any) -> None:
    assert httpx.get(f"{jellyfish_shared_server.http_url}/health").status_code == 401
    response = rest.request("GET", "/health")
    data = response.json()["data"]
    assert response.status_code == 200
    assert data["status"] == "UP"
    assert data["version"] == "0.5.0"
    assert data["gitCommit"] == "dev" or len(data["gitCommit"]) == 7
    assert isinstance(data["uptime"], int)
    assert set(data["distribution"]) == {"enabled", "nodeStatus", "nodesInCluster"}


@pytest.mark.emulator_only
def test_health_distribution_values(rest: Rest) -> None:
    data = rest.request("GET", "/health").json()["data"]
    assert data["distribution"] == {"enabled": False, "nodeStatus": "DOWN", "nodesInCluster": 0}


def test_unknown_route_and_wrong_method_are_404_before_auth(jellyfish_shared_server: Any) -> None:
    url = jellyfish_shared_server.http_url
    for method, path in (
        ("GET", "/nope"),
        ("PUT", "/room"),
        ("PATCH", "/room/x"),
        ("GET", "/room/x/peer"),
    ):
        response = httpx.request(method, f"{url}{path}")
        assert response.status_code == 404
        assert response.json() == {"errors": {"detail": "Not Found"}}


def test_not_acceptable_before_auth(jellyfish_shared_server: Any) -> None:
    response = httpx.get(
        f"{jellyfish_shared_server.http_url}/room", headers={"accept": "text/html"}
    )
    assert response.status_code == 406
    assert response.json() == {"errors": {"detail": "Not Acceptable"}}


def test_malformed_json_is_framework_400(rest: Rest) -> None:
    response = rest.request(
        "POST", "/room", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json() == {"errors": {"detail": "Bad Request"}}


@pytest.mark.parametrize(
    "body", [b'{"roomId": "\\ud800"}', b'{"maxPeers": NaN}', b'{"a": Infinity}', b"\xff\xfe"]
)
def test_json_that_jason_rejects_is_framework_400(rest: Rest, body: bytes) -> None:
    response = rest.request(
        "POST", "/room", content=body, headers={"content-type": "application/json"}
    )
    assert (response.status_code, response.json()) == (400, {"errors": {"detail": "Bad Request"}})


def test_non_object_json_body_is_treated_as_empty(rest: Rest) -> None:
    for body in (b"[1, 2]", b"null", b'"text"', b"5"):
        response = rest.request(
            "POST", "/room", content=body, headers={"content-type": "application/json"}
        )
        assert response.status_code == 201
        rest.request("DELETE", f"/room/{response.json()['data']['room']['id']}")
    response = rest.request(
        "POST", "/room/x/peer", content=b"[1]", headers={"content-type": "application/json"}
    )
    assert response.json() == {"errors": "Invalid request body structure"}


def test_form_and_query_parameters_nest_like_plug(rest: Rest) -> None:
    response = rest.request("POST", "/room?roomId=query-room-1", data={"videoCodec": "h264"})
    assert response.status_code == 201
    room = response.json()["data"]["room"]
    assert (room["id"], room["config"]["videoCodec"]) == ("query-room-1", "h264")
    peer = rest.request("POST", "/room/query-room-1/peer", data={"type": "webrtc"})
    assert peer.status_code == 201
    body = {"type": "hls", "options[subscribeMode]": "manual"}
    hls = rest.request("POST", "/room/query-room-1/component", data=body).json()["data"]
    assert hls["properties"]["subscribeMode"] == "manual"
    path = f"/room/query-room-1/component/{hls['id']}/subscribe?origins[]=a&origins[]=b"
    assert rest.request("POST", path).status_code == 201
    rest.request("DELETE", "/room/query-room-1")


def test_body_without_json_content_type_is_ignored(rest: Rest) -> None:
    response = rest.request(
        "POST", "/room", content=b'{"maxPeers": "x"}', headers={"content-type": "text/plain"}
    )
    assert response.status_code == 201
    assert response.json()["data"]["room"]["config"]["maxPeers"] is None
    rest.request("DELETE", f"/room/{response.json()['data']['room']['id']}")


def test_oversized_body_is_413(rest: Rest) -> None:
    body = b'{"x": "' + b"a" * 8_000_001 + b'"}'
    response = rest.request(
        "POST", "/room", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json() == {"errors": {"detail": "Request Entity Too Large"}}


def test_trailing_slash_is_accepted(rest: Rest) -> None:
    room_id, _ = rest.create_room()
    assert rest.request("GET", f"/room/{room_id}/").status_code == 200
    assert rest.request("DELETE", f"/room/{room_id}/").status_code == 204


# --- rooms ----------------------------------------------------------------------------------


def test_list_rooms_empty_then_one(jellyfish_server: Any) -> None:
    with Rest(jellyfish_server) as rest:
        before = {room["id"] for room in rest.request("GET", "/room").json()["data"]}
        if isinstance(jellyfish_server, JellyfishServer):  # a real one may hold other rooms
            assert before == set()
        room_id, _ = rest.create_room()
        rooms = rest.request("GET", "/room").json()["data"]
        assert {room["id"] for room in rooms} - before == {room_id}


def test_create_room_renders_room(rest: Rest, jellyfish_shared_server: Any) -> None:
    room_id, data = rest.create_room(maxPeers=10, peerlessPurgeTimeout=60)
    room = data["room"]
    assert uuid.UUID(room_id).version == 4
    assert room["config"] == {
        "roomId": room_id,
        "maxPeers": 10,
        "videoCodec": None,
        "webhookUrl": None,
        "peerlessPurgeTimeout": 60,
        "peerDisconnectedTimeout": None,
    }
    assert room["components"] == []
    assert room["peers"] == []
    assert data["jellyfish_address"] == jellyfish_shared_server.address
    assert "://" not in data["jellyfish_address"]
    rest.request("DELETE", f"/room/{room_id}")


def test_custom_room_id_and_nulls(rest: Rest) -> None:
    custom = f"custom-{uuid.uuid4().hex[:8]}"
    room_id, data = rest.create_room(roomId=custom, videoCodec="h264")
    assert room_id == custom
    config = data["room"]["config"]
    assert config["maxPeers"] is None
    assert config["peerlessPurgeTimeout"] is None
    assert config["videoCodec"] == "h264"
    duplicate = rest.request("POST", "/room", json={"roomId": custom})
    assert duplicate.status_code == 400
    assert error(duplicate) == f'Cannot add room with id "{custom}" - room already exists'
    rest.request("DELETE", f"/room/{custom}")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"maxPeers": "nan"}, "Expected maxPeers to be a number, got: nan"),
        ({"maxPeers": 10.0}, "Expected maxPeers to be a number, got: 10.0"),
        ({"maxPeers": -1}, "Expected maxPeers to be a number, got: -1"),
        ({"videoCodec": "nan"}, "Expected videoCodec to be 'h264' or 'vp8', got: nan"),
        ({"videoCodec": "H264"}, "Expected videoCodec to be 'h264' or 'vp8', got: H264"),
        ({"webhookUrl": "nan"}, "Expected webhookUrl to be valid URL, got: nan"),
        (
            {"webhookUrl": "http://example.com"},
            "Expected webhookUrl to be valid URL, got: http://example.com",
        ),
        (
            {"webhookUrl": "localhost:5000/webhook"},
            "Expected webhookUrl to be valid URL, got: localhost:5000/webhook",
        ),
        (
            {"peerlessPurgeTimeout": "nan"},
            "Expected peerlessPurgeTimeout to be a positive integer, got: nan",
        ),
        (
            {"peerlessPurgeTimeout": 0},
            "Expected peerlessPurgeTimeout to be a positive integer, got: 0",
        ),
        (
            {"peerDisconnectedTimeout": "nan"},
            "Expected peerDisconnectedTimeout to be a positive integer, got: nan",
        ),
        (
            {"peerDisconnectedTimeout": -5},
            "Expected peerDisconnectedTimeout to be a positive integer, got: -5",
        ),
        (
            {"peerDisconnectedTimeout": True},
            "Expected peerDisconnectedTimeout to be a positive integer, got: true",
        ),
        (
            {"roomId": "test/path"},
            'Cannot add room with id "test/path" - roomId may contain only alphanumeric characters and hyphens',
        ),
        (
            {"roomId": ""},
            'Cannot add room with id "" - roomId may contain only alphanumeric characters and hyphens',
        ),
        (
            {"roomId": "a_b"},
            'Cannot add room with id "a_b" - roomId may contain only alphanumeric characters and hyphens',
        ),
        (
            {"roomId": 12},
            'Cannot add room with id "12" - roomId may contain only alphanumeric characters and hyphens',
        ),
        # check order: roomId first, then maxPeers, ...
        (
            {"roomId": "x/y", "maxPeers": "a"},
            'Cannot add room with id "x/y" - roomId may contain only alphanumeric characters and hyphens',
        ),
        ({"maxPeers": "a", "videoCodec": "x"}, "Expected maxPeers to be a number, got: a"),
        (
            {"videoCodec": "x", "webhookUrl": "x"},
            "Expected videoCodec to be 'h264' or 'vp8', got: x",
        ),
    ],
)
def test_create_room_validation(rest: Rest, body: dict[str, Any], message: str) -> None:
    response = rest.request("POST", "/room", json=body)
    assert response.status_code == 400
    assert response.json() == {"errors": message}


@pytest.mark.parametrize(
    "url", ["http://example.com/", "ftp://x/y", "http:///path", "https://h:1/w?q=1"]
)
def test_accepted_webhook_urls(rest: Rest, url: str) -> None:
    room_id, data = rest.create_room(webhookUrl=url)
    assert data["room"]["config"]["webhookUrl"] == url
    rest.request("DELETE", f"/room/{room_id}")


def test_max_peers_zero_blocks_every_add_and_null_is_absent(rest: Rest) -> None:
    room_id, data = rest.create_room(maxPeers=0, videoCodec=None, roomId=None)
    assert data["room"]["config"]["maxPeers"] == 0
    response = rest.request("POST", f"/room/{room_id}/peer", json={"type": "webrtc"})
    assert (response.status_code, error(response)) == (503, f"Reached peer limit in room {room_id}")
    rest.request("DELETE", f"/room/{room_id}")


def test_non_string_webhook_url_is_500(rest: Rest) -> None:
    response = rest.request("POST", "/room", json={"webhookUrl": 5})
    assert response.status_code == 500
    assert response.json() == {"errors": {"detail": "Internal Server Error"}}


def test_get_and_delete_room(rest: Rest) -> None:
    room_id, _ = rest.create_room()
    assert rest.room(room_id)["id"] == room_id
    deleted = rest.request("DELETE", f"/room/{room_id}")
    assert (deleted.status_code, deleted.content) == (204, b"")
    missing = rest.request("GET", f"/room/{room_id}")
    assert (missing.status_code, missing.json()) == (
        404,
        {"errors": f"Room {room_id} does not exist"},
    )
    assert rest.request("DELETE", f"/room/{room_id}").status_code == 404


# --- peers ----------------------------------------------------------------------------------


@pytest.mark.emulator_only
def test_add_peer_renders_peer(rest: Rest, jellyfish_shared_server: Any) -> None:
    room_id, _ = rest.create_room()
    response = rest.request("POST", f"/room/{room_id}/peer", json={"type": "webrtc", "options": {}})
    assert response.status_code == 201
    data = response.json()["data"]
    assert data["peer"]["type"] == "webrtc"
    assert data["peer_websocket_url"] == f"{jellyfish_shared_server.address}/socket/peer/websocket"
    peer = rest.room(room_id)["peers"][0]
    assert peer == {
        "id": data["peer"]["id"],
        "type": "webrtc",
        "status": "disconnected",
        "tracks": [],
        "metadata": None,
    }
    assert jellyfish_shared_server.verify_peer_token(data["token"]) == (room_id, peer["id"])
    rest.request("DELETE", f"/room/{room_id}")


def test_add_peer_errors_and_order(rest: Rest) -> None:
    missing_room = f"missing-{uuid.uuid4().hex[:6]}"
    cases = [
        (f"/room/{missing_room}/peer", {}, 400, "Invalid request body structure"),
        (f"/room/{missing_room}/peer", {"type": "nonsense"}, 400, "Invalid peer type"),
        (
            f"/room/{missing_room}/peer",
            {"type": "webrtc"},
            404,
            f"Room {missing_room} does not exist",
        ),
    ]
    for path, body, status, message in cases:
        response = rest.request("POST", path, json=body)
        assert (response.status_code, error(response)) == (status, message)
    room_id, _ = rest.create_room(maxPeers=1)
    bad = rest.request(
        "POST", f"/room/{room_id}/peer", json={"type": "webrtc", "options": {"enableSimulcast": 1}}
    )
    assert (bad.status_code, error(bad)) == (400, "Invalid request body structure")
    rest.add_peer(room_id)
    limit = rest.request("POST", f"/room/{room_id}/peer", json={"type": "webrtc"})
    assert (limit.status_code, error(limit)) == (503, f"Reached peer limit in room {room_id}")
    rest.request("DELETE", f"/room/{room_id}")


def test_delete_peer(rest: Rest) -> None:
    room_id, _ = rest.create_room()
    peer_id, _, _ = rest.add_peer(room_id)
    assert rest.request("DELETE", f"/room/{room_id}/peer/{peer_id}").status_code == 204
    again = rest.request("DELETE", f"/room/{room_id}/peer/{peer_id}")
    assert (again.status_code, error(again)) == (404, f"Peer {peer_id} does not exist")
    no_room = rest.request("DELETE", f"/room/nope-{room_id}/peer/{peer_id}")
    assert (no_room.status_code, error(no_room)) == (404, f"Room nope-{room_id} does not exist")
    rest.request("DELETE", f"/room/{room_id}")


def test_peer_options_null_crashes_room(jellyfish_server: Any) -> None:
    with Rest(jellyfish_server) as rest:
        room_id, _ = rest.create_room()
        other, _ = rest.create_room()
        response = rest.request(
            "POST", f"/room/{room_id}/peer", json={"type": "webrtc", "options": None}
        )
        assert response.status_code == 500
        assert response.json() == {"errors": {"detail": "Internal Server Error"}}
        listed = {room["id"] for room in rest.request("GET", "/room").json()["data"]}
        assert other in listed
        assert room_id not in listed


# --- components -------------------------------------------------------------------------------


def test_component_generic_errors(rest: Rest) -> None:
    response = rest.request("POST", "/room/abc/component", json={"type": "nonsense"})
    assert (response.status_code, error(response)) == (400, "Invalid component type")
    response = rest.request("POST", "/room/abc/component", json={})
    assert (response.status_code, error(response)) == (400, "Invalid request body structure")
    response = rest.request("POST", "/room/abc/component", json={"type": "hls"})
    assert (response.status_code, error(response)) == (404, "Room abc does not exist")
    room_id, _ = rest.create_room()
    response = rest.request("DELETE", f"/room/{room_id}/component/test123")
    assert (response.status_code, error(response)) == (404, "Component test123 does not exist")
    response = rest.request("DELETE", "/room/abc/component/test123")
    assert (response.status_code, error(response)) == (404, "Room abc does not exist")
    rest.request("DELETE", f"/room/{room_id}")


def test_hls_component(rest: Rest) -> None:
    room_id, _ = rest.create_room(videoCodec="h264")
    response = rest.request(
        "POST",
        f"/room/{room_id}/component",
        json={
            "type": "hls",
            "options": {
                "s3": {"accessKeyId": "a", "secretAccessKey": "b", "region": "c", "bucket": "d"}
            },
        },
    )
    assert response.status_code == 201
    component = response.json()["data"]
    assert uuid.UUID(component["id"]).version == 4
    assert component["type"] == "hls"
    assert component["tracks"] == []
    assert component["properties"] == {
        "playable": False,
        "lowLatency": False,
        "persistent": False,
        "targetWindowDuration": None,
        "subscribeMode": "auto",
        "s3": None,
    }
    second = rest.request("POST", f"/room/{room_id}/component", json={"type": "hls"})
    assert (second.status_code, error(second)) == (
        400,
        f"Reached hls components limit for component in room {room_id}",
    )
    assert rest.request("DELETE", f"/room/{room_id}/component/{component['id']}").status_code == 204
    rest.request("DELETE", f"/room/{room_id}")


def test_hls_properties_reflect_options(rest: Rest) -> None:
    room_id, _ = rest.create_room(videoCodec="h264")
    options = {
        "persistent": True,
        "targetWindowDuration": 10,
        "lowLatency": True,
        "subscribeMode": "manual",
    }
    response = rest.request(
        "POST", f"/room/{room_id}/component", json={"type": "hls", "options": options}
    )
    assert response.json()["data"]["properties"] == {"playable": False, "s3": None, **options}
    rest.request("DELETE", f"/room/{room_id}")


@pytest.mark.parametrize("codec", ["vp8", None])
@pytest.mark.parametrize("component_type", ["hls", "recording", "rtsp"])
def test_codec_admission(rest: Rest, codec: str | None, component_type: str) -> None:
    room_id, _ = rest.create_room(videoCodec=codec)
    # admission runs before options validation: invalid options still give the codec error
    response = rest.request(
        "POST", f"/room/{room_id}/component", json={"type": component_type, "options": {"x": 1}}
    )
    assert (response.status_code, error(response)) == (
        400,
        f"Incompatible video codec enforced in room {room_id}",
    )
    rest.request("DELETE", f"/room/{room_id}")


def test_rtsp_component(rest: Rest) -> None:
    room_id, _ = rest.create_room(videoCodec="h264")
    response = rest.request(
        "POST",
        f"/room/{room_id}/component",
        json={"type": "rtsp", "options": {"sourceUri": "rtsp://nowhere:554/x"}},
    )
    assert response.status_code == 201
    assert response.json()["data"]["properties"] == {
        "sourceUri": "rtsp://nowhere:554/x",
        "rtpPort": 20000,
        "reconnectDelay": 15000,
        "keepAliveInterval": 15000,
        "pierceNat": True,
    }
    missing = rest.request("POST", f"/room/{room_id}/component", json={"type": "rtsp"})
    assert (missing.status_code, error(missing)) == (400, 'Required field "sourceUri" missing')
    two = rest.request(
        "POST", f"/room/{room_id}/component", json={"type": "rtsp", "options": {"rtpPort": 0}}
    )
    assert (two.status_code, error(two)) == (400, "Invalid request body structure")
    rest.request("DELETE", f"/room/{room_id}")


@pytest.mark.emulator_only
def test_file_component(jellyfish_server: Any) -> None:
    sources = jellyfish_server.file_sources_dir
    (sources / "video.h264").write_bytes(b"\x00")
    (sources / "audio.ogg").write_bytes(b"\x00")
    (sources / "noext").write_bytes(b"\x00")
    (sources / "sound.aac").write_bytes(b"\x00")
    with Rest(jellyfish_server) as rest:
        room_id, _ = rest.create_room(videoCodec="vp8")

        def add(options: dict[str, Any] | None) -> httpx.Response:
            body: dict[str, Any] = {"type": "file"}
            if options is not None:
                body["options"] = options
            return rest.request("POST", f"/room/{room_id}/component", json=body)

        video = add({"filePath": "video.h264"})
        assert video.status_code == 201
        assert video.json()["data"]["properties"] == {"filePath": "video.h264", "framerate": 30}
        assert video.json()["data"]["tracks"] == []  # the track comes with TrackAdded
        audio = add({"filePath": "audio.ogg"})
        assert audio.json()["data"]["properties"] == {"filePath": "audio.ogg", "framerate": None}
        cases = [
            (None, 400, 'Required field "filePath" missing'),
            ({"filePath": "video.h264", "framerate": "abc"}, 400, "Invalid framerate passed"),
            ({"filePath": "../video.h264"}, 400, "Invalid file path"),
            ({"filePath": "."}, 400, "Invalid file path"),
            ({"filePath": "missing.h264"}, 404, "File not found"),
            ({"filePath": "video.h264", "framerate": -123}, 400, "Invalid framerate passed"),
            (
                {"filePath": "audio.ogg", "framerate": 30},
                400,
                "Attempted to set framerate for audio component which is not supported.",
            ),
            ({"filePath": "noext"}, 400, "Unsupported file type"),
            ({"filePath": "sound.aac"}, 400, "Unsupported file type"),
        ]
        for options, status, message in cases:
            response = add(options)
            assert (response.status_code, error(response)) == (status, message), options


def test_sip_component_disabled_crashes_room(jellyfish_server: Any) -> None:
    with Rest(jellyfish_server) as rest:
        room_id, _ = rest.create_room()
        missing = rest.request("POST", f"/room/{room_id}/component", json={"type": "sip"})
        assert (missing.status_code, error(missing)) == (
            400,
            'Required field "registrarCredentials" missing',
        )
        credentials = {"address": "my-sip-registrar.net", "username": "u", "password": "p"}
        response = rest.request(
            "POST",
            f"/room/{room_id}/component",
            json={"type": "sip", "options": {"registrarCredentials": credentials}},
        )
        assert response.status_code == 500
        assert rest.request("GET", f"/room/{room_id}").status_code == 404


@pytest.fixture
def sip_server() -> Iterator[Any]:
    from jellyfish.testing import JellyfishServer

    with JellyfishServer(sip_enabled=True) as server:
        yield server


@pytest.mark.emulator_only
def test_sip_component_dial_and_end_call(sip_server: Any) -> None:
    credentials = {"address": "1.2.3.4:5060", "username": "u", "password": "p"}
    with Rest(sip_server) as rest:
        room_id, _ = rest.create_room()
        response = rest.request(
            "POST",
            f"/room/{room_id}/component",
            json={"type": "sip", "options": {"registrarCredentials": credentials}},
        )
        assert response.status_code == 201
        sip = response.json()["data"]
        assert sip["properties"] == {"registrarCredentials": credentials}
        nested = rest.request(
            "POST",
            f"/room/{room_id}/component",
            json={"type": "sip", "options": {"registrarCredentials": {"address": "a"}}},
        )
        assert error(nested) == 'Required field "username" missing'
        file_like = rest.request(
            "POST",
            f"/room/{room_id}/component",
            json={"type": "rtsp", "options": {"sourceUri": "x"}},
        )
        assert file_like.status_code == 400  # vp8-less room: codec error, not a sip component
        hls_room, _ = rest.create_room(videoCodec="h264")
        hls = rest.request("POST", f"/room/{hls_room}/component", json={"type": "hls"}).json()[
            "data"
        ]

        def dial(room: str, component: str, body: dict[str, Any]) -> httpx.Response:
            return rest.request("POST", f"/sip/{room}/{component}/call", json=body)

        assert error(dial(room_id, sip["id"], {})) == "Invalid request body structure"
        missing_room = dial("invalid_room_id", sip["id"], {"phoneNumber": "+123456"})
        assert (missing_room.status_code, error(missing_room)) == (
            404,
            "Room invalid_room_id does not exist",
        )
        missing = dial(room_id, "invalid_component_id", {"phoneNumber": "+123456"})
        assert (missing.status_code, error(missing)) == (
            400,
            "Component invalid_component_id does not exist",
        )
        not_sip = dial(hls_room, hls["id"], {"phoneNumber": "+123456"})
        assert (not_sip.status_code, error(not_sip)) == (
            400,
            f"Component {hls['id']} is not a SIP component",
        )
        ok = dial(room_id, sip["id"], {"phoneNumber": "+123456"})
        assert (ok.status_code, ok.text) == (
            201,
            "Successfully schedule calling phone_number: +123456",
        )
        end_not_sip = rest.request("DELETE", f"/sip/{hls_room}/{hls['id']}/call")
        assert (end_not_sip.status_code, error(end_not_sip)) == (
            400,
            f"Component {hls['id']} is not SIP component",
        )
        end = rest.request("DELETE", f"/sip/{room_id}/{sip['id']}/call")
        assert (end.status_code, end.content) == (204, b"")
        subscribe = rest.request(
            "POST", f"/room/{room_id}/component/{sip['id']}/subscribe", json={"origins": []}
        )
        assert (subscribe.status_code, error(subscribe)) == (
            400,
            "Subscribe mode is supported only for HLS and Recording components",
        )


@pytest.mark.emulator_only
def test_recording_component() -> None:
    from jellyfish.testing import JellyfishServer

    credentials = {"accessKeyId": "a", "secretAccessKey": "b", "region": "c", "bucket": "d"}
    with JellyfishServer() as server, Rest(server) as rest:
        room_id, _ = rest.create_room(videoCodec="h264")

        def add(options: dict[str, Any], room_id: str = room_id) -> httpx.Response:
            return rest.request(
                "POST", f"/room/{room_id}/component", json={"type": "recording", "options": options}
            )

        assert (
            error(add({}))
            == "S3 credentials has to be passed either by request or at application startup as envs"
        )
        assert (
            error(add({"credentials": {"accessKeyId": "a", "secretAccessKey": "b", "region": "c"}}))
            == 'Required field "bucket" missing'
        )
        ok = add({"credentials": credentials})
        assert ok.status_code == 201
        assert ok.json()["data"]["properties"] == {"subscribeMode": "auto"}
        limit = add({"credentials": credentials})
        assert error(limit) == f"Reached recording components limit for component in room {room_id}"
    with (
        JellyfishServer(s3_credentials=credentials, s3_path_prefix="prefix") as server,
        Rest(server) as rest,
    ):
        room_id, _ = rest.create_room(videoCodec="h264")

        def add(options: dict[str, Any], room_id: str = room_id) -> httpx.Response:
            return rest.request(
                "POST", f"/room/{room_id}/component", json={"type": "recording", "options": options}
            )

        assert error(add({"credentials": credentials})) == (
            "Conflicting S3 credentials supplied via environment variables and the REST API. Overrides on existing values are disallowed"
        )
        assert error(add({"pathPrefix": "x"})) == (
            "Conflicting S3 path prefix supplied via environment variables and the REST API. Overrides on existing values are disallowed"
        )
        assert add({"subscribeMode": "manual"}).json()["data"]["properties"] == {
            "subscribeMode": "manual"
        }


# --- subscribe -------------------------------------------------------------------------------


def test_subscribe(rest: Rest) -> None:
    room_id, _ = rest.create_room(videoCodec="h264")
    assert (
        rest.request("POST", "/room/nope/component/x/subscribe", json={"origins": []}).status_code
        == 404
    )
    no_origins = rest.request("POST", "/room/nope/component/x/subscribe", json={})
    assert (no_origins.status_code, error(no_origins)) == (400, "Invalid request body structure")
    invalid = rest.request(
        "POST", f"/room/{room_id}/component/invalid_component_id/subscribe", json={"origins": []}
    )
    assert (invalid.status_code, error(invalid)) == (
        400,
        "Component invalid_component_id does not exist",
    )
    auto = rest.request("POST", f"/room/{room_id}/component", json={"type": "hls"}).json()["data"]
    response = rest.request(
        "POST", f"/room/{room_id}/component/{auto['id']}/subscribe", json={"origins": ["a"]}
    )
    assert (response.status_code, error(response)) == (
        400,
        f"Component {auto['id']} option `subscribe_mode` is set to :auto",
    )
    rest.request("DELETE", f"/room/{room_id}/component/{auto['id']}")
    manual = rest.request(
        "POST",
        f"/room/{room_id}/component",
        json={"type": "hls", "options": {"subscribeMode": "manual"}},
    ).json()["data"]
    ok = rest.request(
        "POST",
        f"/room/{room_id}/component/{manual['id']}/subscribe/",
        json={"origins": ["peer-1", "file-2"]},
    )
    assert (ok.status_code, ok.text) == (201, "Successfully subscribed for tracks")
    rest.request("DELETE", f"/room/{room_id}")


@pytest.mark.emulator_only
def test_subscribe_recording_manual() -> None:
    from jellyfish.testing import JellyfishServer

    credentials = {"accessKeyId": "a", "secretAccessKey": "b", "region": "c", "bucket": "d"}
    with JellyfishServer(s3_credentials=credentials) as server, Rest(server) as rest:
        room_id, _ = rest.create_room(videoCodec="h264")
        body = {"type": "recording", "options": {"subscribeMode": "manual"}}
        recording = rest.request("POST", f"/room/{room_id}/component", json=body).json()["data"]
        ok = rest.request(
            "POST",
            f"/room/{room_id}/component/{recording['id']}/subscribe",
            json={"origins": ["peer-1", "file-2"]},
        )
        assert (ok.status_code, ok.text) == (201, "Successfully subscribed for tracks")


# --- recordings and hls content ----------------------------------------------------------------


@pytest.mark.emulator_only(in_process=True)  # an empty recordings directory
def test_recordings_and_recording_content(jellyfish_server: Any) -> None:
    url = jellyfish_server.http_url
    recording = jellyfish_server.recordings_dir / "rec-1"
    recording.mkdir(parents=True)
    (recording / "index.m3u8").write_bytes(b"#EXTM3U\n")
    with Rest(jellyfish_server) as rest:
        assert rest.request("GET", "/recording").json() == {"data": ["rec-1"]}
        manifest = httpx.get(f"{url}/recording/rec-1/index.m3u8")  # no auth
        assert (manifest.status_code, manifest.content) == (200, b"#EXTM3U\n")
        assert manifest.headers["content-type"] == "application/vnd.apple.mpegurl"
        wrong = httpx.get(f"{url}/recording/rec-1/nope.m3u8")
        assert (wrong.status_code, error(wrong)) == (404, "File not found")
        escape = httpx.get(f"{url}/recording/rec-1/..%2F..%2Fetc")
        assert (escape.status_code, error(escape)) == (400, "Invalid filename, got: ../../etc")
        bad_id = httpx.get(f"{url}/recording/..%2Fx/index.m3u8")
        assert (bad_id.status_code, error(bad_id)) == (400, "Invalid recording, got: ../x")
        dot = rest.request("DELETE", "/recording/%2E")
        assert (dot.status_code, error(dot)) == (400, "Invalid recording id, got: .")
        # a live recording (its room still has the persistent hls component) is hidden
        room_id, _ = rest.create_room(roomId="live-rec", videoCodec="h264")
        rest.request(
            "POST",
            f"/room/{room_id}/component",
            json={"type": "hls", "options": {"persistent": True}},
        )
        assert rest.request("GET", "/recording").json() == {"data": ["rec-1"]}
        assert httpx.get(f"{url}/recording/live-rec/index.m3u8").status_code == 404
        assert rest.request("DELETE", "/recording/rec-1").status_code == 204
        gone = rest.request("DELETE", "/recording/rec-1")
        assert (gone.status_code, error(gone)) == (404, "Recording not found")


LL_PLAYLIST = """#EXTM3U
#EXT-X-VERSION:6
#EXT-X-TARGETDURATION:6
#EXT-X-MEDIA-SEQUENCE:10
#EXT-X-PART:DURATION=1.1,URI="muxed_segment_10_part_0.m4s"
#EXT-X-PART:DURATION=1.1,URI="muxed_segment_10_part_1.m4s"
#EXTINF:2.2,
muxed_segment_10.m4s
#EXT-X-PART:DURATION=1.1,URI="muxed_segment_11_part_0.m4s"
"""


@pytest.mark.emulator_only
def test_hls_content(jellyfish_server: Any) -> None:
    url = jellyfish_server.http_url
    with Rest(jellyfish_server) as rest:
        room_id, _ = rest.create_room(videoCodec="h264")
        component = rest.add_component(room_id, "hls", lowLatency=True)
        directory = jellyfish_server.hls_directory(room_id)
        assert directory == jellyfish_server.resources_dir / "temporary_hls" / room_id
        (directory / "index.m3u8").write_text(LL_PLAYLIST)
        (directory / "index_delta.m3u8").write_bytes(b"delta")
        (directory / "muxed_segment_1_part.m4s").write_bytes(b"part")
        assert httpx.get(f"{url}/hls/{room_id}/index.m3u8").text == LL_PLAYLIST
        assert httpx.get(f"{url}/hls/{room_id}/index.m3u8?_HLS_skip=YES").content == b"delta"
        ll = httpx.get(f"{url}/hls/{room_id}/index.m3u8?_HLS_msn=11&_HLS_part=0")
        assert (ll.status_code, ll.headers["content-type"], ll.text) == (
            200,
            "application/vnd.apple.mpegurl",
            LL_PLAYLIST,
        )
        assert httpx.get(f"{url}/hls/{room_id}/muxed_segment_1_part.m4s").content == b"part"
        missing = httpx.get(f"{url}/hls/{room_id}/nope.m4s")
        assert (missing.status_code, error(missing)) == (404, "File not found")
        escape = httpx.get(f"{url}/hls/{room_id}/..%2Fx")
        assert (escape.status_code, error(escape)) == (400, "Invalid filename, got ../x")
        assert httpx.get(f"{url}/hls/wrong-room/index.m3u8").status_code == 404
        rest.request("DELETE", f"/room/{room_id}/component/{component['id']}")
        assert httpx.get(f"{url}/hls/{room_id}/index.m3u8").status_code == 404


@pytest.mark.emulator_only
def test_ll_hls_blocking_playlist_request_waits_for_its_part(jellyfish_server: Any) -> None:
    url = jellyfish_server.http_url
    with Rest(jellyfish_server) as rest:
        room_id, _ = rest.create_room(videoCodec="h264")
        rest.add_component(room_id, "hls", lowLatency=True)
        playlist = jellyfish_server.hls_directory(room_id) / "index.m3u8"
        playlist.write_text(LL_PLAYLIST)
        part_1 = f"{url}/hls/{room_id}/index.m3u8?_HLS_msn=11&_HLS_part=1"
        with pytest.raises(httpx.ReadTimeout):  # held: no answer while the part is missing
            httpx.get(part_1, timeout=httpx.Timeout(5, read=0.3))
        answers: queue.Queue[httpx.Response] = queue.Queue()
        waiting = threading.Thread(target=lambda: answers.put(httpx.get(part_1, timeout=30)))
        waiting.start()
        # Part 1 of segment 11 does not exist yet: the request is held until it appears,
        # so its answer can only be the playlist written below.
        updated = LL_PLAYLIST + '#EXT-X-PART:DURATION=1.1,URI="muxed_segment_11_part_1.m4s"\n'
        playlist.write_text(updated)
        waiting.join(30)
        answer = answers.get(timeout=1)
        assert (answer.status_code, answer.text) == (200, updated)


def held_playlist_requests() -> int:
    """The emulator's LL-HLS blocking playlist requests still held (their handlers' coroutines)."""
    handler = RestApi._blocking_playlist.__code__
    return sum(
        1
        for held in gc.get_objects()
        if inspect.iscoroutine(held) and held.cr_code is handler and held.cr_frame is not None
    )


@pytest.mark.emulator_only(in_process=True)
def test_a_held_playlist_request_ends_when_its_client_disconnects() -> None:
    """The emulator stops holding a blocking playlist request whose client went away.

    It used to poll the playlist for it until the emulator stopped. Two clients wait for a
    part that never comes; one disconnects: its request ends, the other's stays held.
    """
    with JellyfishServer() as server, Rest(server) as rest:
        room_id, _ = rest.create_room(videoCodec="h264")
        rest.add_component(room_id, "hls", lowLatency=True)
        (server.hls_directory(room_id) / "index.m3u8").write_text(LL_PLAYLIST)
        host, port = server.address.rsplit(":", 1)
        request = (
            f"GET /hls/{room_id}/index.m3u8?_HLS_msn=11&_HLS_part=1 HTTP/1.1\r\nhost: x\r\n\r\n"
        )
        before = held_playlist_requests()
        with socket.create_connection((host, int(port))) as staying:
            with socket.create_connection((host, int(port))) as leaving:
                for client in (staying, leaving):
                    client.sendall(request.encode())
                wait_until(lambda: held_playlist_requests() == before + 2, what="both held")
            wait_until(lambda: held_playlist_requests() == before + 1, what="one released")
            staying.settimeout(0.1)  # still held: no answer
            with pytest.raises(TimeoutError):
                staying.recv(1)
        wait_until(lambda: held_playlist_requests() == before, what="the other released")


@pytest.mark.emulator_only
def test_ll_hls_blocking_request_errors(jellyfish_server: Any) -> None:
    url = jellyfish_server.http_url
    missing = httpx.get(f"{url}/hls/no-room/index.m3u8?_HLS_msn=1&_HLS_part=0")
    assert (missing.status_code, error(missing)) == (404, "File not found")
    garbage = httpx.get(f"{url}/hls/no-room/index.m3u8?_HLS_msn=x&_HLS_part=0")
    assert garbage.status_code == 500
    with Rest(jellyfish_server) as rest:  # no LL-HLS, nothing to wait on: 404 at once
        room_id, _ = rest.create_room(videoCodec="h264")
        rest.request("POST", f"/room/{room_id}/component", json={"type": "hls"})
        (jellyfish_server.hls_directory(room_id) / "index.m3u8").write_text(LL_PLAYLIST)
        regular = httpx.get(f"{url}/hls/{room_id}/index.m3u8?_HLS_msn=1&_HLS_part=0")
        assert (regular.status_code, error(regular)) == (404, "File not found")


@pytest.mark.parametrize(
    ("msn", "part", "listed"),
    [(9, 5, True), (10, 0, True), (10, 7, True), (11, 0, True), (11, 1, False), (12, 0, False)],
)
def test_playlist_has_part(msn: int, part: int, listed: bool) -> None:
    assert playlist_has_part(LL_PLAYLIST, msn, part) is listed
