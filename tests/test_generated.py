"""The generated code (REST client and protobuf modules) imports and round-trips."""

from __future__ import annotations

import enum
import importlib
import inspect
import pkgutil
from pathlib import Path
from typing import Any

import attrs
import pytest
from google.protobuf.descriptor import FieldDescriptor

import jellyfish._openapi_client as openapi_client
import jellyfish.events._protos as protos
from jellyfish._openapi_client import models
from jellyfish.events._protos.jellyfish.peer_notifications_pb2 import PeerMessage
from jellyfish.events._protos.jellyfish.server_notifications_pb2 import ServerMessage


def _all_modules(package: Any) -> list[str]:
    return [m.name for m in pkgutil.walk_packages(package.__path__, f"{package.__name__}.")]


@pytest.mark.parametrize("module", _all_modules(openapi_client) + _all_modules(protos))
def test_every_generated_module_imports(module: str) -> None:
    importlib.import_module(module)


def _filled(message_class: Any, depth: int = 0) -> Any:
    """An instance of ``message_class`` with every field set to a non-default value."""
    values: dict[str, Any] = {}
    seen_oneofs: set[str] = set()
    for field in message_class.DESCRIPTOR.fields:
        oneof = field.containing_oneof
        if oneof is not None:
            if oneof.name in seen_oneofs:
                continue
            seen_oneofs.add(oneof.name)
        if field.type == FieldDescriptor.TYPE_STRING:
            values[field.name] = f"{field.name}-ä-{depth}"
        elif field.type == FieldDescriptor.TYPE_ENUM:
            values[field.name] = field.enum_type.values[-1].number
        elif field.type == FieldDescriptor.TYPE_MESSAGE:
            values[field.name] = _filled(field.message_type._concrete_class, depth + 1)
        else:
            raise AssertionError(f"no sample value for {field.full_name}")
    return message_class(**values)


CONTENT_CASES = [f.name for f in ServerMessage.DESCRIPTOR.oneofs_by_name["content"].fields]


def test_the_oneof_has_the_21_cases_of_the_v050_protocol() -> None:
    numbers = {f.name: f.number for f in ServerMessage.DESCRIPTOR.oneofs_by_name["content"].fields}
    assert numbers["room_crashed"] == 1
    assert numbers["track_added"] == 17
    assert numbers["peer_deleted"] == 21
    assert sorted(numbers.values()) == list(range(1, 22))


@pytest.mark.parametrize("case", CONTENT_CASES)
def test_every_server_message_case_round_trips(case: str) -> None:
    field = ServerMessage.DESCRIPTOR.fields_by_name[case]
    inner = _filled(field.message_type._concrete_class)
    message = ServerMessage(**{case: inner})

    decoded = ServerMessage.FromString(message.SerializeToString())

    assert decoded == message
    assert decoded.WhichOneof("content") == case
    assert getattr(decoded, case) == inner


def test_track_added_keeps_its_endpoint_oneof() -> None:
    track = ServerMessage.Track(id="t", type=ServerMessage.TRACK_TYPE_AUDIO, metadata='"m"')
    message = ServerMessage(
        track_added=ServerMessage.TrackAdded(room_id="r", component_id="c", track=track)
    )
    decoded = ServerMessage.FromString(message.SerializeToString()).track_added
    assert decoded.WhichOneof("endpoint_info") == "component_id"
    assert decoded.track.type == ServerMessage.TRACK_TYPE_AUDIO


def test_wire_bytes_match_the_behaviour_reference() -> None:
    # §5 of the behaviour reference: hand-encoded frames of the handshake.
    assert ServerMessage(authenticated=ServerMessage.Authenticated()).SerializeToString() == (
        b"\x32\x00"
    )
    subscribed = ServerMessage(
        subscribe_response=ServerMessage.SubscribeResponse(
            event_type=ServerMessage.EVENT_TYPE_SERVER_NOTIFICATION
        )
    )
    assert subscribed.SerializeToString() == b"\x4a\x02\x08\x01"


@pytest.mark.parametrize("case", [f.name for f in PeerMessage.DESCRIPTOR.oneofs[0].fields])
def test_every_peer_message_case_round_trips(case: str) -> None:
    field = PeerMessage.DESCRIPTOR.fields_by_name[case]
    message = PeerMessage(**{case: _filled(field.message_type._concrete_class)})
    assert PeerMessage.FromString(message.SerializeToString()) == message


