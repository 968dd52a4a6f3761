"""Tests of the code generation pipeline itself; `nox -s codegen_tests` runs them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
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
