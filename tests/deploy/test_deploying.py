"""Every claim of docs/deploying.md, asserted against the emulator and real worker processes.

* a notifier started at import, or in an ASGI lifespan, runs once per worker: each
  notification is handled once per worker;
* webhooks behind the app's load balancer: each notification reaches exactly one worker
  (examples/deploy_webhooks.py under ``uvicorn --workers 2``);
* Jellyfish 0.5.0 does not retry a webhook whose POST failed;
* one notifier in one process (examples/deploy_notifier_service.py) loses what the server
  sends while it is disconnected, and its catch-up (``catch_up=True``) after ``Reconnected``
  delivers what changed;
* the examples run as documented.
"""

from __future__ import annotations

import collections
import http.server
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from faults._proxy import FaultProxy

from jellyfish import AsyncRoomApi, ReconnectPolicy, RoomApi, receive_binary
from jellyfish.testing import JellyfishServer

pytestmark = pytest.mark.emulator_only

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
WAIT = 30.0
"""Bound of every wait: worker processes start in well under this, even on a loaded CI."""


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)  # polling a file another process writes: there is no event to wait on


def journal_lines(path: Path) -> list[list[str]]:
    if not path.exists():
        return []
    return [line.split() for line in path.read_text().splitlines() if line]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def server() -> Iterator[JellyfishServer]:
    with JellyfishServer(webhook_loopback_only=True) as emulator:
        yield emulator


def run_workers(
    app: str, app_dir: Path, env: dict[str, str], workers: int = 2
) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            app,
            "--app-dir",
            str(app_dir),
            "--workers",
            str(workers),
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return process, f"http://127.0.0.1:{port}"


def stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(WAIT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stdout is not None:
        process.stdout.close()


# -- the problem: one notifier per worker ------------------------------------------------------

PER_WORKER_APPS = {
    "import": """
        import os, threading
        from jellyfish import BlockingNotifier
        from starlette.applications import Starlette

        notifier = BlockingNotifier(os.environ["JELLYFISH_ADDRESS"], os.environ["JELLYFISH_TOKEN"])

        @notifier.on_server_notification
        def handle(n):
            with open(os.environ["DEPLOY_JOURNAL"], "a") as journal:
                journal.write(f"{os.getpid()} {type(n).__name__} {n.room_id}\\n")

        notifier.start()  # at import: in every worker process
        notifier.wait_ready(20)
        with open(os.environ["DEPLOY_JOURNAL"], "a") as journal:
            journal.write(f"{os.getpid()} ready -\\n")
        app = Starlette()
    """,
    "lifespan": """
        import contextlib, os
        from jellyfish import Notifier
        from starlette.applications import Starlette

        def record(text):
            with open(os.environ["DEPLOY_JOURNAL"], "a") as journal:
                journal.write(f"{os.getpid()} {text}\\n")

        @contextlib.asynccontextmanager
        async def lifespan(app):
            notifier = Notifier(os.environ["JELLYFISH_ADDRESS"], os.environ["JELLYFISH_TOKEN"])
            notifier.on_server_notification(
                lambda n: record(f"{type(n).__name__} {n.room_id}")
            )
            async with notifier:  # the lifespan runs in every worker process too
                record("ready -")
                yield

        app = Starlette(lifespan=lifespan)
    """,
}


@pytest.mark.parametrize("where", list(PER_WORKER_APPS))
def test_a_notifier_started_in_each_worker_handles_every_notification_once_per_worker(
    where: str, server: JellyfishServer, tmp_path: Path
) -> None:
    (tmp_path / "per_worker_app.py").write_text(textwrap.dedent(PER_WORKER_APPS[where]))
    journal = tmp_path / "journal.txt"
    env = {
        "JELLYFISH_ADDRESS": server.address,
        "JELLYFISH_TOKEN": server.token,
        "DEPLOY_JOURNAL": str(journal),
    }
    process, _ = run_workers("per_worker_app:app", tmp_path, env)
    try:
        ready = lambda: {pid for pid, kind, _ in journal_lines(journal) if kind == "ready"}  # noqa: E731
        wait_for(lambda: len(ready()) == 2, "both workers' notifiers to be ready")
        with RoomApi(server.address, server.token) as api:
            _, room = api.create_room()
        handled = lambda: [p for p, kind, r in journal_lines(journal) if r == room.id]  # noqa: E731
        wait_for(lambda: len(handled()) == 2, "RoomCreated in both workers")
    finally:
        stop(process)
    assert sorted(handled()) == sorted(ready())  # once in each worker: twice in all


# -- webhooks behind the load balancer ---------------------------------------------------------


def test_webhooks_reach_exactly_one_worker(server: JellyfishServer, tmp_path: Path) -> None:
    journal = tmp_path / "journal.txt"
    process, url = run_workers("deploy_webhooks:app", EXAMPLES, {"DEPLOY_JOURNAL": str(journal)})
    try:
        workers: set[str] = set()

        def healthy() -> bool:
            try:
                workers.add(httpx.get(f"{url}/health", timeout=1).text)
            except httpx.HTTPError:
                return False
            return True

        wait_for(healthy, "the workers to serve")
        rooms = []
        with RoomApi(server.address, server.token) as api:
            _, silent = api.create_room()  # no webhook_url: no webhooks
            api.delete_room(silent.id)
            for _ in range(20):
                _, room = api.create_room(webhook_url=f"{url}/webhook")
                api.delete_room(room.id)
                rooms.append(room.id)
        wait_for(lambda: len(journal_lines(journal)) >= 40, "40 webhooks")
    finally:
        stop(process)
    lines = journal_lines(journal)
    counted = collections.Counter((kind, room_id) for _, kind, room_id in lines)
    expected = {
        (kind, r)
        for r in rooms
        for kind in ("ServerMessageRoomCreated", "ServerMessageRoomDeleted")
    }
    assert set(counted) == expected
    assert set(counted.values()) == {1}, "a notification was handled more than once"


class WebhookReceiver:
    """A threaded HTTP receiver of webhook bodies; answers 500 to the first when asked."""

    def __init__(self, port: int = 0, fail_first: bool = False) -> None:
        self.bodies: list[bytes] = []
        self.arrived = threading.Condition()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.arrived:
                    receiver.bodies.append(body)
                    receiver.arrived.notify_all()
                failing = fail_first and len(receiver.bodies) == 1
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait(self, count: int) -> list[str]:
        """The kinds of the first ``count`` webhooks, once they arrived."""
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.bodies) >= count, WAIT)
        return [type(receive_binary(body)).__name__ for body in self.bodies]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(WAIT)


