"""Webhooks (§7.3, §7.4): raw protobuf bodies, sequential, no retries, dropped registrations."""

from __future__ import annotations

import json

import pytest

from jellyfish.events._protos.jellyfish.server_notifications_pb2 import ServerMessage
from jellyfish.testing import JellyfishServer

from .helpers import Rest, WebhookReceiver, server_ws

pytestmark = pytest.mark.emulator_only


def test_protobuf_bodies_only_for_the_rooms_url() -> None:
    with (
        JellyfishServer() as server,
        Rest(server) as rest,
        WebhookReceiver() as first,
        WebhookReceiver() as second,
    ):
        room_a, _ = rest.create_room(webhookUrl=first.url)
        rest.create_room()  # no webhook: no traffic
        room_b, _ = rest.create_room(webhookUrl=second.url)
        rest.add_peer(room_a)
        content_type, message = first.next()
        assert content_type == "application/x-protobuf"
        assert message.room_created.room_id == room_a
        assert first.next()[1].peer_added.room_id == room_a
        assert second.next()[1].room_created.room_id == room_b
        assert first.requests.empty()
        assert second.requests.empty()


def test_registration_dropped_after_room_deleted() -> None:
    with JellyfishServer() as server, Rest(server) as rest, WebhookReceiver() as hook:
        room_id, _ = rest.create_room(webhookUrl=hook.url, videoCodec="h264")
        rest.request("POST", f"/room/{room_id}/component", json={"type": "hls"})
        with server_ws(server.address, server.token) as client:
            rest.request("DELETE", f"/room/{room_id}")
            client.until("room_deleted")
            server.hls_uploaded(room_id)  # reaches the WebSocket...
            assert client.next_kind()[0] == "hls_uploaded"
        # ...but not the webhook; a later room on the same URL proves the queue drained
        rest.create_room(webhookUrl=hook.url)
        kinds = [hook.next_kind() for _ in range(3)]
        assert kinds == ["room_created", "room_deleted", "room_created"]


def test_no_retry_on_failure_and_order_is_kept() -> None:
    with JellyfishServer() as server, Rest(server) as rest, WebhookReceiver(status=500) as hook:
        room_id, _ = rest.create_room(webhookUrl=hook.url)
        for _ in range(3):
            rest.add_peer(room_id)
        kinds = [hook.next_kind() for _ in range(4)]
        assert kinds == ["room_created", "peer_added", "peer_added", "peer_added"]
        rest.request("DELETE", f"/room/{room_id}")
        assert hook.next_kind() == "peer_deleted"  # not a retried room_created


def test_unreachable_webhook_is_only_logged() -> None:
    with JellyfishServer(webhook_timeout=0.5) as server, Rest(server) as rest:
        room_id, _ = rest.create_room(webhookUrl="http://127.0.0.1:9/nowhere")
        rest.add_peer(room_id)
        with WebhookReceiver() as hook:
            rest.create_room(webhookUrl=hook.url)
            assert hook.next_kind() == "room_created"
        assert server.webhooks is not None
        assert server.webhooks.failed >= 2


def test_v030_json_format() -> None:
    with (
        JellyfishServer(webhook_format="json") as server,
        Rest(server) as rest,
        WebhookReceiver() as hook,
    ):
        room_id, _ = rest.create_room(webhookUrl=hook.url, roomId="json-room")
        content_type, body = hook.requests.get(timeout=5)
        assert content_type == "application/json"
        notification = json.loads(body)["notification"]
        message = ServerMessage.FromString(notification.encode("utf-8"))
        assert message.room_created.room_id == room_id


def test_loopback_only_webhooks_never_leave_the_machine() -> None:
    with (
        JellyfishServer(webhook_loopback_only=True) as server,
        Rest(server) as rest,
        WebhookReceiver() as hook,
    ):
        port = hook.url.split(":")[2].split("/")[0]
        # 0.0.0.0 is not a loopback address, yet it reaches this machine: were the filter
        # broken, the receiver would get the notification (and nothing leaves the machine).
        rest.create_room(webhookUrl=f"http://0.0.0.0:{port}/not-loopback")
        rest.create_room(webhookUrl=hook.url.replace("127.0.0.1", "localhost"))
        assert hook.next_kind() == "room_created"  # the localhost room's notification only
        assert server.webhooks is not None
        assert server.webhooks.failed == 1
        assert hook.requests.empty()
