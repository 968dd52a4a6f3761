"""Webhook bodies: v0.5 protobuf, v0.3 JSON, the Content-Type entry point."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jellyfish import receive_binary, receive_json, receive_webhook
from jellyfish.errors import DecodeError
from jellyfish.events import ServerMessage as S
from jellyfish.events import (
    ServerMessageRoomCreated,
    UnknownNotification,
    decode_metadata,
    decode_metrics,
    decode_notification,
)

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


# -- hostile input: every failure is a DecodeError (docs/notifications.md, "Webhooks") -------

DEEP_JSON = "[" * 100_000 + "]" * 100_000


def test_deeply_nested_json_is_a_decode_error() -> None:
    for body in (DEEP_JSON, DEEP_JSON.encode(), '{"notification": ' + DEEP_JSON + "}"):
        with pytest.raises(DecodeError, match="not JSON"):
            receive_json(body)
    with pytest.raises(DecodeError, match="not JSON"):
        receive_webhook(DEEP_JSON.encode(), "application/json")


def test_deeply_nested_metadata_and_metrics_are_decode_errors() -> None:
    with pytest.raises(DecodeError, match="metadata is not valid JSON"):
        decode_metadata(S.PeerMetadataUpdated(metadata=DEEP_JSON))
    deep_object = '{"a": ' * 100_000 + "1" + "}" * 100_000
    with pytest.raises(DecodeError, match="metrics is not valid JSON"):
        decode_metrics(S.MetricsReport(metrics=deep_object))


def test_deeply_nested_protobuf_is_a_decode_error() -> None:
    for body in (b"\x0b" * 100_000, b"\xa3\x01" * 100_000):  # groups inside groups
        with pytest.raises(DecodeError):
            receive_webhook(body, "application/x-protobuf")


@pytest.mark.parametrize("body", [None, "text", 5, ["a"], {"notification": "x"}])
@pytest.mark.parametrize("content_type", ["application/x-protobuf", "application/json"])
def test_a_body_that_is_not_bytes_is_a_decode_error(body: object, content_type: str) -> None:
    with pytest.raises(DecodeError, match="a webhook body must be bytes, got "):
        receive_webhook(body, content_type)  # type: ignore[arg-type]


def test_the_content_type_may_be_raw_header_bytes() -> None:
    expected = S.RoomCreated(room_id="7ed98fd9")
    assert receive_webhook(BODY, b"application/x-protobuf") == expected
    assert receive_webhook(BODY, bytearray(b"Application/X-Protobuf; x=1")) == expected
    assert receive_webhook(json.dumps(v03_body()).encode(), b"application/json") == expected
    with pytest.raises(DecodeError, match=r"unsupported webhook Content-Type 'text/\xe9'"):
        receive_webhook(BODY, b"text/\xe9")
    with pytest.raises(DecodeError, match="content_type must be the Content-Type header"):
        receive_webhook(BODY, 5)  # type: ignore[arg-type]


ANY_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text() | st.binary(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)
CONTENT_TYPES = st.sampled_from(
    ["application/x-protobuf", "application/json", "application/ld+json", "text/plain"]
)


@settings(max_examples=300, deadline=None)
@given(
    ANY_VALUE | st.builds(bytearray, st.binary()) | st.builds(memoryview, st.binary()),
    CONTENT_TYPES | CONTENT_TYPES.map(str.encode) | ANY_VALUE,
)
def test_any_input_gives_a_notification_or_a_decode_error(
    body: object, content_type: object
) -> None:
    try:
        notification = receive_webhook(body, content_type)  # type: ignore[arg-type]
    except DecodeError:
        return
    assert notification is not None


@settings(max_examples=200, deadline=None)
@given(ANY_VALUE)
def test_receive_json_and_receive_binary_never_raise_anything_else(value: object) -> None:
    for decode in (receive_json, receive_binary):
        with contextlib.suppress(DecodeError):
            decode(value)  # type: ignore[operator]


def test_a_deeply_nested_non_bytes_body_is_described_without_recursing() -> None:
    nested: list[object] = []
    for _ in range(100_000):
        nested = [nested]
    for decode in (receive_binary, receive_json, decode_notification):
        with pytest.raises(DecodeError) as raised:
            decode(nested)  # type: ignore[operator]
        assert raised.value.data.startswith(b"[[[")
    with pytest.raises(DecodeError, match="must be bytes, got list"):
        receive_webhook(nested, "application/json")  # type: ignore[arg-type]