def test_jellyfish_does_not_retry_a_webhook_answered_with_an_error(
    server: JellyfishServer,
) -> None:
    receiver = WebhookReceiver(fail_first=True)
    try:
        with RoomApi(server.address, server.token) as api:
            _, room = api.create_room(webhook_url=receiver.url)  # RoomCreated: answered 500
            api.delete_room(room.id)  # RoomDeleted: sent after it
        kinds = receiver.wait(2)
    finally:
        receiver.close()
    assert kinds == [
        "ServerMessageRoomCreated",
        "ServerMessageRoomDeleted",
    ]  # once each, in order: no retry


def test_a_webhook_sent_while_the_app_is_down_is_lost(server: JellyfishServer) -> None:
    port = free_port()
    with RoomApi(server.address, server.token) as api:
        _, room = api.create_room(webhook_url=f"http://127.0.0.1:{port}/webhook")
        wait_for(lambda: server.webhooks is not None and server.webhooks.failed == 1, "a failure")
        receiver = WebhookReceiver(port)  # the app is back
        try:
            api.delete_room(room.id)
            kinds = receiver.wait(1)
        finally:
            receiver.close()
    assert kinds == ["ServerMessageRoomDeleted"]


# -- one notifier in one process, catching up after Reconnected ---------------------------------


@pytest.mark.anyio
async def test_the_notifier_service_catches_up_with_what_it_missed() -> None:
    sys.path.insert(0, str(EXAMPLES))
    try:
        from deploy_notifier_service import RoomDirectory
    finally:
        sys.path.remove(str(EXAMPLES))
    fast = ReconnectPolicy(initial_delay=0.05, max_delay=0.2, max_attempts=None)
    with JellyfishServer(webhook_loopback_only=True) as server:
        async with AsyncRoomApi(server.address, server.token) as api:
            _, kept = await api.create_room()
            _, doomed = await api.create_room()
            with FaultProxy(server.address) as proxy:
                async with RoomDirectory(proxy.address, server.token, reconnect=fast) as directory:
                    with anyio.fail_after(WAIT):  # the state before it started: caught up
                        await directory.wait_until(lambda: {kept.id, doomed.id} <= directory.rooms)
                    await anyio.to_thread.run_sync(proxy.down)  # the service is cut off
                    _, missed = await api.create_room()
                    await api.delete_room(doomed.id)
                    await anyio.to_thread.run_sync(proxy.up)
                    with anyio.fail_after(WAIT):
                        await directory.wait_until(lambda: missed.id in directory.rooms)
                    rooms = set(directory.rooms)
                    assert directory.reconnects == 1
                    assert directory.notifier.stats.catch_ups == 2
    # the notifications of the outage were never delivered ...
    assert not any(missed.id.encode() in payload for payload in proxy.forwarded_binary())
    # ... yet the catch-up after the reconnect made the directory right, in one go
    assert missed.id in rooms
    assert kept.id in rooms
    assert doomed.id not in rooms


def test_the_notifier_service_runs_as_a_script(server: JellyfishServer) -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "deploy_notifier_service.py")],
        env={**os.environ, "JELLYFISH_ADDRESS": server.address, "JELLYFISH_TOKEN": server.token},
        capture_output=True,
        text=True,
        timeout=WAIT * 2,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "the directory followed" in result.stdout


def test_the_excerpt_in_the_docs_is_the_example_code() -> None:
    page = (ROOT / "docs" / "deploying.md").read_text()
    excerpt = page.split("<!-- fragment: an excerpt of examples/deploy_notifier_service.py")[1]
    code = excerpt.split("```python\n", 1)[1].split("```", 1)[0]
    source = (EXAMPLES / "deploy_notifier_service.py").read_text()
    for line in code.splitlines():
        assert line.strip() in source, line


def test_each_guarantee_of_the_stream_names_a_test_that_exists() -> None:
    """Every row of "What the stream guarantees" points at tests of tests/streams."""
    page = (ROOT / "docs" / "deploying.md").read_text()
    section = page.split("### What the stream guarantees")[1].split("\n### ")[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "---" not in line]
    streams = ROOT / "tests" / "streams"
    sources = "".join(path.read_text() for path in streams.glob("test_*.py"))
    named = []
    for row in rows[1:]:  # the header row names no test
        tests = row.strip()[1:-1].split("|")[-1]  # the last cell, empty in some rows
        for name in tests.split("`")[1::2]:
            named.append(name)
            if name.endswith(".py"):
                assert (streams / name).is_file(), name
            else:
                assert f"def {name}(" in sources, name
    assert len(named) >= 15, named
