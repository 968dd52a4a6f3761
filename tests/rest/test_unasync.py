"""codegen/unasync_rest.py: the blocking REST modules are generated from the async ones.

``nox -s unasync -- --check`` (in CI) compares the committed files with its output; these
tests pin down the rewrite itself.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("unasync_rest", ROOT / "codegen/unasync_rest.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


unasync_rest = _load()

SOURCE = '''"""Thing (async: asyncio and trio)."""
from jellyfish.api import _async_io as _io
from jellyfish.api._async_client import AsyncClient


class AsyncRoomApi(AsyncClient):
    async def get(self) -> bytes:
        """Use as ``async with api.stream() as chunks:``; close with ``await api.aclose()``."""
        async with self._stream() as chunks:
            async for chunk in chunks:
                return await chunk.aread()
        return b""

    async def __aenter__(self) -> AsyncRoomApi:
        return self
'''

EXPECTED = '''"""Thing (blocking)."""
from jellyfish.api import _sync_io as _io
from jellyfish.api._sync_client import SyncClient


class RoomApi(SyncClient):
    def get(self) -> bytes:
        """Use as ``with api.stream() as chunks:``; close with ``api.close()``."""
        with self._stream() as chunks:
            for chunk in chunks:
                return chunk.read()
        return b""

    def __enter__(self) -> RoomApi:
        return self
'''


def test_the_rewrite_maps_keywords_names_and_docstrings() -> None:
    generated = unasync_rest.unasync("_async_example.py", SOURCE)
    header, body = generated.split("\n", 1)
    assert header.startswith("# GENERATED from _async_example.py")
    assert body == EXPECTED


def test_a_name_without_a_blocking_counterpart_stops_the_generation() -> None:
    source = "import anyio\n\n\nasync def wait() -> None:\n    await anyio.sleep(1)\n"
    with pytest.raises(SystemExit, match=r"_async_example.py:1: 'anyio' has no blocking"):
        unasync_rest.unasync("_async_example.py", source)


@pytest.mark.parametrize(("source", "target"), sorted(unasync_rest.FILES.items()))
def test_every_blocking_twin_is_marked_generated(source: str, target: str) -> None:
    text = (ROOT / target).read_text()
    assert text.startswith(f"# GENERATED from {Path(source).name} by codegen/unasync_rest.py")


def test_every_rule_matches_the_sources_as_they_are() -> None:
    generated = unasync_rest.unasync_all()
    assert sorted(generated) == sorted(unasync_rest.FILES.values())


def test_a_rule_that_matches_nothing_stops_the_generation(monkeypatch: pytest.MonkeyPatch) -> None:
    """A docstring reflowed in the async source no longer matches its phrase: that must fail,
    not leave the async wording in the blocking module."""
    [(phrase, replacement)] = [
        (old, new) for old, new in unasync_rest.PHRASES if old.startswith("Use it from one event")
    ]
    reflowed = phrase.replace("\n    ", " ")  # the same words, on one line
    monkeypatch.setattr(unasync_rest, "PHRASES", [*unasync_rest.PHRASES, (reflowed, replacement)])
    with pytest.raises(unasync_rest.UnusedRules, match="matched nothing") as info:
        unasync_rest.unasync_all()
    assert repr(reflowed) in str(info.value)
    monkeypatch.setattr(unasync_rest, "NAMES", {**unasync_rest.NAMES, "arenamed": "renamed"})
    with pytest.raises(unasync_rest.UnusedRules, match="'arenamed'"):
        unasync_rest.unasync_all()
