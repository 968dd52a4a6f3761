"""What each public import loads: only what the name needs (issue 17.5).

Each import runs first thing in a fresh interpreter, which reports its ``sys.modules``. The
time these imports take is measured by ``nox -s bench`` (benchmarks/bench_startup.py), not
here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from rest._stubs import json_reply, stub_server  # tests/ is on sys.path

WEBSOCKET_LIBRARIES = ("websocket", "wsproto")
ASYNC_LIBRARIES = ("anyio", "trio", "sniffio")
HTTP_LIBRARIES = ("httpx", "httpcore")
ROOM = {
    "id": "room-1",
    "config": {"roomId": "room-1", "maxPeers": None, "videoCodec": None, "webhookUrl": None},
    "peers": [],
    "components": [],
}


def loaded_by(code: str) -> set[str]:
    probe = f"{code}\nimport json, sys\nprint('MODULES', json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.split("MODULES ", 1)[1]))


def _present(loaded: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(name for name in names if name in loaded)


def _under(loaded: set[str], prefix: str) -> list[str]:
    return sorted(m for m in loaded if m == prefix or m.startswith(prefix + "."))


@pytest.fixture
def rest_server() -> Iterator[str]:
    """``host:port`` of a stub answering every request with one room (GET /room/room-1)."""
    with stub_server(lambda *_: json_reply(200, {"data": ROOM})) as server:
        yield server.address


def test_room_api_loads_no_websocket_protobuf_notifier_or_async_api() -> None:
    loaded = loaded_by("from jellyfish import RoomApi")
    assert _present(loaded, WEBSOCKET_LIBRARIES) == []
    assert _under(loaded, "google.protobuf") == []
    assert _under(loaded, "jellyfish._notifications") == []
    assert _under(loaded, "jellyfish.events") == []
    assert [m for m in loaded if m.startswith("jellyfish.api._async")] == []
    assert "jellyfish.api._async_io" not in loaded


@pytest.mark.parametrize(
    "code",
    [
        "from jellyfish import RoomApi",
        "from jellyfish import RoomApi, RecordingApi\nRoomApi('localhost:1', 'token', timeout=3)",
        "from jellyfish import AsyncRoomApi, AsyncRecordingApi\nAsyncRoomApi('localhost:1')",
    ],
)
def test_the_rest_api_loads_no_http_library_or_models_before_a_call(code: str) -> None:
    """httpx, httpcore (which imports trio and anyio) and the models load with the first call.

    As httpx itself imports httpcore only when it builds a transport.
    """
    loaded = loaded_by(code)
    assert _present(loaded, (*HTTP_LIBRARIES, "h11", "trio", "ssl", "attrs", "attr")) == []
    assert _under(loaded, "jellyfish._openapi_client.models") == [
        "jellyfish._openapi_client.models"
    ]
    assert "jellyfish.api._sync_transport" not in loaded
    if "Async" not in code:
        assert _present(loaded, ASYNC_LIBRARIES) == []


def test_the_first_call_loads_the_http_stack_and_only_the_models_it_uses(
    rest_server: str,
) -> None:
    loaded = loaded_by(
        "from jellyfish import RoomApi\n"
        f"assert RoomApi({rest_server!r}).get_room('room-1').id == 'room-1'\n"
    )
    assert _present(loaded, ("httpx", "httpcore", "h11")) == ["h11", "httpcore", "httpx"]
    assert "jellyfish.api._sync_transport" in loaded
    models = _under(loaded, "jellyfish._openapi_client.models")
    assert "jellyfish._openapi_client.models.room" in models
    assert "jellyfish._openapi_client.models.peer_details_response_data" not in models
    assert "jellyfish._openapi_client.models.component_options_hls" not in models
    assert "jellyfish.api._model_types" not in loaded  # get_room needs no component class
    assert _present(loaded, WEBSOCKET_LIBRARIES) == []
    assert _under(loaded, "google.protobuf") == []


def test_httpcore_imports_anyio_and_trio_by_itself() -> None:
    """Why a blocking ``RoomApi``'s first call loads anyio (and trio): httpcore does, not us.

    httpcore 1.x's ``_synchronization`` module runs ``try: import trio`` and ``try: import
    anyio`` at import time (for its async pool), whenever they are installed; anyio is a
    dependency of this SDK, so it always is. This is why the REST modules import httpcore
    only when the first call builds the pool (the test above); the next test shows that
    nothing of ours needs either library.
    """
    loaded = loaded_by("import httpcore")
    assert "anyio" in loaded
    assert _under(loaded, "jellyfish") == []


def test_room_api_needs_no_anyio_or_trio_of_its_own(rest_server: str) -> None:
    # With both unimportable, httpcore's guarded imports give up and nothing of ours needs them.
    code = (
        "import sys\n"
        "sys.modules['anyio'] = sys.modules['trio'] = None\n"
        "from jellyfish import RoomApi, RecordingApi\n"
        "from jellyfish import Room, RoomConfig\n"
        f"with RoomApi({rest_server!r}) as api:\n"
        "    assert api.get_room('room-1').id == 'room-1'\n"
    )
    loaded = loaded_by(code)
    assert "jellyfish.api._room_api" in loaded
    assert "jellyfish.api._recording_api" in loaded
    assert "httpcore" in loaded


def test_async_room_api_loads_no_blocking_client_or_websocket_library() -> None:
    loaded = loaded_by("from jellyfish import AsyncRoomApi")
    assert _present(loaded, ("websocket", "wsproto")) == []
    assert _under(loaded, "google.protobuf") == []
    assert "jellyfish.api._room_api" not in loaded
    assert "jellyfish.api._sync_client" not in loaded
    assert "jellyfish.api._sync_io" not in loaded


def test_notifier_loads_no_http_library_and_no_websocket_client() -> None:
    loaded = loaded_by("from jellyfish import Notifier")
    assert _present(loaded, HTTP_LIBRARIES) == []
    assert "websocket" not in loaded
    assert "attrs" not in loaded
    assert "click" not in loaded
    assert _under(loaded, "jellyfish.api") == []
    assert _under(loaded, "jellyfish._openapi_client") == []
    assert "jellyfish._notifications._blocking" not in loaded
    assert "ssl" not in loaded  # about 10 ms; loaded when a TLS connection is made


def test_catch_up_loads_the_rest_client_only_when_it_catches_up() -> None:
    code = (
        "from jellyfish import BlockingNotifier, Notifier, Router\n"
        "Notifier(catch_up=True, router=Router())\n"
        "BlockingNotifier(catch_up=True, router=Router())\n"
    )
    loaded = loaded_by(code)
    assert _present(loaded, HTTP_LIBRARIES) == []
    assert _under(loaded, "jellyfish.api") == []
    assert "jellyfish._catch_up" not in loaded  # its state comes with the first connection


def test_blocking_notifier_loads_no_http_library_or_anyio_notifier() -> None:
    loaded = loaded_by("from jellyfish import BlockingNotifier")
    assert _present(loaded, HTTP_LIBRARIES) == []
    assert _under(loaded, "jellyfish.api") == []
    assert "jellyfish._notifications._anyio" not in loaded


@pytest.mark.parametrize("name", ["receive_webhook", "receive_binary", "receive_json"])
def test_webhooks_load_the_decoder_alone(name: str) -> None:
    loaded = loaded_by(f"from jellyfish import {name}")
    assert _present(loaded, (*HTTP_LIBRARIES, *ASYNC_LIBRARIES, *WEBSOCKET_LIBRARIES, "h11")) == []
    assert "ssl" not in loaded
    assert "attrs" not in loaded
    assert "click" not in loaded
    assert _under(loaded, "jellyfish._notifications") == [
        "jellyfish._notifications",
        "jellyfish._notifications._decoder",
        "jellyfish._notifications._webhooks",
    ]


def test_the_events_package_loads_no_notifier() -> None:
    loaded = loaded_by("import jellyfish.events")
    assert _present(loaded, (*HTTP_LIBRARIES, *ASYNC_LIBRARIES, *WEBSOCKET_LIBRARIES)) == []
    assert _under(loaded, "jellyfish._notifications") == []


def test_one_model_loads_its_own_module_only() -> None:
    loaded = loaded_by("from jellyfish import ComponentOptionsHLS")
    assert _under(loaded, "jellyfish._openapi_client") == [
        "jellyfish._openapi_client",
        "jellyfish._openapi_client.enum_options",
        "jellyfish._openapi_client.models",
        "jellyfish._openapi_client.models.component_options_hls",
        "jellyfish._openapi_client.models.component_options_hls_subscribe_mode",
        "jellyfish._openapi_client.types",
    ]
    assert _present(loaded, HTTP_LIBRARIES) == []


def test_the_generated_http_layer_is_not_shipped() -> None:
    import jellyfish._openapi_client as generated

    assert generated.__file__ is not None
    shipped = {path.name for path in Path(generated.__file__).parent.iterdir()}
    assert {"models", "types.py", "enum_options.py"} <= shipped
    assert not shipped & {"api", "client.py", "errors.py"}
