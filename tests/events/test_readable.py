"""Notifications read as in 0.4.0: names, one-line repr, to_dict(), IntEnums, pickling.

Every message class is taken from the descriptor of ``ServerMessage`` (not a hand list), so
a notification added to spec/ is covered by these tests as soon as it is generated.
"""

from __future__ import annotations

import copy
import enum
import json
import pickle
from typing import Any

import pytest
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

import jellyfish.events as events
from jellyfish.events import (
    ServerMessage,
    ServerMessageEventType,
    ServerMessageRoomCreated,
    ServerMessageSubscribeResponse,
    ServerMessageTrack,
    ServerMessageTrackAdded,
    ServerMessageTrackType,
    decode_notification,
)
from jellyfish.events._readable import ProtobufEnum


def _all_message_descriptors(descriptor: Descriptor) -> list[Descriptor]:
    found = [descriptor]
    for nested in descriptor.nested_types:
        found += _all_message_descriptors(nested)
    return found


def _public_name(descriptor: Descriptor) -> str:
    return descriptor.full_name.removeprefix("jellyfish.").replace(".", "")


MESSAGES = _all_message_descriptors(ServerMessage.DESCRIPTOR)
CASES = list(ServerMessage.DESCRIPTOR.oneofs_by_name["content"].fields)


def _filled(descriptor: Descriptor) -> Message:
    """An instance with every field set to a non-default value (the first oneof member)."""
    values: dict[str, Any] = {}
    for field in descriptor.fields:
        oneof = field.containing_oneof
        if oneof is not None and oneof.fields[0] is not field:
            continue
        if field.type == FieldDescriptor.TYPE_STRING:
            values[field.name] = f"{field.name}'\"\n1"
        elif field.type == FieldDescriptor.TYPE_ENUM:
            values[field.name] = field.enum_type.values[-1].number
        elif field.type == FieldDescriptor.TYPE_MESSAGE:
            values[field.name] = _filled(field.message_type)
        else:
            raise AssertionError(f"no sample value for {field.full_name}")
    message: Message = descriptor._concrete_class(**values)
    return message


def test_the_descriptor_walk_finds_every_notification_class() -> None:
    assert len(MESSAGES) == 1 + len(CASES) + 1  # the envelope, 21 cases, Track
    assert {_public_name(d) for d in MESSAGES} <= set(events.__all__)


@pytest.mark.parametrize("descriptor", MESSAGES, ids=_public_name)
def test_every_class_is_named_and_importable_as_in_0_4_0(descriptor: Descriptor) -> None:
    cls = descriptor._concrete_class
    name = _public_name(descriptor)
    assert getattr(events, name) is cls
    assert (cls.__name__, cls.__qualname__, cls.__module__) == (name, name, "jellyfish.events")
    assert pickle.loads(pickle.dumps(cls)) is cls


@pytest.mark.parametrize("descriptor", MESSAGES, ids=_public_name)
def test_every_repr_is_one_line_naming_the_class(descriptor: Descriptor) -> None:
    for message in (descriptor._concrete_class(), _filled(descriptor)):
        text = repr(message)
        assert "\n" not in text
        assert text.startswith(f"{_public_name(descriptor)}(")
        assert text.endswith(")")
        assert str(message) == text
        assert f"{message}" == text


@pytest.mark.parametrize("descriptor", MESSAGES, ids=_public_name)
def test_every_message_still_compares_pickles_and_copies(descriptor: Descriptor) -> None:
    message = _filled(descriptor)
    same = type(message).FromString(message.SerializeToString())
    assert same == message
    if descriptor.fields:
        assert same != descriptor._concrete_class()
    assert pickle.loads(pickle.dumps(message)) == message
    assert copy.deepcopy(message) == message


@pytest.mark.parametrize("descriptor", MESSAGES, ids=_public_name)
def test_every_to_dict_is_json_ready_and_names_every_set_field(descriptor: Descriptor) -> None:
    message = _filled(descriptor)
    as_dict = message.to_dict()
    assert json.loads(json.dumps(as_dict)) == as_dict
    assert set(as_dict) == {field.json_name for field, _ in message.ListFields()}
    assert descriptor._concrete_class().to_dict() == {}


