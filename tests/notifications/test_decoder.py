"""The one decoder: every case, unknown content, garbage, handshake messages, helpers."""

from __future__ import annotations

import json
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jellyfish import events
from jellyfish._notifications._decoder import decode_fast, decode_server_message
from jellyfish.errors import DecodeError, JellyfishError
from jellyfish.events import (
    ServerMessage,
    UnknownNotification,
    decode_metadata,
    decode_metrics,
    decode_notification,
)

S = ServerMessage

NOTIFICATIONS = {
    "room_crashed": S.RoomCrashed(room_id="r"),
    "peer_connected": S.PeerConnected(room_id="r", peer_id="p"),
    "peer_disconnected": S.PeerDisconnected(room_id="r", peer_id="p"),
    "peer_crashed": S.PeerCrashed(room_id="r", peer_id="p", reason="boom"),
    "component_crashed": S.ComponentCrashed(room_id="r", component_id="c"),
    "room_created": S.RoomCreated(room_id="r"),
    "room_deleted": S.RoomDeleted(room_id="r"),
    "metrics_report": S.MetricsReport(metrics='{"room_id=r": {}}'),
    "hls_playable": S.HlsPlayable(room_id="r", component_id="c"),
    "hls_uploaded": S.HlsUploaded(room_id="r"),
    "hls_upload_crashed": S.HlsUploadCrashed(room_id="r"),
    "peer_metadata_updated": S.PeerMetadataUpdated(room_id="r", peer_id="p", metadata='{"a":1}'),
    "track_added": S.TrackAdded(
        room_id="r", peer_id="p", track=S.Track(id="t", type=S.TRACK_TYPE_VIDEO, metadata="null")
    ),
    "track_removed": S.TrackRemoved(room_id="r", component_id="c", track=S.Track(id="t")),
    "track_metadata_updated": S.TrackMetadataUpdated(
        room_id="r", peer_id="p", track=S.Track(id="t", metadata='"myvideo"')
    ),
    "peer_added": S.PeerAdded(room_id="r", peer_id="p"),
    "peer_deleted": S.PeerDeleted(room_id="r", peer_id="p"),
}

HANDSHAKES = {
    "authenticated": S.Authenticated(),
    "auth_request": S.AuthRequest(token="t"),
    "subscribe_request": S.SubscribeRequest(event_type=S.EVENT_TYPE_METRICS),
    "subscribe_response": S.SubscribeResponse(event_type=S.EVENT_TYPE_METRICS),
}


def encode(case: str, message: object) -> bytes:
    return S(**{case: message}).SerializeToString()


def test_every_oneof_case_is_covered() -> None:
    cases = {field.name for field in S.DESCRIPTOR.oneofs_by_name["content"].fields}
    assert cases == set(NOTIFICATIONS) | set(HANDSHAKES)


@pytest.mark.parametrize("case", sorted(NOTIFICATIONS))
def test_each_notification_decodes_to_its_generated_class(case: str) -> None:
    message = NOTIFICATIONS[case]
    decoded = decode_notification(encode(case, message))
    assert type(decoded) is type(message)
    assert decoded == message


def test_0_4_0_names_and_the_missing_ones_are_exported() -> None:
    for name in [
        "ServerMessageRoomCreated",
        "ServerMessagePeerConnected",
        "ServerMessageTrackAdded",
        "ServerMessageMetricsReport",
        "ServerMessageTrackType",
        "ServerMessageHlsUploaded",
        "ServerMessageHlsUploadCrashed",
        "ServerMessagePeerMetadataUpdated",
        "UnknownNotification",
        "Reconnected",
        "Notification",
        "ServerNotification",
    ]:
        assert name in events.__all__
        assert getattr(events, name) is not None
    assert events.ServerMessageTrackType.TRACK_TYPE_AUDIO == 2
    decoded = decode_notification(encode("hls_uploaded", S.HlsUploaded(room_id="x")))
    assert isinstance(decoded, events.ServerMessageHlsUploaded)


@pytest.mark.parametrize("case", sorted(HANDSHAKES))
def test_handshake_messages_are_not_notifications(case: str) -> None:
    with pytest.raises(DecodeError, match="handshake"):
        decode_notification(encode(case, HANDSHAKES[case]))
    assert decode_server_message(encode(case, HANDSHAKES[case]))[0] == case


def test_empty_message_is_an_unknown_notification() -> None:
    decoded = decode_notification(b"")
    assert decoded == UnknownNotification(b"")


def test_unknown_case_from_a_newer_server_keeps_the_raw_bytes() -> None:
    # field 99, length-delimited, containing a string field 1 = "r"
    data = bytes([0x9A, 0x06, 0x03, 0x0A, 0x01, 0x72])
    decoded = decode_notification(data)
    assert isinstance(decoded, UnknownNotification)
    assert decoded.data == data
    assert pickle.loads(pickle.dumps(decoded)) == decoded
    assert "UnknownNotification" in repr(decoded)
    assert hash(decoded) == hash(UnknownNotification(data))


@pytest.mark.parametrize(
    "garbage", [b"\xff", b"\x0a\x05ab", b'{"notification": "x"}', b"\x08", b"\x52\x80"]
)
def test_garbage_raises_the_typed_decode_error(garbage: bytes) -> None:
    with pytest.raises(DecodeError) as info:
        decode_notification(garbage)
    assert isinstance(info.value, JellyfishError)
    assert info.value.data == garbage
    assert pickle.loads(pickle.dumps(info.value)).data == garbage


