"""Quickstart: one room's life, seen by a blocking notifier, an async notifier and a webhook.

It creates a room whose webhook points at a small local receiver, adds a peer, connects a
fake peer over the peer WebSocket (as a browser would), adds and removes an HLS component,
deletes the room, and prints what each of the three channels received. Every wait has a
deadline: if a notification it waits for does not arrive in time, it stops with exit
status 1 and says what is missing.

By default it runs the embedded emulator (``jellyfish.testing``). To use a real
Jellyfish v0.5.0, set ``JELLYFISH_ADDRESS`` (``host:port``) and ``JELLYFISH_TOKEN``; the
server must then be able to reach this machine at ``WEBHOOK_HOST`` (default 127.0.0.1).
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import anyio

from jellyfish import (
    BlockingNotifier,
    ComponentOptionsHLS,
    Notifier,
    PeerOptionsWebRTC,
    RoomApi,
    receive_webhook,
)

# What each channel must receive about our room, in this order (the class names of
# jellyfish.events; tests/docs/test_quickstart.py checks that each one exists).
EXPECTED = [
    "ServerMessageRoomCreated",
    "ServerMessagePeerAdded",
    "ServerMessagePeerConnected",
    "ServerMessagePeerDeleted",
    "ServerMessageRoomDeleted",
]
CHANNELS = {
    "blocking": "BlockingNotifier (its own thread)",
    "async": "Notifier (asyncio)",
    "webhook": "webhook (receive_webhook)",
}
WAIT_SECONDS = 10.0


class WaitTimedOut(Exception):
    """A wait ran out: something the quickstart expects never happened."""


class Timeline:
    """What each channel received for our room, with arrival times; thread-safe."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.room_id = ""
        self.entries: list[tuple[float, str, str]] = []
        self._changed = threading.Condition()

    def record(self, channel: str, notification: object) -> None:
        if getattr(notification, "room_id", None) != self.room_id:
            return  # other rooms on a shared server
        with self._changed:
            self.entries.append((time.monotonic() - self.started, channel, _describe(notification)))
            self._changed.notify_all()

    def names(self, channel: str) -> list[str]:
        with self._changed:
            return [text.split("(")[0] for _, ch, text in self.entries if ch == channel]

    def wait_for(self, names: list[str], timeout: float) -> None:
        """Wait until every channel received ``names``; raise WaitTimedOut if it does not."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while missing := self.missing(names):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise WaitTimedOut(f"after {timeout:g} s, still missing {missing}")
                self._changed.wait(remaining)

    def missing(self, names: list[str]) -> dict[str, list[str]]:
        """Per channel, the ``names`` it has not received (in this order) yet."""
        return {
            channel: missed
            for channel in CHANNELS
            if (missed := _not_in_order(names, self.names(channel)))
        }


def _not_in_order(expected: list[str], received: list[str]) -> list[str]:
    """The tail of ``expected`` that ``received`` does not contain as a subsequence."""
    position = 0
    for name in received:
        if position < len(expected) and name == expected[position]:
            position += 1
    return expected[position:]


def _describe(notification: object) -> str:
    fields = ", ".join(
        f"{field.name}={value!r}"
        for field, value in notification.ListFields()  # type: ignore[attr-defined]
        if field.name != "room_id"
    )
    return f"{type(notification).__name__}({fields})"


@contextlib.contextmanager
def webhook_receiver(timeline: Timeline, host: str) -> Iterator[str]:
    """A local HTTP server that decodes Jellyfish webhooks; yields its URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            timeline.record("webhook", receive_webhook(body, self.headers.get("Content-Type")))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass  # keep the timeline readable

    server = ThreadingHTTPServer(("0.0.0.0" if host != "127.0.0.1" else host, 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}/webhook"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def main() -> int:
    address = os.environ.get("JELLYFISH_ADDRESS")
    token = os.environ.get("JELLYFISH_TOKEN", "development")
    timeline = Timeline()

    with contextlib.ExitStack() as stack:
        if not address:
            from jellyfish.testing import JellyfishServer

            server = stack.enter_context(JellyfishServer())
            address, token = server.address, server.token
            print(f"Started the embedded Jellyfish emulator at {address}")
        else:
            print(f"Using the Jellyfish at {address}")

        webhook_url = stack.enter_context(
            webhook_receiver(timeline, os.environ.get("WEBHOOK_HOST", "127.0.0.1"))
        )

        # The blocking notifier receives in a background thread of its own.
        blocking = BlockingNotifier(address, token)
        blocking.on_server_notification(lambda n: timeline.record("blocking", n))
        stack.enter_context(blocking)
        blocking.wait_ready(WAIT_SECONDS)

        # The anyio notifier, in an event loop that anyio runs in another thread (an async
        # app would simply `async with Notifier(...)` inside its own loop).
        portal = stack.enter_context(anyio.from_thread.start_blocking_portal("asyncio"))
        notifier = Notifier(address, token)
        notifier.on_server_notification(lambda n: timeline.record("async", n))
        stack.enter_context(portal.wrap_async_context_manager(notifier))
        portal.call(notifier.wait_ready, WAIT_SECONDS)
        room_api = stack.enter_context(RoomApi(server_address=address, server_api_token=token))

        # Choose the id up front so that no notification about the room can arrive before
        # the timeline knows which room to follow.
        timeline.room_id = f"quickstart-{uuid.uuid4()}"
        _, room = room_api.create_room(
            room_id=timeline.room_id, video_codec="h264", webhook_url=webhook_url
        )
        print(f"Created room {room.id} (webhook: {webhook_url})")
        peer = room_api.add_peer(room.id, options=PeerOptionsWebRTC(enable_simulcast=True))
        print(f"Added peer {peer.peer.id}; it connects at {peer.peer_websocket_url}")

        from jellyfish.testing import FakePeer

        with FakePeer(peer.peer_websocket_url, peer.token):
            print("A fake peer joined, as a browser would")
            timeline.wait_for(EXPECTED[:3], WAIT_SECONDS)
            hls = room_api.add_component(room.id, options=ComponentOptionsHLS())
            print(f"Added HLS component {hls.id}; removing it")
            room_api.delete_component(room.id, hls.id)
            room_api.delete_room(room.id)
            print(f"Deleted room {room.id}")
            timeline.wait_for(EXPECTED, WAIT_SECONDS)

    print("\nWhat each channel received (seconds since start):")
    for channel, title in CHANNELS.items():
        print(f"  {title}")
        for at, _, text in sorted(e for e in timeline.entries if e[1] == channel):
            print(f"    {at:7.3f}s  {text}")
    print(f"\nAll three channels received these {len(EXPECTED)} notifications, in this order.")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (WaitTimedOut, TimeoutError) as timed_out:  # notifiers raise a TimeoutError
        sys.exit(f"FAILED: a wait ran out: {timed_out}")