def test_repr_of_a_nested_notification_matches_the_agreed_form() -> None:
    event = ServerMessageTrackAdded(
        room_id="r1",
        component_id="c1",
        track=ServerMessageTrack(
            id="t1", type=ServerMessageTrackType.TRACK_TYPE_VIDEO, metadata="null"
        ),
    )
    assert repr(event) == (
        "ServerMessageTrackAdded(room_id='r1', component_id='c1', "
        "track=ServerMessageTrack(id='t1', type=TRACK_TYPE_VIDEO, metadata='null'))"
    )
    envelope = ServerMessage(room_created=ServerMessageRoomCreated(room_id="r1"))
    assert repr(envelope) == "ServerMessage(room_created=ServerMessageRoomCreated(room_id='r1'))"


def test_repr_shows_fields_as_0_4_0_showed_received_ones() -> None:
    # betterproto printed what came on the wire: defaults are absent, a set oneof member
    # shows even when empty, an unknown enum value (a newer server) shows as its number.
    assert repr(ServerMessageRoomCreated()) == "ServerMessageRoomCreated()"
    assert repr(ServerMessageTrackAdded(room_id="r", peer_id="")) == (
        "ServerMessageTrackAdded(room_id='r', peer_id='')"
    )
    assert repr(ServerMessageTrack(id="t", type=7)) == "ServerMessageTrack(id='t', type=7)"
    assert (
        repr(ServerMessageRoomCreated(room_id="it's"))
        == """ServerMessageRoomCreated(room_id="it's")"""
    )


def test_a_decoded_notification_prints_like_a_constructed_one() -> None:
    event = ServerMessageTrackAdded(
        room_id="r1", peer_id="p1", track=ServerMessageTrack(id="t1", type=2, metadata="{}")
    )
    decoded = decode_notification(ServerMessage(track_added=event).SerializeToString())
    assert str(decoded) == (
        "ServerMessageTrackAdded(room_id='r1', peer_id='p1', "
        "track=ServerMessageTrack(id='t1', type=TRACK_TYPE_AUDIO, metadata='{}'))"
    )


# What 0.4.0's betterproto objects returned (jellyfish-server-sdk 0.4.0, betterproto
# 2.0.0b6, recorded by running it): camelCase keys, default values left out, enums by
# member name, nested messages as dicts, the set member of a oneof even when empty.
BETTERPROTO_TO_DICT = [
    (
        ServerMessageTrackAdded(
            room_id="r1",
            component_id="c1",
            track=ServerMessageTrack(id="t1", type=1, metadata="null"),
        ),
        {
            "roomId": "r1",
            "componentId": "c1",
            "track": {"id": "t1", "type": "TRACK_TYPE_VIDEO", "metadata": "null"},
        },
    ),
    (
        ServerMessageTrackAdded(
            room_id="r1", component_id="", track=ServerMessageTrack(id="t", type=2)
        ),
        {"roomId": "r1", "componentId": "", "track": {"id": "t", "type": "TRACK_TYPE_AUDIO"}},
    ),
    (ServerMessageTrackAdded(room_id="r1", peer_id="p1"), {"roomId": "r1", "peerId": "p1"}),
    (ServerMessageRoomCreated(room_id="r1"), {"roomId": "r1"}),
    (ServerMessageRoomCreated(), {}),
    (
        events.ServerMessagePeerCrashed(room_id="r", peer_id="p", reason="boom"),
        {"roomId": "r", "peerId": "p", "reason": "boom"},
    ),
    (events.ServerMessageMetricsReport(metrics='{"a": 1}'), {"metrics": '{"a": 1}'}),
    (
        events.ServerMessageHlsPlayable(room_id="r", component_id="c"),
        {"roomId": "r", "componentId": "c"},
    ),
    (ServerMessageSubscribeResponse(event_type=1), {"eventType": "EVENT_TYPE_SERVER_NOTIFICATION"}),
    (ServerMessageSubscribeResponse(event_type=0), {}),
    (
        ServerMessage(room_created=ServerMessageRoomCreated(room_id="x")),
        {"roomCreated": {"roomId": "x"}},
    ),
]