def test_non_bytes_input_raises_decode_error() -> None:
    with pytest.raises(DecodeError):
        decode_notification("not bytes")  # type: ignore[arg-type]


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=256))
def test_fuzzed_bytes_never_crash(data: bytes) -> None:
    error: DecodeError | None = None
    try:
        decoded = decode_notification(data)
    except DecodeError as caught:
        error = caught
    if error is None:
        assert decoded is not None
    else:
        assert error.data == data[:1024]


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(sorted(NOTIFICATIONS)),
    st.binary(max_size=64),
    st.integers(min_value=0, max_value=64),
)
def test_mutated_real_messages_never_crash(case: str, noise: bytes, cut: int) -> None:
    data = encode(case, NOTIFICATIONS[case])
    for candidate in (data[:cut], data + noise, noise + data, bytes(b ^ 0x55 for b in data)):
        try:
            decoded = decode_notification(candidate)
        except DecodeError:
            continue
        assert decoded is not None


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40), st.text(max_size=40))
def test_roundtrip_arbitrary_ids(room_id: str, peer_id: str) -> None:
    message = S.PeerConnected(room_id=room_id, peer_id=peer_id)
    assert decode_notification(encode("peer_connected", message)) == message


def test_decode_metadata_of_peers_and_tracks() -> None:
    assert decode_metadata(NOTIFICATIONS["peer_metadata_updated"]) == {"a": 1}  # type: ignore[arg-type]
    assert decode_metadata(NOTIFICATIONS["track_added"]) is None  # type: ignore[arg-type]
    assert decode_metadata(NOTIFICATIONS["track_metadata_updated"]) == "myvideo"  # type: ignore[arg-type]
    assert decode_metadata(S.Track(metadata="[1, 2]")) == [1, 2]
    with pytest.raises(DecodeError):
        decode_metadata(S.PeerMetadataUpdated(metadata="{nope"))
    with pytest.raises(TypeError):
        decode_metadata(S.RoomCreated(room_id="r"))  # type: ignore[arg-type]


def test_decode_metrics() -> None:
    report = S.MetricsReport(metrics=json.dumps({"room_id=r": {"endpoint_id=p": {"x": 1}}}))
    assert decode_metrics(report) == {"room_id=r": {"endpoint_id=p": {"x": 1}}}
    assert decode_metrics(S.MetricsReport(metrics="{}")) == {}
    assert decode_metrics(S.MetricsReport()) == {}
    with pytest.raises(DecodeError):
        decode_metrics(S.MetricsReport(metrics="[1]"))
    with pytest.raises(DecodeError):
        decode_metrics(S.MetricsReport(metrics="nope"))


def reference_decode(data: bytes) -> object:
    """protobuf's own semantics: parse the envelope, take the oneof case."""
    message = S.FromString(data)
    case = message.WhichOneof("content")
    if case is None:
        return UnknownNotification(data)
    if case in HANDSHAKES:
        raise DecodeError("handshake")
    return getattr(message, case)


def same_as_reference(data: bytes) -> None:
    try:
        expected = reference_decode(data)
    except Exception:  # any failure of the reference must be a DecodeError of ours
        with pytest.raises(DecodeError):
            decode_notification(data)
        return
    decoded = decode_notification(data)
    assert type(decoded) is type(expected)
    assert decoded == expected


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from(sorted(NOTIFICATIONS) + sorted(HANDSHAKES)), max_size=3),
    st.binary(max_size=8),
    st.text(max_size=200),
)
def test_decoder_matches_protobuf_semantics(cases: list[str], tail: bytes, text: str) -> None:
    parts = []
    for case in cases:
        message = NOTIFICATIONS.get(case) or HANDSHAKES[case]
        if case == "peer_crashed":
            message = S.PeerCrashed(room_id=text, peer_id="p", reason=text)
        parts.append(encode(case, message))
    data = b"".join(parts)  # several oneof fields: the last one wins
    same_as_reference(data)
    same_as_reference(data + tail)
    same_as_reference(data[: len(data) // 2])


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(sorted(NOTIFICATIONS)),
    st.integers(min_value=0, max_value=40_000),
    st.binary(max_size=3),
)
def test_fast_path_agrees_at_every_payload_size(case: str, size: int, tail: bytes) -> None:
    # Payload lengths whose varint takes one, two and three bytes, and frames with a tail.
    message = NOTIFICATIONS[case]
    field = next(f for f in message.DESCRIPTOR.fields if f.type == f.TYPE_STRING)
    padded = type(message)()
    padded.CopyFrom(message)
    setattr(padded, field.name, "x" * size)
    data = encode(case, padded)
    same_as_reference(data)
    same_as_reference(data + tail)
    same_as_reference(bytearray(data))


@pytest.mark.parametrize("case", sorted(NOTIFICATIONS))
def test_over_long_varints_decode_as_protobuf_does(case: str) -> None:
    # protobuf accepts a tag or a length written in more bytes than needed; the fast path
    # only takes the shortest forms and leaves the others to the general path
    data = encode(case, NOTIFICATIONS[case])
    tag_length = 1 if data[0] < 0x80 else 2
    tag, length, payload = data[:tag_length], data[tag_length], data[tag_length + 1 :]
    assert length < 0x80
    longer_tag = bytes([*tag[:-1], tag[-1] | 0x80, 0x00])
    longer_length = bytes([length | 0x80, 0x00])
    for variant in (longer_tag + bytes([length]) + payload, tag + longer_length + payload):
        same_as_reference(variant)
        assert decode_notification(variant) == NOTIFICATIONS[case]
    assert decode_fast(tag + longer_length + payload) is None
