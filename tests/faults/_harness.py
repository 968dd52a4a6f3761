"""Run either notifier (anyio on asyncio or trio, or blocking) behind one synchronous face.

A fault test is the same story for every flavour: start a notifier, make the server produce
numbered notifications, break something, check what arrived. :class:`NotifierRun` records
every event its handlers see under a condition variable, so the test waits for events
(never sleeps) with a bound on every wait.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import AbstractContextManager, ExitStack
from typing import Any

import anyio
import anyio.from_thread

from jellyfish import BlockingNotifier, Notifier, PeerOptionsWebRTC, RoomApi
from jellyfish.events import Reconnected, ServerMessage
from jellyfish.testing import FakePeer

FLAVOURS = ["asyncio", "trio", "blocking"]
WAIT = 15.0
"""The bound of every wait in this suite: far above any healthy duration, far below a hang."""


class NotifierRun(AbstractContextManager["NotifierRun"]):
    """One notifier of ``flavour`` connected to ``address``, its handlers recording events."""

    def __init__(self, flavour: str, address: str, token: str, **options: Any) -> None:
        self.flavour = flavour
        self.events: list[Any] = []
        self._changed = threading.Condition()
        self._stack = ExitStack()
        self._portal: anyio.from_thread.BlockingPortal | None = None
        self.notifier: Any
        if flavour == "blocking":
            self.notifier = BlockingNotifier(address, token, **options)
        else:
            self._portal = self._stack.enter_context(
                anyio.from_thread.start_blocking_portal(flavour)
            )
            self.notifier = self._portal.call(self._make_anyio, address, token, options)
        self.notifier.on_server_notification(self.record)
        self.notifier.on_reconnected(self.record)
        self.finished: Future[None] = Future()

    @staticmethod
    async def _make_anyio(address: str, token: str, options: dict[str, Any]) -> Notifier:
        return Notifier(address, token, **options)

    def record(self, event: Any) -> None:
        with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> NotifierRun:
        """Run ``connect()`` in the background; :attr:`finished` holds how it ended."""
        if self._portal is not None:
            future = self._portal.start_task_soon(self.notifier.connect)
            future.add_done_callback(self._finish)
        else:
            thread = threading.Thread(target=self._run_blocking, name="fault-test-connect")
            thread.start()
            self._stack.callback(thread.join, WAIT)
        self.finished.add_done_callback(lambda _: self._wake())
        return self

    def _run_blocking(self) -> None:
        try:
            self.notifier.connect()
        except BaseException as error:
            self.finished.set_exception(error)
        else:
            self.finished.set_result(None)

    def _finish(self, future: Future[None]) -> None:
        if future.cancelled():
            self.finished.cancel()
        elif (error := future.exception()) is not None:
            self.finished.set_exception(error)
        else:
            self.finished.set_result(None)

    def _wake(self) -> None:
        with self._changed:
            self._changed.notify_all()

    def wait_ready(self) -> None:
        if self._portal is not None:
            self._portal.call(self.notifier.wait_ready, WAIT)
        else:
            self.notifier.wait_ready(WAIT)

    def close(self) -> float:
        """Close the notifier; returns the seconds until ``connect()`` had returned."""
        started = time.monotonic()
        if self._portal is not None:
            self._portal.call(self.notifier.close)
        else:
            self.notifier.close()
        if self.finished.running() or not self.finished.done():
            self.finished.exception(WAIT)  # bounded: raises TimeoutError on a hang
        return time.monotonic() - started

    def __enter__(self) -> NotifierRun:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        try:
            if not self.finished.done():
                self.close()
        finally:
            self._stack.close()

    @property
    def stats(self) -> Any:
        if self._portal is not None:
            return self._portal.call(_get_stats, self.notifier)
        return self.notifier.stats

    # -- waiting -----------------------------------------------------------------------

    def wait_for(self, condition: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not condition():
                if self.finished.done() and not condition():
                    error = self.finished.exception()
                    raise AssertionError(f"the notifier ended ({error!r}) before {what}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out waiting for {what}; got {self.summary()}")
                self._changed.wait(min(left, 0.1))

    def wait_sequence(self, numbers: range) -> None:
        wanted = set(numbers)
        self.wait_for(lambda: wanted <= set(self.sequence()), f"notifications {numbers}")

    def wait_reconnects(self, count: int) -> None:
        self.wait_for(lambda: len(self.reconnects()) >= count, f"{count} Reconnected")

    def wait_finished(self) -> BaseException | None:
        """Wait until ``connect()`` ended by itself; its exception."""
        self.wait_for(self.finished.done, "the notifier to give up")
        return self.finished.exception()

    # -- what arrived ------------------------------------------------------------------

    def sequence(self) -> list[int]:
        """The numbers of every ``PeerMetadataUpdated`` received, in arrival order."""
        return [
            int(e.metadata)
            for e in list(self.events)
            if isinstance(e, ServerMessage.PeerMetadataUpdated)
        ]

    def reconnects(self) -> list[Reconnected]:
        return [e for e in list(self.events) if isinstance(e, Reconnected)]

    def summary(self) -> str:
        numbers = self.sequence()
        return (
            f"{len(numbers)} numbered events ({numbers[:3]}...{numbers[-3:]}), "
            f"{len(self.reconnects())} Reconnected, finished={self.finished.done()}"
        )


async def _get_stats(notifier: Notifier) -> Any:
    return notifier.stats


class Producer(AbstractContextManager["Producer"]):
    """Makes the server emit ``PeerMetadataUpdated`` with metadata 0, 1, 2, ... on demand."""

    def __init__(self, server: Any) -> None:
        with RoomApi(server_address=server.address, server_api_token=server.token) as api:
            _, room = api.create_room()
            token, _ = api.add_peer(room.id, PeerOptionsWebRTC())
        self._peer = FakePeer(server.address, token)
        self._peer.connect(metadata=-1)
        self.next = 0

    def produce(self, count: int) -> range:
        """Emit ``count`` more; returns their numbers."""
        numbers = range(self.next, self.next + count)
        for number in numbers:
            self._peer.update_metadata(number)
        self.next += count
        return numbers

    def __exit__(self, *exc: object) -> None:
        self._peer.close()


def assert_no_duplicate_or_reorder(run: NotifierRun) -> None:
    numbers = [n for n in run.sequence() if n >= 0]
    assert numbers == sorted(set(numbers)), f"duplicated or reordered: {numbers}"