@pytest.mark.parametrize(("message", "expected"), BETTERPROTO_TO_DICT, ids=repr)
def test_to_dict_has_the_shape_of_0_4_0(message: Message, expected: dict[str, Any]) -> None:
    assert message.to_dict() == expected


def test_to_dict_options_of_0_4_0() -> None:
    event = ServerMessageTrackAdded(room_id="r1", peer_id="p1", track=ServerMessageTrack(id="t"))
    # betterproto 2.0.0b6 gave the same for casing=Casing.SNAKE
    assert event.to_dict(casing="snake") == {"room_id": "r1", "peer_id": "p1", "track": {"id": "t"}}
    # with defaults: betterproto's output, except that it also listed the oneof members
    # that are not set ("componentId": "")
    assert event.to_dict(include_default_values=True) == {
        "roomId": "r1",
        "peerId": "p1",
        "track": {"id": "t", "type": "TRACK_TYPE_UNSPECIFIED", "metadata": ""},
    }
    assert ServerMessageRoomCreated().to_dict(include_default_values=True) == {"roomId": ""}


def test_to_dict_keeps_an_unknown_enum_value_as_its_number() -> None:
    assert ServerMessageTrack(id="t", type=7).to_dict() == {"id": "t", "type": 7}


def test_to_dict_rejects_an_unknown_casing() -> None:
    with pytest.raises(ValueError, match="casing must be 'camel' or 'snake'"):
        ServerMessageRoomCreated(room_id="r").to_dict(casing="kebab")


ENUMS = [
    (ServerMessageTrackType, ServerMessage.DESCRIPTOR.enum_types_by_name["TrackType"]),
    (ServerMessageEventType, ServerMessage.DESCRIPTOR.enum_types_by_name["EventType"]),
]


def test_every_enum_of_the_protos_is_an_int_enum() -> None:
    assert {d.name for d in ServerMessage.DESCRIPTOR.enum_types} == {d.name for _, d in ENUMS}


@pytest.mark.parametrize(("enum_class", "descriptor"), ENUMS, ids=lambda v: getattr(v, "name", ""))
def test_enums_are_int_enums_with_the_proto_members(enum_class: Any, descriptor: Any) -> None:
    assert issubclass(enum_class, enum.IntEnum)
    assert enum_class.__module__ == "jellyfish.events"
    assert [(m.name, m.value) for m in enum_class] == [
        (v.name, v.number) for v in descriptor.values
    ]
    for value in descriptor.values:
        member = enum_class(value.number)
        assert member.name == value.name
        assert getattr(enum_class, value.name) is member
        assert enum_class.from_string(value.name) is member
        assert pickle.loads(pickle.dumps(member)) is member


def test_enum_members_compare_with_the_ints_on_messages() -> None:
    track = ServerMessageTrack(id="t", type=ServerMessageTrackType.TRACK_TYPE_VIDEO)
    decoded = ServerMessageTrack.FromString(track.SerializeToString())
    assert decoded.type == ServerMessageTrackType.TRACK_TYPE_VIDEO
    assert ServerMessageTrackType(decoded.type).name == "TRACK_TYPE_VIDEO"
    assert decoded.type == ServerMessage.TRACK_TYPE_VIDEO == 1
    assert decoded == ServerMessageTrack(id="t", type=1)
    with pytest.raises(ValueError, match="7 is not a valid ServerMessageTrackType"):
        ServerMessageTrackType(7)
    with pytest.raises(ValueError, match="Unknown value TRACK_TYPE_3D"):
        ServerMessageTrackType.from_string("TRACK_TYPE_3D")


def test_protobuf_enum_is_the_base_of_the_generated_enums() -> None:
    assert issubclass(ServerMessageTrackType, ProtobufEnum)
