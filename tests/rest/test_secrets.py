"""The server API token stays out of crash reports.

Reporters such as Sentry record, for every frame of a traceback (and of its chained
causes), the ``repr`` of each local variable. None of them may show the token: not the API
objects, not their settings, not the headers, not httpx's objects.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from jellyfish import AsyncRecordingApi, AsyncRoomApi, RecordingApi, RoomApi
from jellyfish._settings import resolve_settings
from jellyfish.errors import JellyfishError

from ._hostile import captured_reprs
from ._stubs import StubServer, json_reply, refused_address, silent_server, stub_server

TOKEN = "tok-SECRET-7f3a9c"


def assert_no_token(error: BaseException) -> None:
    leaks = [where for where, shown in captured_reprs(error) if TOKEN in shown]
    assert not leaks, f"the token is visible in {leaks}"


def _unauthorized(method: str, path: str, body: bytes, headers: dict[str, str]) -> Any:
    return json_reply(401, {"errors": "Invalid token"})


@pytest.fixture
def server() -> Iterator[StubServer]:
    with stub_server(_unauthorized) as server:
        yield server


def _failing_addresses(server: StubServer) -> Iterator[str]:
    yield server.address  # 401
    yield refused_address()  # connection refused


@pytest.mark.parametrize("api_class", [RoomApi, RecordingApi])
def test_failing_calls_keep_the_token_out_of_tracebacks(
    api_class: type[Any], server: StubServer
) -> None:
    for address in _failing_addresses(server):
        with api_class(address, TOKEN) as api, pytest.raises(JellyfishError) as info:
            api.get_health() if api_class is RecordingApi else api.get_room("r1")
        assert_no_token(info.value)
    with silent_server() as address, api_class(address, TOKEN, timeout=0.2) as api:
        with pytest.raises(TimeoutError) as timeout_info:
            api.get_health()
        assert_no_token(timeout_info.value)


@pytest.mark.anyio
@pytest.mark.parametrize("api_class", [AsyncRoomApi, AsyncRecordingApi])
async def test_failing_async_calls_keep_the_token_out_of_tracebacks(
    api_class: type[Any], server: StubServer
) -> None:
    for address in _failing_addresses(server):
        async with api_class(address, TOKEN) as api:
            with pytest.raises(JellyfishError) as info:
                await api.get_health()
            assert_no_token(info.value)
    with silent_server() as address:
        async with api_class(address, TOKEN, timeout=0.2) as api:
            with pytest.raises(TimeoutError) as timeout_info:
                await api.get_health()
            assert_no_token(timeout_info.value)


def test_an_injected_client_call_keeps_the_token_out_of_tracebacks(server: StubServer) -> None:
    with httpx.Client() as client, RoomApi(server.address, TOKEN, http_client=client) as api:  # noqa: SIM117
        with pytest.raises(JellyfishError) as info:
            api.get_room("r1")
    assert_no_token(info.value)


def test_settings_and_clients_hide_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JELLYFISH_TOKEN", TOKEN)
    assert TOKEN not in repr(resolve_settings())
    objects: list[Any] = [RoomApi(), AsyncRoomApi(), RecordingApi()]
    objects += [api._settings for api in objects]
    for shown in objects:
        assert TOKEN not in repr(shown)
        for attribute, inner in vars(shown).items():
            assert TOKEN not in repr(inner), f"{type(shown).__name__}.{attribute}"


def test_the_check_sees_a_leaking_local() -> None:
    """The walk above would notice a plain local holding the token (in a chained cause)."""

    def send(token: str) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        raise OSError(f"failed with {len(headers)} headers")

    try:
        try:
            send(TOKEN)
        except OSError as exc:
            raise JellyfishError("wrapped") from exc
    except JellyfishError as error:
        with pytest.raises(AssertionError, match="send:headers"):
            assert_no_token(error)