# Payloads as §3 of the behaviour reference shows them (including the quirks: `s3: null`
# in HLS properties, raw JSON peer metadata, null config values).
TRACK = {"id": "track-1", "type": "video", "metadata": {"label": "camera"}}
PEER = {
    "id": "5a2ef7d8-3c3a-4f8e-8d3a-0d6f6c6b1a11",
    "type": "webrtc",
    "status": "connected",
    "tracks": [TRACK],
    "metadata": {"name": "alice", "tags": [1, 2]},
}
HLS = {
    "id": "hls-1",
    "type": "hls",
    "properties": {
        "playable": False,
        "lowLatency": False,
        "persistent": True,
        "targetWindowDuration": None,
        "subscribeMode": "auto",
        "s3": None,
    },
    "tracks": [],
}
RTSP = {
    "id": "rtsp-1",
    "type": "rtsp",
    "properties": {
        "sourceUri": "rtsp://cam/stream",
        "rtpPort": 20000,
        "reconnectDelay": 15000,
        "keepAliveInterval": 15000,
        "pierceNat": True,
    },
    "tracks": [{"id": "t2", "type": "video", "metadata": None}],
}
FILE = {
    "id": "file-1",
    "type": "file",
    "properties": {"filePath": "video.h264", "framerate": 30},
    "tracks": [],
}
SIP = {
    "id": "sip-1",
    "type": "sip",
    "properties": {
        "registrarCredentials": {
            "address": "sip.example.com:5061",
            "username": "u",
            "password": "p",
        }
    },
    "tracks": [],
}
RECORDING = {
    "id": "rec-1",
    "type": "recording",
    "properties": {"subscribeMode": "manual"},
    "tracks": [],
}
ROOM = {
    "id": "room-1",
    "config": {
        "roomId": "room-1",
        "maxPeers": 10,
        "videoCodec": "h264",
        "webhookUrl": "http://localhost:5003/webhook",
        "peerlessPurgeTimeout": 60,
        "peerDisconnectedTimeout": None,
    },
    "components": [HLS, RTSP, FILE, SIP, RECORDING],
    "peers": [PEER, {**PEER, "id": "p2", "status": "disconnected", "tracks": [], "metadata": None}],
}

PAYLOADS = [
    (models.Room, ROOM),
    (models.Peer, PEER),
    (
        models.RoomCreateDetailsResponse,
        {"data": {"room": ROOM, "jellyfish_address": "127.0.0.1:5002"}},
    ),
    (models.RoomsListingResponse, {"data": [ROOM]}),
    (models.RoomDetailsResponse, {"data": ROOM}),
    (
        models.PeerDetailsResponse,
        {
            "data": {
                "peer": PEER,
                "token": "SFMyNTY.g2gDdAAAAAJk.sig",
                "peer_websocket_url": "127.0.0.1:5002/socket/peer/websocket",
            }
        },
    ),
    (models.ComponentDetailsResponse, {"data": HLS}),
    (models.ComponentDetailsResponse, {"data": RECORDING}),
    (models.RecordingListResponse, {"data": ["room-1", "room-2"]}),
    (
        models.HealthcheckResponse,
        {
            "data": {
                "status": "UP",
                "uptime": 42,
                "distribution": {"enabled": False, "nodeStatus": "DOWN", "nodesInCluster": 0},
                "version": "0.5.0",
                "gitCommit": "dev",
            }
        },
    ),
    (models.Error, {"errors": "Room room-1 does not exist"}),
    (models.RoomConfig, {"maxPeers": None, "videoCodec": None, "roomId": "abc"}),
]


@pytest.mark.parametrize(("model", "payload"), PAYLOADS, ids=lambda v: getattr(v, "__name__", ""))
def test_openapi_models_round_trip(model: Any, payload: dict[str, Any]) -> None:
    parsed = model.from_dict(payload)
    assert parsed.to_dict() == payload
    assert model.from_dict(parsed.to_dict()) == parsed


def test_hls_properties_keep_the_undocumented_s3_key() -> None:
    component = models.ComponentDetailsResponse.from_dict({"data": HLS}).data
    assert isinstance(component, models.ComponentHLS)
    assert component.properties.additional_properties == {"s3": None}


def _model_classes() -> list[Any]:
    return [getattr(models, name) for name in models.__all__ if attrs.has(getattr(models, name))]


