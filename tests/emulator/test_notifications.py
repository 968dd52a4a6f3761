"""Server WebSocket (§5) and notification sequences (§7.2); integration/server_notification_test."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from jellyfish.events._protos.jellyfish.server_notifications_pb2 import ServerMessage
from jellyfish.testing import FakePeer, JellyfishServer

from .helpers import METRICS, Rest, ServerWs, WebhookReceiver, server_ws


def kinds(items: list[tuple[str, Any]]) -> list[str]:
    return [kind for kind, _ in items]


@pytest.fixture
def rest(jellyfish_server: Any) -> Iterator[Rest]:
    with Rest(jellyfish_server) as client:
        yield client


# --- handshake --------------------------------------------------------------------------------


def test_invalid_token_closes_1000(jellyfish_server: Any) -> None:
    client = ServerWs(jellyfish_server.address)
    client.auth("wrong")
    assert client.wait_closed() == (1000, "invalid token")
    client.close()


def test_invalid_first_message_closes_1000(jellyfish_server: Any) -> None:
    client = ServerWs(jellyfish_server.address)
    client.send(ServerMessage(authenticated=ServerMessage.Authenticated()))
    assert client.wait_closed() == (1000, "invalid auth request")
    client.close()


def test_text_frame_before_auth_closes_1003(jellyfish_server: Any) -> None:
    client = ServerWs(jellyfish_server.address)
    client.ws.send("hello")
    assert client.wait_closed() == (1003, "operation not allowed")
    client.close()


def test_invalid_message_after_auth_closes_1003(jellyfish_server: Any) -> None:
    with server_ws(jellyfish_server.address, jellyfish_server.token, subscribe=()) as client:
        client.send(ServerMessage(authenticated=ServerMessage.Authenticated()))
        assert client.wait_closed() == (1003, "operation not allowed")


def test_second_auth_request_closes_1003(jellyfish_server: Any) -> None:
    with server_ws(jellyfish_server.address, jellyfish_server.token, subscribe=()) as client:
        client.auth(jellyfish_server.token)
        assert client.wait_closed() == (1003, "operation not allowed")


def test_wire_bytes_of_replies(jellyfish_server: Any) -> None:
    client = ServerWs(jellyfish_server.address)
    client.auth(jellyfish_server.token)
    assert client.next().SerializeToString() == bytes.fromhex("3200")
    client.subscribe()
    assert client.next().SerializeToString() == bytes.fromhex("4a020801")
    client.subscribe(METRICS)
    assert client.next().SerializeToString() == bytes.fromhex("4a020802")
    client.close()


def test_no_messages_without_subscription(jellyfish_server: Any, rest: Rest) -> None:
    with (
        server_ws(jellyfish_server.address, jellyfish_server.token, subscribe=()) as silent,
        server_ws(jellyfish_server.address, jellyfish_server.token) as listener,
    ):
        room_id, _ = rest.create_room()
        rest.add_peer(room_id)
        assert kinds(listener.until("peer_added")) == ["room_created", "peer_added"]
        # the subscribed client has seen everything; a later subscription of the silent one
        # gets only its reply first: nothing was queued for it before
        silent.subscribe()
        assert silent.next_kind()[0] == "subscribe_response"
        rest.request("DELETE", f"/room/{room_id}")
        assert silent.next_kind()[0] == "peer_deleted"


def test_resubscribe_is_idempotent(jellyfish_server: Any, rest: Rest) -> None:
    with server_ws(jellyfish_server.address, jellyfish_server.token) as client:
        client.subscribe()
        assert client.next_kind()[0] == "subscribe_response"
        rest.create_room()
        rest.create_room()
        assert kinds([client.next_kind(), client.next_kind()]) == ["room_created", "room_created"]


def test_unspecified_event_type_crashes_socket(jellyfish_server: Any) -> None:
    with server_ws(jellyfish_server.address, jellyfish_server.token, subscribe=()) as client:
        client.subscribe(0)
        assert client.wait_closed()[0] == 1011


def test_garbage_frame_crashes_socket(jellyfish_server: Any) -> None:
    client = ServerWs(jellyfish_server.address)
    client.ws.send_binary(b"\xff\xff\xff")
    assert client.wait_closed()[0] == 1011
    client.close()


def test_heartbeat_pings_start_after_auth() -> None:
    with JellyfishServer(heartbeat_interval=0.02) as server:
        silent = ServerWs(server.address)  # never authenticates
        client = ServerWs(server.address)
        client.auth(server.token)
        assert client.next().WhichOneof("content") == "authenticated"
        for _ in range(3):
            assert client.next(skip_pings=False).WhichOneof("content") is None  # a ping
        assert client.pings >= 3
        assert silent.pings == 0
        silent.close()
        client.close()


def test_metrics_reports(rest: Rest) -> None:
    with JellyfishServer(metrics_interval=0.05) as server, Rest(server) as rest:
        room_id, _ = rest.create_room()
        _, token, url = rest.add_peer(room_id)
        peer = FakePeer(url, token)
        with server_ws(server.address, server.token, subscribe=(METRICS,)) as client:
            while True:
                kind, body = client.next_kind()
                assert kind == "metrics_report"  # no notifications on a metrics subscription
                report = json.loads(body.metrics)
                if f"room_id={room_id}" in report:
                    break
            endpoints = report[f"room_id={room_id}"]
            assert any(key.startswith("endpoint_id=") for key in endpoints)
        peer.close()


# --- sequences ----------------------------------------------------------------------------------


def test_room_created_and_deleted_on_ws_and_webhook(jellyfish_server: Any, rest: Rest) -> None:
    with (
        WebhookReceiver() as hook,
        server_ws(jellyfish_server.address, jellyfish_server.token) as client,
    ):
        room_id, _ = rest.create_room(webhookUrl=hook.url)
        kind, body = client.next_kind()
        assert (kind, body.room_id) == ("room_created", room_id)
        content_type, message = hook.next()
        assert content_type == "application/x-protobuf"
        assert message.room_created.room_id == room_id
        rest.request("DELETE", f"/room/{room_id}")
        assert client.next_kind()[0] == "room_deleted"
        assert hook.next_kind() == "room_deleted"


def test_peer_connects_and_room_is_deleted(jellyfish_server: Any, rest: Rest) -> None:
    with (
        WebhookReceiver() as hook,
        server_ws(jellyfish_server.address, jellyfish_server.token) as client,
    ):
        room_id, _ = rest.create_room(webhookUrl=hook.url)
        _peer_id, token, url = rest.add_peer(room_id)
        peer = FakePeer(url, token)
        assert kinds(client.until("peer_connected")) == [
            "room_created",
            "peer_added",
            "peer_connected",
        ]
        rest.request("DELETE", f"/room/{room_id}")
        assert kinds(client.until("room_deleted")) == ["peer_deleted", "room_deleted"]
        assert peer.wait_closed() == (1000, "Room stopped")
        assert [hook.next_kind() for _ in range(5)] == [
            "room_created",
            "peer_added",
            "peer_connected",
            "peer_deleted",
            "room_deleted",
        ]
        peer.close()


def test_connected_peer_is_removed(jellyfish_server: Any, rest: Rest) -> None:
    with server_ws(jellyfish_server.address, jellyfish_server.token) as client:
        room_id, _ = rest.create_room()
        peer_id, token, url = rest.add_peer(room_id)
        peer = FakePeer(url, token)
        client.until("peer_connected")
        rest.request("DELETE", f"/room/{room_id}/peer/{peer_id}")
        assert kinds(client.until("peer_deleted")) == ["peer_disconnected", "peer_deleted"]
        assert peer.wait_closed() == (1000, "Peer removed")
        peer.close()


def test_room_crash(jellyfish_server: Any, rest: Rest) -> None:
    with (
        WebhookReceiver() as hook,
        server_ws(jellyfish_server.address, jellyfish_server.token) as client,
    ):
        room_id, _ = rest.create_room(webhookUrl=hook.url)
        other_id, _ = rest.create_room()
        _, token, url = rest.add_peer(room_id)
        peer = FakePeer(url, token)
        client.until("peer_connected")
        jellyfish_server.crash_room(room_id)
        kind, body = client.next_kind()
        assert (kind, body.room_id) == ("room_crashed", room_id)
        assert peer.wait_closed() == (1011, "Internal server error")
        assert [hook.next_kind() for _ in range(4)] == [
            "room_created",
            "peer_added",
            "peer_connected",
            "room_crashed",
        ]
        ids = [room["id"] for room in rest.request("GET", "/room").json()["data"]]
        assert other_id in ids  # (a server in another process may have rooms of other tests)
        assert room_id not in ids
        rest.request("DELETE", f"/room/{other_id}")
        assert kinds(client.until("room_deleted")) == ["room_deleted"]  # no PeerDisconnected ever
        peer.close()


def test_peer_socket_killed_keeps_peer(jellyfish_server: Any, rest: Rest) -> None:
    with server_ws(jellyfish_server.address, jellyfish_server.token) as client:
        room_id, _ = rest.create_room()
        _peer_id, token, url = rest.add_peer(room_id)
        peer = FakePeer(url, token)
        client.until("peer_connected")
        peer.kill()
        assert kinds(client.until("peer_disconnected")) == ["peer_disconnected"]
        assert rest.room(room_id)["peers"][0]["status"] == "disconnected"
        # reconnect with the same token
        again = FakePeer(url, token)
        assert again.authenticated
        assert kinds(client.until("peer_connected")) == ["peer_connected"]
        again.close()


def test_peer_metadata_updated(jellyfish_server: Any, rest: Rest) -> None:
    with (
        WebhookReceiver() as hook,
        server_ws(jellyfish_server.address, jellyfish_server.token) as client,
    ):
        room_id, _ = rest.create_room(webhookUrl=hook.url)
        peer_id, token, url = rest.add_peer(room_id)
        peer = FakePeer(url, token)
        reply = peer.connect({"name": "alice"})
        assert reply["type"] == "connected"
        _kind, body = client.until("peer_metadata_updated")[-1]
        assert (body.peer_id, json.loads(body.metadata)) == (peer_id, {"name": "alice"})
        assert rest.room(room_id)["peers"][0]["metadata"] == {"name": "alice"}
        for expected in ("room_created", "peer_added", "peer_connected", "peer_metadata_updated"):
            _content_type, message = hook.next()
            assert message.WhichOneof("content") == expected
        assert json.loads(message.peer_metadata_updated.metadata) == {"name": "alice"}
        peer.close()


@pytest.mark.emulator_only
def test_peer_adds_track_then_disconnects(jellyfish_server: Any, rest: Rest) -> None:
    with server_ws(jellyfish_server.address, jellyfish_server.token) as client:
        room_id, _ = rest.create_room()
        peer_id, token, url = rest.add_peer(room_id)
        peer = FakePeer(url, token)
        client.until("peer_connected")
        track_id = jellyfish_server.add_track(room_id, peer_id, "video", "myvideo")
        kind, body = client.next_kind()
        assert kind == "track_added"
        assert body.peer_id == peer_id
        assert body.track.id == track_id
        assert body.track.type == ServerMessage.TRACK_TYPE_VIDEO
        assert body.track.metadata == '"myvideo"'
        assert rest.room(room_id)["peers"][0]["tracks"] == [
            {"id": track_id, "type": "video", "metadata": "myvideo"}
        ]
        peer.close()
        # socket close: PeerDisconnected first, then TrackRemoved
        assert kinds([client.next_kind(), client.next_kind()]) == [
            "peer_disconnected",
            "track_removed",
        ]
        peer_json = rest.room(room_id)["peers"][0]
        assert (peer_json["status"], peer_json["tracks"]) == ("disconnected", [])


@pytest.mark.emulator_only
def test_rest_delete_of_publishing_peer_orders_track_removed_first(
    jellyfish_server: Any, rest: Rest
) -> None:
    with server_ws(jellyfish_server.address, jellyfish_server.token) as client:
        room_id, _ = rest.create_room()
        peer_id, token, url = rest.add_peer(room_id)
        peer = FakePeer(url, token)
        jellyfish_server.add_track(room_id, peer_id, "audio", None)
        client.until("track_added")
        rest.request("DELETE", f"/room/{room_id}/peer/{peer_id}")
        assert kinds(client.until("peer_deleted")) == [
            "track_removed",
            "peer_disconnected",
            "peer_deleted",
        ]
        peer.close()


@pytest.mark.emulator_only
def test_unparseable_file_stays_listed_until_its_pipeline_ends(
    jellyfish_server: Any, rest: Rest
) -> None:
    """A file with nothing to play: listed with its track until the pipeline reports the end.

    Server: ``lib/jellyfish/component/file.ex`` starts membrane_rtc_engine's file endpoint
    (``file/lib/file_source_endpoint.ex``): it publishes its track when it starts playing
    (``TrackAdded``), and only when the end of stream has gone through the whole pipeline
    (source, parser, payloader, realtimer, track sender) does it notify ``:finished``; then
    the room removes the component with ``TrackRemoved`` only (``lib/jellyfish/room.ex``,
    ``room/state.ex`` ``remove_component``; behaviour reference §2.8 file, §7.2).
    """
    (jellyfish_server.file_sources_dir / "video.h264").write_bytes(b"\x00")
    with server_ws(jellyfish_server.address, jellyfish_server.token) as client:
        room_id, _ = rest.create_room()
        component = rest.add_component(room_id, "file", filePath="video.h264")
        kind, body = client.until("track_added")[-1]
        assert body.component_id == component["id"]
        assert body.track.metadata == "null"
        assert body.track.type == ServerMessage.TRACK_TYPE_VIDEO
        kind, body = client.next_kind()  # no picture in the file: the pipeline ends soon
        assert (kind, body.component_id) == ("track_removed", component["id"])
        assert rest.room(room_id)["components"] == []


@pytest.mark.emulator_only(in_process=True)
def test_unparseable_file_is_listed_for_its_pipeline_time() -> None:
    """The same, on the manual clock: deterministic about what ``GET /room`` shows meanwhile.

    Server sources as in the test above; the pipeline's own time is what the emulator plays
    on its clock (``UNPARSEABLE_FILE_PIPELINE_SECONDS``), where it used to remove the
    component at once.
    """
    from jellyfish.testing._media import UNPARSEABLE_FILE_PIPELINE_SECONDS as PIPELINE

    with JellyfishServer(manual_clock=True) as server, Rest(server) as rest:
        (server.file_sources_dir / "empty.ogg").write_bytes(b"OggS but no page")
        with server_ws(server.address, server.token) as client:
            room_id, _ = rest.create_room()
            component = rest.add_component(room_id, "file", filePath="empty.ogg")
            _kind, added = client.until("track_added")[-1]
            listed = rest.room(room_id)["components"]
            assert [c["id"] for c in listed] == [component["id"]]
            assert [t["id"] for t in listed[0]["tracks"]] == [added.track.id]
            server.advance(PIPELINE / 2)
            assert [c["id"] for c in rest.room(room_id)["components"]] == [component["id"]]
            server.advance(PIPELINE / 2)
            kind, body = client.next_kind()
            assert (kind, body.component_id, body.track.id) == (
                "track_removed",
                component["id"],
                added.track.id,
            )
            assert rest.room(room_id)["components"] == []


@pytest.mark.emulator_only
def test_hls_playable_and_uploads(jellyfish_server: Any, rest: Rest) -> None:
    with server_ws(jellyfish_server.address, jellyfish_server.token) as client:
        room_id, _ = rest.create_room(videoCodec="h264")
        component = rest.request("POST", f"/room/{room_id}/component", json={"type": "hls"}).json()[
            "data"
        ]
        assert jellyfish_server.hls_playable(room_id) == component["id"]
        _kind, body = client.until("hls_playable")[-1]
        assert (body.room_id, body.component_id) == (room_id, component["id"])
        assert rest.room(room_id)["components"][0]["properties"]["playable"] is True
        rest.request("DELETE", f"/room/{room_id}")
        client.until("room_deleted")
        jellyfish_server.hls_uploaded(room_id)
        assert client.next_kind()[0] == "hls_uploaded"
        jellyfish_server.hls_upload_crashed(room_id)
        assert client.next_kind()[0] == "hls_upload_crashed"


@pytest.mark.emulator_only
def test_crashes_and_track_metadata(jellyfish_server: Any, rest: Rest) -> None:
    with server_ws(jellyfish_server.address, jellyfish_server.token) as client:
        room_id, _ = rest.create_room(videoCodec="h264")
        peer_id, token, url = rest.add_peer(room_id)
        peer = FakePeer(url, token)
        track_id = jellyfish_server.add_track(room_id, peer_id, "video", {"a": 1})
        jellyfish_server.update_track_metadata(room_id, peer_id, track_id, {"a": 2})
        _kind, body = client.until("track_metadata_updated")[-1]
        assert json.loads(body.track.metadata) == {"a": 2}
        jellyfish_server.crash_peer(room_id, peer_id, "boom")
        items = client.until("peer_crashed")
        assert kinds(items) == ["track_removed", "peer_crashed"]
        assert items[-1][1].reason == "boom"
        assert peer.wait_closed() == (1011, "boom")
        assert rest.room(room_id)["peers"] == []
        rtsp = rest.request(
            "POST",
            f"/room/{room_id}/component",
            json={"type": "rtsp", "options": {"sourceUri": "rtsp://x"}},
        ).json()["data"]
        jellyfish_server.add_track(room_id, rtsp["id"], "video")
        client.until("track_added")
        jellyfish_server.crash_component(room_id, rtsp["id"])
        assert kinds([client.next_kind(), client.next_kind()]) == [
            "track_removed",
            "component_crashed",
        ]
        assert rest.room(room_id)["components"] == []
        peer.close()


def test_notifications_for_all_rooms_to_every_client(jellyfish_server: Any, rest: Rest) -> None:
    with (
        server_ws(jellyfish_server.address, jellyfish_server.token) as first,
        server_ws(jellyfish_server.address, jellyfish_server.token) as second,
    ):
        ids = [rest.create_room()[0] for _ in range(3)]
        for client in (first, second):
            assert [client.next_kind()[1].room_id for _ in ids] == ids
