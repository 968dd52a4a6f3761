"""Tests of the code generation pipeline itself; `nox -s codegen_tests` runs them."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from google.protobuf import descriptor_pb2

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import events_surface
import generate


def test_every_correction_applies_and_has_a_reason() -> None:
    spec = yaml.safe_load((generate.SPEC / "openapi.yaml").read_text())
    corrections = yaml.safe_load((generate.CODEGEN / "spec_corrections.yaml").read_text())
    patched = generate.apply_corrections(spec, corrections)
    end_call = patched["paths"]["/sip/{room_id}/{component_id}/call"]["delete"]["responses"]
    assert "204" in end_call
    assert "201" not in end_call
    add_peer = patched["paths"]["/room/{room_id}/peer"]["post"]["requestBody"]
    assert add_peer["content"]["application/json"]["schema"]["required"] == ["type"]
    hls = patched["paths"]["/hls/{room_id}/{filename}"]["get"]["responses"]["200"]["content"]
    assert list(hls) == ["application/octet-stream"]
    assert spec != patched, "the spec itself must stay untouched"


def test_a_correction_that_no_longer_applies_fails_loudly() -> None:
    spec = {"paths": {}}
    with pytest.raises(KeyError, match=r"no .x. in the spec"):
        generate.apply_corrections(
            spec, [{"reason": "r", "op": "replace", "path": "/paths/x/y", "value": 1}]
        )
    with pytest.raises(ValueError, match="without a reason"):
        generate.apply_corrections(spec, [{"op": "add", "path": "/paths/x", "value": 1}])


def test_drift_check_fails_when_a_generated_file_is_touched(tmp_path: Path) -> None:
    committed = tmp_path / "committed"
    shutil.copytree(generate.OPENAPI_OUT, committed)
    assert generate.drift(generate.OPENAPI_OUT, committed) == []

    (committed / "models" / "room.py").write_text("# edited by hand\n")
    (committed / "stray.py").write_text("")
    (committed / "types.py").unlink()
    problems = generate.drift(generate.OPENAPI_OUT, committed)
    assert any(p.startswith("differs:") and "room.py" in p for p in problems)
    assert any(p.startswith("not generated:") and "stray.py" in p for p in problems)
    assert any(p.startswith("missing:") and "types.py" in p for p in problems)


def test_check_mode_passes_on_the_committed_tree() -> None:
    result = subprocess.run(
        [sys.executable, str(generate.CODEGEN / "generate.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_changing_a_field_in_spec_changes_the_generated_code(tmp_path: Path) -> None:
    spec_dir = tmp_path / "spec"
    shutil.copytree(generate.SPEC, spec_dir)
    openapi = (spec_dir / "openapi.yaml").read_text()
    assert "peerlessPurgeTimeout" in openapi
    (spec_dir / "openapi.yaml").write_text(openapi.replace("peerlessPurgeTimeout", "idleTimeout"))
    proto = spec_dir / "protos" / "jellyfish" / "server_notifications.proto"
    proto.write_text(proto.read_text().replace("string reason = 3;", "string cause = 3;"))

    client = generate.generate_openapi_client(tmp_path / "rest", spec_dir)
    room_config = (client / "models" / "room_config.py").read_text()
    assert "idle_timeout" in room_config
    assert '"idleTimeout"' in room_config
    assert "peerless_purge_timeout" not in room_config

    protos = generate.generate_protobuf_modules(tmp_path / "pb", spec_dir)
    stub = (protos / "jellyfish" / "server_notifications_pb2.pyi").read_text()
    assert "cause: str" in stub
    assert "reason: str" not in stub


def test_only_the_models_ship_and_they_load_one_by_one(tmp_path: Path) -> None:
    client = generate.generate_openapi_client(tmp_path / "rest")
    assert sorted(p.name for p in client.iterdir()) == [
        "__init__.py",
        "enum_options.py",
        "models",
        "types.py",
    ]
    assert client.joinpath("__init__.py").read_text() == generate.PACKAGE_DOCSTRING
    types = ast.parse((client / "types.py").read_text())
    defined = {n.name for n in types.body if isinstance(n, ast.ClassDef)}
    assert defined == {"Unset"}  # File and Response served the dropped HTTP layer
    assert "UNSET: Unset = Unset()" in ast.unparse(types)
    init = (client / "models" / "__init__.py").read_text()
    assert "if TYPE_CHECKING:\n    from .add_component_body import AddComponentBody\n" in init
    assert '    "AddComponentBody": "add_component_body",\n' in init
    assert "def __getattr__(name: str) -> object:" in init


def test_dropping_the_http_layer_fails_on_another_layout(tmp_path: Path) -> None:
    package = tmp_path / "_openapi_client"
    (package / "models").mkdir(parents=True)
    (package / "api").mkdir()
    (package / "client.py").write_text("")
    with pytest.raises(RuntimeError, match=r"made no errors\.py"):
        generate.keep_only_the_models(package)
    (package / "api").mkdir()
    (package / "client.py").write_text("")
    (package / "errors.py").write_text("")
    (package / "models" / "room.py").write_text("from ..client import Client\n")
    with pytest.raises(RuntimeError, match=r"room\.py imports the dropped HTTP layer"):
        generate.keep_only_the_models(package)


def test_a_new_enum_field_in_spec_gets_its_conversion(tmp_path: Path) -> None:
    spec_dir = tmp_path / "spec"
    shutil.copytree(generate.SPEC, spec_dir)
    openapi = (spec_dir / "openapi.yaml").read_text()
    region = (
        "        region:\n          description: Where the room runs\n"
        "          enum:\n            - eu\n            - us\n          type: string\n"
    )
    anchor = "        roomId:\n          description: Custom id"
    assert openapi.count(anchor) == 1
    (spec_dir / "openapi.yaml").write_text(openapi.replace(anchor, region + anchor))

    client = generate.generate_openapi_client(tmp_path / "rest", spec_dir)
    room_config = (client / "models" / "room_config.py").read_text()
    assert (
        "def _convert_region(\n"
        '    value: RoomConfigRegion | Literal["eu", "us"] | Unset,\n'
        ") -> RoomConfigRegion | Unset:\n"
    ) in room_config
    assert "region: RoomConfigRegion | Unset = _attrs_field(" in room_config


def test_an_enum_field_of_an_unknown_layout_is_refused(tmp_path: Path) -> None:
    models = tmp_path / "_openapi_client" / "models"
    models.mkdir(parents=True)
    (models / "mood.py").write_text(
        'from enum import Enum\n\n\nclass Mood(str, Enum):\n    HAPPY = "happy"\n'
    )
    (models / "room.py").write_text(
        "from __future__ import annotations\n\nfrom ..models.mood import Mood\n\n\n"
        "class Room:\n    moods: list[Mood]\n"
    )
    with pytest.raises(RuntimeError, match=r"Room\.moods has an enum layout 'list\[Mood\]'"):
        generate.convert_enum_options(tmp_path / "_openapi_client")


def test_models_keep_the_0_4_0_field_name_type(tmp_path: Path) -> None:
    client = generate.generate_openapi_client(tmp_path / "rest")
    peer = (client / "models" / "peer.py").read_text()
    assert "\n    type: str\n" in peer
    assert "type_" not in peer
    assert '"type": type,' in peer
    assert "type=type," in peer
    # in a class with a `type` field, `type[T]` would name the field: the builtin is explicit
    assert "def from_dict(cls: builtins.type[T], " in peer
    untouched = (client / "models" / "room.py").read_text()
    assert "def from_dict(cls: type[T], " in untouched
    assert "import builtins" not in untouched


def test_the_annotation_fix_refuses_an_unexpected_layout(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "odd.py").write_text("class Odd:\n    type: str\n")
    with pytest.raises(RuntimeError, match=r"odd\.py: unexpected generated layout"):
        generate.keep_the_builtin_type_in_annotations(tmp_path)


def test_the_committed_rest_client_passes_mypy_strict(tmp_path: Path) -> None:
    # The typed surface users get: a field named `type` must not break the annotations.
    api = pytest.importorskip("mypy.api")
    shutil.copytree(generate.OPENAPI_OUT, tmp_path / "_openapi_client")
    config = tmp_path / "mypy.ini"  # not the project's, which silences the generated code
    config.write_text("[mypy]\nstrict = True\npython_version = 3.10\n")
    stdout, stderr, status = api.run(
        ["--config-file", str(config), "--no-incremental", str(tmp_path / "_openapi_client")]
    )
    assert status == 0, stdout + stderr
    assert "no issues found in" in stdout


NEW_MESSAGE = """
  // Defines a mood
  enum Mood {
    MOOD_UNSPECIFIED = 0;
    MOOD_HAPPY = 1;
  }

  // Notification sent when a room is renamed
  message RoomRenamed {
    string room_id = 1;
    repeated TrackType kinds = 2;
    map<string, string> labels = 3;
    Mood mood = 4;
  }

  oneof content {
    RoomRenamed room_renamed = 22;"""


def _spec_with_a_new_notification(tmp_path: Path) -> Path:
    spec_dir = tmp_path / "spec"
    shutil.copytree(generate.SPEC, spec_dir)
    proto = spec_dir / "protos" / "jellyfish" / "server_notifications.proto"
    text = proto.read_text()
    assert text.count("\n  oneof content {") == 1
    proto.write_text(text.replace("\n  oneof content {", NEW_MESSAGE))
    return spec_dir


def test_events_module_matches_the_committed_one(tmp_path: Path) -> None:
    fresh = generate.generate_events_module(tmp_path)
    assert generate.drift(fresh, generate.EVENTS_MODULE_OUT) == []
    edited = tmp_path / "committed" / generate.EVENTS_MODULE_OUT.name
    edited.parent.mkdir()
    edited.write_text(fresh.read_text().replace("TRACK_TYPE_VIDEO = 1", "TRACK_TYPE_VIDEO = 9"))
    (problem,) = generate.drift(fresh, edited)
    assert problem.startswith(f"differs: {edited}")


def test_a_new_notification_in_spec_gets_names_stubs_repr_and_to_dict(tmp_path: Path) -> None:
    spec_dir = _spec_with_a_new_notification(tmp_path)
    protos = generate.generate_protobuf_modules(tmp_path / "pb", spec_dir)
    module = generate.generate_events_module(tmp_path / "events", spec_dir)

    source = module.read_text()
    assert "\nServerMessageRoomRenamed = ServerMessage.RoomRenamed\n" in source
    assert '    "ServerMessageRoomRenamed": ServerMessageRoomRenamed,\n' in source
    assert "\nclass ServerMessageMood(ProtobufEnum):\n" in source
    assert "Defines a mood." in source
    stub = (protos / "jellyfish" / "server_notifications_pb2.pyi").read_text()
    match = re.search(r"class RoomRenamed\(.*?(?=\n    \S)", stub, re.DOTALL)
    assert match is not None
    renamed = match.group(0)
    assert "def to_dict(self, " in renamed
    assert "kinds: _containers.RepeatedScalarFieldContainer[int]" in renamed
    assert "mood: int" in renamed
    assert "mood: _Optional[_Union[int, str]]" in renamed

    # At runtime, in a package laid out like the SDK's (only protobuf needed):
    site = tmp_path / "site"
    events = site / "jellyfish" / "events"
    shutil.copytree(protos, events / "_protos")
    shutil.copy(generate.ROOT / "src" / "jellyfish" / "events" / "_readable.py", events)
    shutil.copy(module, events)
    for package in (site / "jellyfish", events):
        (package / "__init__.py").write_text("")
    program = """
import pickle
from jellyfish.events._generated import ServerMessage, ServerMessageMood, ServerMessageRoomRenamed
event = ServerMessageRoomRenamed(room_id="r", kinds=[1, 2], labels={"a": "b"}, mood=1)
print(repr(event))
print(event.to_dict())
print(repr(ServerMessage(room_renamed=event)))
print(ServerMessageMood(1).name, pickle.loads(pickle.dumps(event)) == event)
"""
    result = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(site)},
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "ServerMessageRoomRenamed(room_id='r', kinds=[TRACK_TYPE_VIDEO, TRACK_TYPE_AUDIO], "
        "labels={'a': 'b'}, mood=MOOD_HAPPY)",
        "{'roomId': 'r', 'kinds': ['TRACK_TYPE_VIDEO', 'TRACK_TYPE_AUDIO'], "
        "'labels': {'a': 'b'}, 'mood': 'MOOD_HAPPY'}",
        "ServerMessage(room_renamed=ServerMessageRoomRenamed(room_id='r', kinds=[TRACK_TYPE_VIDEO, "
        "TRACK_TYPE_AUDIO], labels={'a': 'b'}, mood=MOOD_HAPPY))",
        "MOOD_HAPPY True",
    ]


def test_two_messages_with_the_same_0_4_0_name_are_refused() -> None:
    file = descriptor_pb2.FileDescriptorProto(name="x.proto", package="p")
    outer = file.message_type.add(name="A")
    outer.nested_type.add(name="BC")
    file.message_type.add(name="AB").nested_type.add(name="C")
    with pytest.raises(ValueError, match=r"p\.A\.BC and p\.AB\.C would both be ABC"):
        events_surface.declarations(file)