def test_no_model_field_carries_the_generators_builtin_renaming() -> None:
    # openapi-python-client renames fields named like builtins (`type` -> `type_`); 0.4.0
    # kept `type` (codegen/openapi_python_client_with_0_4_names.py restores it).
    renamed = [
        f"{model.__name__}.{field.name}"
        for model in _model_classes()
        for field in attrs.fields(model)
        if field.name.endswith("_")
    ]
    assert renamed == []


TYPED_MODELS = [
    (models.Peer, PEER),
    (models.ComponentHLS, HLS),
    (models.ComponentRTSP, RTSP),
    (models.ComponentFile, FILE),
    (models.ComponentSIP, SIP),
    (models.ComponentRecording, RECORDING),
    (models.Track, TRACK),
    (models.AddPeerBody, {"type": "webrtc", "options": {"enableSimulcast": False}}),
    (models.AddComponentBody, {"type": "hls"}),
]


@pytest.mark.parametrize(
    ("model", "payload"), TYPED_MODELS, ids=lambda v: getattr(v, "__name__", "")
)
def test_the_type_field_is_called_type_everywhere(model: Any, payload: dict[str, Any]) -> None:
    parsed = model.from_dict(payload)
    assert "type" in {field.name for field in attrs.fields(model)}
    assert parsed.type == payload["type"]
    assert parsed.to_dict()["type"] == payload["type"]
    assert f"type={parsed.type!r}" in repr(parsed)
    rebuilt = model(**{f.name: getattr(parsed, f.name) for f in attrs.fields(model) if f.init})
    rebuilt.additional_properties = parsed.additional_properties
    assert rebuilt == parsed


def test_a_0_4_0_expected_peer_compares_equal_to_a_parsed_one() -> None:
    expected = models.Peer(
        id=PEER["id"],
        type="webrtc",
        status=models.PeerStatus.CONNECTED,
        tracks=[
            models.Track(id="track-1", type=models.TrackType.VIDEO, metadata={"label": "camera"})
        ],
        metadata=PEER["metadata"],
    )
    assert models.Peer.from_dict(PEER) == expected
    assert expected.type == "webrtc"
    assert expected.tracks[0].type == models.TrackType.VIDEO
    assert expected.to_dict() == PEER


# -- enum-typed fields: the enum, or one of its string values; nothing else ------------------


def _model_classes() -> list[type[Any]]:
    return [c for c in (getattr(models, n) for n in models.__all__) if attrs.has(c)]


def _enum_classes() -> dict[str, type[enum.Enum]]:
    found = {n: getattr(models, n) for n in models.__all__}
    return {n: c for n, c in found.items() if isinstance(c, type) and issubclass(c, enum.Enum)}


def _union(annotation: str) -> list[str]:
    return [part.strip() for part in annotation.split("|")]


ENUM_FIELDS = [
    (model, field.name, _enum_classes()[name])
    for model in _model_classes()
    for field in attrs.fields(model)
    for name in _union(str(field.type))
    if name in _enum_classes()
]


def test_the_enum_fields_are_found_in_the_models() -> None:
    assert len({enum_class for *_, enum_class in ENUM_FIELDS}) == len(_enum_classes()) >= 8
    assert (
        models.ComponentOptionsHLS,
        "subscribe_mode",
        models.ComponentOptionsHLSSubscribeMode,
    ) in (ENUM_FIELDS)
    assert (models.RoomConfig, "video_codec", models.RoomConfigVideoCodec) in ENUM_FIELDS


def _sample(annotation: str) -> Any:
    """A valid value for a field of this annotation (its first member that is not None/Unset)."""
    first = next(part for part in _union(annotation) if part not in ("None", "Unset"))
    enums = _enum_classes()
    if first in enums:
        return next(iter(enums[first]))
    if first.startswith(("list[", "dict[")):
        return [] if first.startswith("list[") else {}
    if hasattr(models, first):
        return _instance(getattr(models, first))
    return {"str": "x", "int": 1, "float": 1.0, "bool": True, "Any": None}[first]


def _instance(model: type[Any], **values: Any) -> Any:
    required = {
        f.name: _sample(str(f.type))
        for f in attrs.fields(model)
        if f.init and f.default is attrs.NOTHING and f.name not in values
    }
    return model(**required, **values)


def _id(value: Any) -> str:
    return getattr(value, "__name__", str(value))


