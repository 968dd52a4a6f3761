"""Malformed tokens and addresses, through every entry point: a ``ValueError`` at
construction that names the problem, and the token nowhere (message, args, repr, log,
traceback locals). The CLI's side is in tests/cli/test_cli_hostile_input.py.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from jellyfish import (
    AsyncRecordingApi,
    AsyncRoomApi,
    BlockingNotifier,
    Notifier,
    RecordingApi,
    RoomApi,
)

from ._hostile import (
    BAD_ADDRESSES,
    MALFORMED_TOKENS,
    SECRET,
    captured_reprs,
    exceptions_in,
)
from ._stubs import health, json_reply, stub_server

ENTRY_POINTS: dict[str, Callable[..., Any]] = {
    "RoomApi": RoomApi,
    "AsyncRoomApi": AsyncRoomApi,
    "RecordingApi": RecordingApi,
    "AsyncRecordingApi": AsyncRecordingApi,
    "Notifier": Notifier,
    "BlockingNotifier": BlockingNotifier,
}
REST_ENTRY_POINTS = {name: ENTRY_POINTS[name] for name in list(ENTRY_POINTS)[:4]}
NOTIFIER_ENTRY_POINTS = {name: ENTRY_POINTS[name] for name in list(ENTRY_POINTS)[4:]}


def assert_hidden(error: BaseException, caplog: pytest.LogCaptureFixture) -> None:
    """No trace of the token: message, args, repr, the log, the exception chain."""
    for exc in exceptions_in(error):
        for shown in (str(exc), repr(exc), repr(exc.args)):
            assert SECRET[4:] not in shown
    assert SECRET[4:] not in caplog.text
    assert type(error) is ValueError  # not wrapped (an ExceptionGroup, a TransportError)


def assert_no_plain_local(error: BaseException) -> None:
    leaks = [where for where, shown in captured_reprs(error, caller=False) if SECRET[4:] in shown]
    assert not leaks, f"the token is visible in {leaks}"


@pytest.fixture(autouse=True)
def _everything_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)


@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
@pytest.mark.parametrize("case", MALFORMED_TOKENS)
def test_a_malformed_token_is_refused_at_construction_without_showing_it(
    entry_point: str, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    token, problem = MALFORMED_TOKENS[case]
    with pytest.raises(ValueError, match=f"^server_api_token {re.escape(problem)}") as info:
        ENTRY_POINTS[entry_point]("127.0.0.1:5002", token)
    assert_hidden(info.value, caplog)


@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
# (an empty variable is an unset one; no environment variable can hold a NUL)
@pytest.mark.parametrize(
    "case", [case for case in MALFORMED_TOKENS if case not in ("empty", "NUL inside")]
)
def test_a_malformed_jellyfish_token_variable_is_refused_the_same_way(
    entry_point: str, case: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    token, problem = MALFORMED_TOKENS[case]
    monkeypatch.setenv("JELLYFISH_TOKEN", token)
    with pytest.raises(ValueError, match=f"^JELLYFISH_TOKEN {re.escape(problem)}") as info:
        ENTRY_POINTS[entry_point]("127.0.0.1:5002")
    assert_hidden(info.value, caplog)


def _constructor_failures(entry_points: dict[str, Callable[..., Any]]) -> Iterator[BaseException]:
    """Every way a constructor can fail while it has the token (the two token sources)."""
    for constructor in entry_points.values():
        for token, _ in MALFORMED_TOKENS.values():
            try:
                constructor("127.0.0.1:5002", token)
            except ValueError as error:
                yield error
        for kwargs in (
            {"server_address": "127.0.0.1:99999"},
            {"server_address": "https://x:1", "secure": False},
        ):
            try:
                constructor(server_api_token=SECRET, **kwargs)
            except ValueError as error:
                yield error


def test_rest_constructors_keep_no_plain_token_local(monkeypatch: pytest.MonkeyPatch) -> None:
    errors = list(_constructor_failures(REST_ENTRY_POINTS))
    for kwargs in ({"timeout": -1}, {"http_client": object()}, {"cluster_routing": "x"}):
        for constructor in REST_ENTRY_POINTS.values():
            with pytest.raises(ValueError, match=r"timeout|http_client|cluster_routing") as info:
                constructor("127.0.0.1:5002", SECRET, **kwargs)
            errors.append(info.value)
    monkeypatch.setenv("JELLYFISH_TOKEN", SECRET + "\n")
    for constructor in REST_ENTRY_POINTS.values():
        with pytest.raises(ValueError, match="JELLYFISH_TOKEN ends with a line break") as info:
            constructor()
        errors.append(info.value)
    assert len(errors) == 4 * (len(MALFORMED_TOKENS) + 2 + 3 + 1)
    for error in errors:
        assert_no_plain_local(error)


def test_notifier_constructors_keep_no_plain_token_local() -> None:
    """The notifiers must wrap the token on their first line (``Secret.of``), as the REST
    constructors do; their own parameter is the one local left to hide."""
    errors = list(_constructor_failures(NOTIFIER_ENTRY_POINTS))
    assert len(errors) == 2 * (len(MALFORMED_TOKENS) + 2)
    for error in errors:
        assert_no_plain_local(error)


def test_the_frame_check_sees_a_plain_token_local() -> None:
    """The walk above would notice a constructor that kept the token in a local."""

    def constructor(server_api_token: str) -> None:
        raise ValueError("server_api_token is wrong")

    with pytest.raises(ValueError, match="is wrong") as info:
        constructor(SECRET)
    with pytest.raises(AssertionError, match="constructor:server_api_token"):
        assert_no_plain_local(info.value)


# ---------------------------------------------------------------- addresses


@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
@pytest.mark.parametrize("address", BAD_ADDRESSES)
def test_a_bad_address_is_refused_at_construction_by_one_rule(
    entry_point: str, address: str
) -> None:
    expected = (
        f"^invalid server_address {re.escape(repr(address))}: .*{re.escape(BAD_ADDRESSES[address])}"
    )
    with pytest.raises(ValueError, match=expected):
        ENTRY_POINTS[entry_point](address)


@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
def test_a_scheme_contradicting_secure_is_refused_by_every_entry_point(entry_point: str) -> None:
    with pytest.raises(ValueError, match="says https/wss but secure=False contradicts it"):
        ENTRY_POINTS[entry_point]("https://jf.example.com", secure=False)


@pytest.mark.parametrize(
    ("address", "url"),
    [
        ("http://jf.example.com:5002", "ws://jf.example.com:5002/socket/server/websocket"),
        ("https://jf.example.com/", "wss://jf.example.com/socket/server/websocket"),
        ("wss://[::1]:5002", "wss://[::1]:5002/socket/server/websocket"),
    ],
)
@pytest.mark.parametrize("entry_point", NOTIFIER_ENTRY_POINTS)
def test_notifiers_take_a_url_as_the_address(entry_point: str, address: str, url: str) -> None:
    assert ENTRY_POINTS[entry_point](address).url == url


HEALTH = health(enabled=False)


def test_rest_clients_take_a_url_as_the_address() -> None:
    with stub_server(lambda *_: json_reply(200, HEALTH)) as server:
        for scheme in ("http", "ws"):
            with RoomApi(f"{scheme}://{server.address}/") as api:
                assert api.server_address == server.address
                assert api.get_health().version == "0.5.0"
        with RecordingApi(f"http://{server.address}") as recordings:
            assert recordings.get_health().uptime == 1
    assert repr(RoomApi("HTTPS://jf.example.com:8443")) == (
        "RoomApi(server_address='jf.example.com:8443', secure=True, timeout=10.0, state='open')"
    )


@pytest.mark.anyio
async def test_async_clients_take_a_url_as_the_address() -> None:
    with stub_server(lambda *_: json_reply(200, HEALTH)) as server:
        async with AsyncRoomApi(f"http://{server.address}") as api:
            assert (await api.get_health()).version == "0.5.0"
        async with AsyncRecordingApi(f"ws://{server.address}/") as recordings:
            assert (await recordings.get_health()).uptime == 1
