"""Pattern 3: two bridges publish to Redis, the workers of an app share the events.

The app: every uvicorn worker runs one StreamConsumer of the group "webapp" in its
lifespan, so each notification is handled by exactly ONE worker, and nothing that happens
while workers restart is lost (the stream keeps it)::

    REDIS_URL=redis://localhost:6379 uvicorn deploy_redis:app --app-dir examples --workers 4
    jellyfish bridge --redis redis://localhost:6379 --name bridge-1   # and, elsewhere,
    jellyfish bridge --redis redis://localhost:6379 --name bridge-2   # a standby

Every handled event is appended to ``DEPLOY_JOURNAL`` as ``<pid> <sequence> <kind>
<room_id> <synthetic>`` (a stand-in for your database).

Run as a program (``REDIS_URL=... JELLYFISH_ADDRESS=... python examples/deploy_redis.py``,
as ``nox -s examples`` does), it plays the whole deployment: two bridges, the app with 4
workers, rooms created, the leading bridge killed, more rooms, and checks that every
event was handled once.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from jellyfish import Delivery, Router
from jellyfish.events import (
    ServerMessagePeerAdded,
    ServerMessagePeerDeleted,
    ServerMessageRoomCreated,
    ServerMessageRoomDeleted,
)
from jellyfish.redis import StreamConsumer

REDIS_URL = os.environ.get("REDIS_URL", "redis://localhost:6379")
JOURNAL = os.environ.get("DEPLOY_JOURNAL", "deploy_journal.txt")

events = Router()


@events.on(
    ServerMessageRoomCreated,
    ServerMessageRoomDeleted,
    ServerMessagePeerAdded,
    ServerMessagePeerDeleted,
)
def record(event: Any, delivery: Delivery) -> None:
    """Your application's reaction; here: one journal line per event."""
    line = (
        f"{os.getpid()} {delivery.sequence} {type(event).__name__} {event.room_id} "
        f"{int(delivery.synthetic)}\n"
    )
    with open(JOURNAL, "a", encoding="utf-8") as journal:  # one small append: atomic
        journal.write(line)


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    # one consumer per worker, all in the group "webapp": each event goes to one of them
    consumer = StreamConsumer(REDIS_URL, "webapp", router=events, start="0")
    async with anyio.create_task_group() as group:
        group.start_soon(consumer.run)
        yield
        group.cancel_scope.cancel()


async def health(request: Request) -> PlainTextResponse:
    return PlainTextResponse(str(os.getpid()))


app = Starlette(routes=[Route("/health", health)], lifespan=lifespan)


# -- the demo: the whole deployment on one machine -----------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _bridge(name: str, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "jellyfish", "bridge", "--redis", REDIS_URL,
             "--lease", "1", "--name", name],
            stdout=subprocess.DEVNULL, stderr=output,
        )  # fmt: skip


def _journal() -> list[list[str]]:
    path = Path(os.environ["DEPLOY_JOURNAL"])
    return [line.split() for line in path.read_text().splitlines()] if path.exists() else []


def _wait(condition: Any, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.05)


def demo() -> None:
    from jellyfish import PeerOptionsWebRTC, RoomApi

    scratch = Path(tempfile.mkdtemp(prefix="deploy-redis-"))
    os.environ["DEPLOY_JOURNAL"] = str(scratch / "journal.txt")  # for the workers too
    here = Path(__file__).resolve().parent
    with RoomApi() as room_api:
        bridges = {
            name: _bridge(name, scratch / f"{name}.log") for name in ("bridge-1", "bridge-2")
        }
        workers = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "deploy_redis:app", "--app-dir", str(here),
             "--workers", "4", "--port", str(_free_port()), "--log-level", "warning"],
            env=os.environ.copy(),
        )  # fmt: skip
        try:
            for _ in range(10):
                _, room = room_api.create_room()
                room_api.add_peer(room.id, PeerOptionsWebRTC())
            _wait(lambda: len(_journal()) >= 20, "the first 20 events")
            leader = next(
                name for name in bridges if "leading" in (scratch / f"{name}.log").read_text()
            )
            bridges[leader].send_signal(signal.SIGKILL)  # the leader dies
            standby = next(name for name in bridges if name != leader)
            for room in room_api.get_all_rooms()[:5]:
                room_api.delete_room(room.id)
            _wait(lambda: len(_journal()) >= 30, "the events after the takeover")
            _wait(lambda: "leading" in (scratch / f"{standby}.log").read_text(), "a takeover")
        finally:
            workers.send_signal(signal.SIGINT)
            workers.wait(30)
            for process in bridges.values():
                process.terminate()
                process.wait(30)
    lines = _journal()
    sequences = [int(line[1]) for line in lines]
    assert sorted(sequences) == list(range(1, len(lines) + 1)), "an event handled twice or lost"
    pids = {line[0] for line in lines}
    print(
        f"{len(lines)} events, each handled once, by {len(pids)} of the 4 workers; "
        f"{leader} was killed and {standby} took over"
    )


if __name__ == "__main__":
    demo()