@pytest.mark.parametrize(("model", "field", "enum_class"), ENUM_FIELDS, ids=_id)
def test_an_enum_field_takes_its_members_and_their_string_values(
    model: type[Any], field: str, enum_class: type[enum.Enum]
) -> None:
    for member in enum_class:
        by_member = _instance(model, **{field: member})
        by_value = _instance(model, **{field: member.value})
        assert getattr(by_value, field) is member
        assert repr(by_value) == repr(by_member)
        assert by_value.to_dict() == by_member.to_dict()
        assert member.value in by_value.to_dict().values()
        assert model.from_dict(by_value.to_dict()) == by_member
        assigned = _instance(model)
        setattr(assigned, field, member.value)  # attrs runs the conversion on assignment too
        assert getattr(assigned, field) is member


def _nullable(model: type[Any], field: str) -> bool:
    return "None" in _union(str(attrs.fields_dict(model)[field].type))


@pytest.mark.parametrize(("model", "field", "enum_class"), ENUM_FIELDS, ids=_id)
def test_an_enum_field_refuses_anything_else_naming_the_allowed_values(
    model: type[Any], field: str, enum_class: type[enum.Enum]
) -> None:
    allowed = [repr(member.value) for member in enum_class]
    wrong_strings = ["no-such-value", " " + str(next(iter(enum_class)).value)]
    wrong_strings += [m.name for m in enum_class if m.name != m.value]  # names are not values
    wrong_types: list[Any] = [3, b"x", object(), *([] if _nullable(model, field) else [None])]
    for wrong, error in [(v, ValueError) for v in wrong_strings] + [
        (v, TypeError) for v in wrong_types
    ]:
        with pytest.raises(error) as raised:
            _instance(model, **{field: wrong})
        message = str(raised.value)
        assert message.startswith(f"{field} must be ")
        assert all(value in message for value in allowed), message
        assert repr(wrong) in message
        instance = _instance(model)
        with pytest.raises(error):
            setattr(instance, field, wrong)
    if _nullable(model, field):
        assert getattr(_instance(model, **{field: None}), field) is None


def test_the_issue_examples() -> None:
    hls = models.ComponentOptionsHLS(subscribe_mode="manual")
    assert hls.subscribe_mode is models.ComponentOptionsHLSSubscribeMode.MANUAL
    assert hls.to_dict()["subscribeMode"] == "manual"
    with pytest.raises(ValueError, match=r"^video_codec must be 'h264' or 'vp8' \(or a "):
        models.RoomConfig(video_codec="h265")
    assert models.RoomConfig(video_codec="vp8").to_dict() == {"videoCodec": "vp8"}
    assert repr(models.ComponentOptionsHLS()) == repr(
        models.ComponentOptionsHLS(subscribe_mode=models.ComponentOptionsHLSSubscribeMode.AUTO)
    )


def test_the_conversion_leaves_no_trace_on_the_classes() -> None:
    for model in _model_classes():
        assert not [name for name in vars(model) if "convert" in name or "enum_option" in name]
    signature = inspect.signature(models.ComponentOptionsHLS)
    annotation = str(signature.parameters["subscribe_mode"].annotation)
    assert annotation == "ComponentOptionsHLSSubscribeMode | Literal['auto', 'manual'] | Unset"


USER_CODE = """
from jellyfish import ComponentOptionsHLS, ComponentOptionsHLSSubscribeMode, RoomConfig

ComponentOptionsHLS(subscribe_mode="manual")
ComponentOptionsHLS(subscribe_mode=ComponentOptionsHLSSubscribeMode.AUTO)
RoomConfig(video_codec="h264")
RoomConfig(video_codec=None)
ComponentOptionsHLS(subscribe_mode="bogus")  # line 8
RoomConfig(video_codec="h265")  # line 9
"""


def test_type_checkers_accept_the_string_values_and_only_them(tmp_path: Path) -> None:
    api = pytest.importorskip("mypy.api", reason="mypy is in the test dependency group")
    script = tmp_path / "user.py"
    script.write_text(USER_CODE)
    stdout, stderr, status = api.run(
        ["--strict", "--python-version", "3.10", "--no-incremental", str(script)]
    )
    assert status == 1, stdout + stderr
    errors = [line for line in stdout.splitlines() if ": error:" in line]
    assert [line.split(":")[1] for line in errors] == ["8", "9"], stdout + stderr
    assert "Literal['auto', 'manual']" in errors[0]
