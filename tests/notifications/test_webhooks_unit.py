"""Webhook bodies: v0.5 protobuf, v0.3 JSON, the Content-Type entry point."""

from __future__ import annotations

import json

import pytest

from jellyfish import receive_binary, receive_json, receive_webhook
from jellyfish.errors import DecodeError
from jellyfish.events import ServerMessage as S
from jellyfish.events import ServerMessageRoomCreated, UnknownNotification

BODY = S(room_created=S.RoomCreated(room_id="7ed98fd9")).SerializeToString()


def v03_body(data: bytes = BODY) -> dict[str, str]:
    return {"notification": data.decode("utf-8")}


def test_receive_binary() -> None:
    notification = receive_binary(BODY)
    assert isinstance(notification, ServerMessageRoomCreated)
    assert notification.room_id == "7ed98fd9"
    assert receive_binary(bytearray(BODY)) == notification
    assert isinstance(receive_binary(b""), UnknownNotification)


def test_receive_binary_rejects_what_is_not_a_notification() -> None:
    with pytest.raises(DecodeError):
        receive_binary(b'{"notification": 1}')
    with pytest.raises(DecodeError, match="handshake"):
        receive_binary(S(authenticated=S.Authenticated()).SerializeToString())
    with pytest.raises(DecodeError, match="must be bytes"):
        receive_binary("text")  # type: ignore[arg-type]


def test_receive_json_dict_text_and_bytes() -> None:
    assert receive_json(v03_body()) == S.RoomCreated(room_id="7ed98fd9")
    assert receive_json(json.dumps(v03_body())) == S.RoomCreated(room_id="7ed98fd9")
    assert receive_json(json.dumps(v03_body()).encode()) == S.RoomCreated(room_id="7ed98fd9")


@pytest.mark.parametrize(
    "body", [{"other": "x"}, {"notification": 5}, "not json", b"[1]", {"notification": "\udcff"}]
)
def test_receive_json_rejects(body: object) -> None:
    with pytest.raises(DecodeError):
        receive_json(body)  # type: ignore[arg-type]


def test_receive_webhook_by_content_type() -> None:
    expected = S.RoomCreated(room_id="7ed98fd9")
    assert receive_webhook(BODY, "application/x-protobuf") == expected
    assert receive_webhook(BODY, "Application/X-Protobuf; charset=binary") == expected
    assert receive_webhook(json.dumps(v03_body()).encode(), "application/json") == expected
    with pytest.raises(DecodeError, match="unsupported webhook Content-Type 'text/plain'"):
        receive_webhook(BODY, "text/plain")
    with pytest.raises(DecodeError, match="unsupported"):
        receive_webhook(BODY, None)
    with pytest.raises(DecodeError):
        receive_webhook(BODY, "application/json")  # protobuf sent as JSON: clear error
