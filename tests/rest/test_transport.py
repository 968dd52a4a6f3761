"""The blocking SDK's own pool (an ``httpx.BaseTransport`` over httpcore) behaves as a plain
``httpx.Client`` would: proxies from the environment, ``NO_PROXY``; and a user's own
``httpx.Client`` gets the deadline from a helper thread whose late answer is dropped."""

from __future__ import annotations

import socket
import threading
from typing import Any

import httpx
import pytest

from jellyfish import RoomApi
from jellyfish.errors import RequestTimeoutError

from ._stubs import answering_server, json_reply, refused_address, stub_server

ROOMS = {"data": []}


@pytest.fixture
def no_proxy_variables(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    return monkeypatch


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "ALL_PROXY", "http_proxy"])
def test_the_own_pool_goes_through_a_proxy_from_the_environment(
    no_proxy_variables: pytest.MonkeyPatch, variable: str
) -> None:
    with stub_server(lambda *_: json_reply(200, ROOMS)) as proxy:
        no_proxy_variables.setenv(variable, f"http://{proxy.address}")
        with RoomApi("jellyfish.invalid:5002", "development") as api:  # not JELLYFISH_TOKEN
            assert api.get_all_rooms() == []
    method, target, _, headers = proxy.requests[0]
    assert (method, target) == ("GET", "http://jellyfish.invalid:5002/room")
    assert headers["authorization"] == "Bearer development"


def test_no_proxy_sends_the_listed_hosts_directly(no_proxy_variables: pytest.MonkeyPatch) -> None:
    no_proxy_variables.setenv("HTTP_PROXY", f"http://{refused_address()}")
    no_proxy_variables.setenv("NO_PROXY", "example.com,127.0.0.1")
    with stub_server(lambda *_: json_reply(200, ROOMS)) as server, RoomApi(server.address) as api:
        assert api.get_all_rooms() == []
    assert server.requests[0][1] == "/room"


def test_no_proxy_star_turns_proxies_off(no_proxy_variables: pytest.MonkeyPatch) -> None:
    no_proxy_variables.setenv("ALL_PROXY", f"http://{refused_address()}")
    no_proxy_variables.setenv("NO_PROXY", "*")
    with stub_server(lambda *_: json_reply(200, ROOMS)) as server, RoomApi(server.address) as api:
        assert api.get_all_rooms() == []


def test_a_late_answer_to_an_injected_blocking_client_is_dropped() -> None:
    """The caller gives up at the deadline; the answer that comes later is closed by the
    helper thread, and the user's client serves the next call."""
    release = threading.Event()
    body = b'{"data":[]}'
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)

    def late_then_prompt(conn: socket.socket) -> None:
        conn.recv(65536)
        release.wait(5)  # the first answer comes after the caller gave up
        conn.sendall(answer)
        conn.recv(65536)
        conn.sendall(answer)

    with answering_server(late_then_prompt) as address, httpx.Client() as client:  # noqa: SIM117
        with RoomApi(address, http_client=client, timeout=0.3) as api:
            with pytest.raises(RequestTimeoutError):
                api.get_all_rooms()
            helpers = [t for t in threading.enumerate() if t.name == "jellyfish-rest-call"]
            release.set()
            for helper in helpers:
                helper.join(5)
                assert not helper.is_alive()
            assert api.get_all_rooms(timeout=5) == []


def test_an_injected_blocking_client_call_runs_with_the_callers_context() -> None:
    """Context variables (tracing, logging context) reach the helper thread."""
    import contextvars

    seen: list[Any] = []
    variable: contextvars.ContextVar[str] = contextvars.ContextVar("request_id")

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(variable.get("unset"))
        return httpx.Response(200, json=ROOMS)

    variable.set("req-42")
    with httpx.Client(transport=httpx.MockTransport(handler)) as client:  # noqa: SIM117
        with RoomApi(http_client=client) as api:
            assert api.get_all_rooms() == []
            assert api.get_all_rooms(timeout=None) == []  # no deadline: no helper thread
    assert seen == ["req-42", "req-42"]


def test_the_own_pool_deadline_needs_no_thread() -> None:
    with stub_server(lambda *_: json_reply(200, ROOMS)) as server, RoomApi(server.address) as api:
        assert api.get_all_rooms() == []  # the connection (and the stub's thread for it)
        threads = threading.active_count()
        for _ in range(20):
            assert api.get_all_rooms(timeout=5) == []
        assert threading.active_count() == threads
