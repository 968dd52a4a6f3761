"""The emulator's clock: what timers (§4.4), metrics and the media simulation run on.

Three modes, one interface:

* real time (``speed=1``, the default): one simulated second is one second;
* accelerated (``speed=20``): one simulated second takes 1/20 s, so a 30 s file plays in 1.5 s;
* manual (``manual=True``): time stands still until :meth:`Clock.advance` moves it, for fully
  deterministic tests.

All timers of a node live in one heap driven by one task, so a thousand rooms with timers cost
one sleeping task, not a thousand.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import anyio
from anyio.abc import TaskGroup

logger = logging.getLogger("jellyfish.testing")

#: A delay this long (simulated seconds) never fires within a test run; such timers are not kept.
NEVER = 1e9


@dataclass(order=True)
class TimerHandle:
    """A scheduled callback; :meth:`cancel` it to stop it from running."""

    due: float
    sequence: int
    callback: Callable[[], None] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        """Do not run the callback (idempotent; harmless after it ran)."""
        self.cancelled = True


class Scheduler(Protocol):
    """Time and timers as the node's core and media simulation see them."""

    def now(self) -> float:
        """Monotonic (simulated) seconds."""

    def call_later(self, delay: float, callback: Callable[[], None]) -> TimerHandle:
        """Run ``callback`` on the loop thread after ``delay`` (simulated) seconds."""

    def call_soon(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` on the loop thread right after the current step."""

    def advance(self, seconds: float) -> int:
        """Manual clock only: move time forward, running the timers that fall due."""


class Clock:
    """Simulated time and timers, on the emulator's event-loop thread.

    Args:
        speed: simulated seconds per real second (ignored when ``manual``).
        manual: time moves only through :meth:`advance`.
    """

    def __init__(self, speed: float = 1.0, manual: bool = False) -> None:
        if not (isinstance(speed, int | float) and math.isfinite(speed) and speed > 0):
            raise ValueError(f"media_speed must be a positive number, got {speed!r}")
        self.speed = float(speed)
        self.manual = manual
        self._origin_real = time.monotonic()
        self._origin_simulated = 0.0
        self._manual_now = 0.0
        self._timers: list[TimerHandle] = []
        self._sequence = itertools.count()
        self._wake: anyio.Event | None = None
        self._task_group: TaskGroup | None = None

    # --- time ----------------------------------------------------------------------------

    def now(self) -> float:
        """Simulated monotonic seconds."""
        if self.manual:
            return self._manual_now
        return self._origin_simulated + (time.monotonic() - self._origin_real) * self.speed

    # --- timers --------------------------------------------------------------------------

    def call_later(self, delay: float, callback: Callable[[], None]) -> TimerHandle:
        """Run ``callback`` after ``delay`` simulated seconds (on the loop thread)."""
        handle = TimerHandle(self.now() + max(0.0, delay), next(self._sequence), callback)
        if delay > NEVER:
            handle.cancelled = True  # a timeout of decades never fires within a test run
            return handle
        heapq.heappush(self._timers, handle)
        if self._wake is not None and self._timers[0] is handle:
            self._wake.set()  # the driver sleeps for longer than this new timer needs
        return handle

    def call_soon(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` on the loop thread right after the current step, whatever the clock.

        For what the real server does "a moment later" rather than after media time (a
        ``RoomDeleted`` after the 204, a component's endpoint coming up).
        """
        if self._task_group is None:
            return
        self._task_group.start_soon(self._run_soon, callback)

    @staticmethod
    async def _run_soon(callback: Callable[[], None]) -> None:
        _run(callback)

    def advance(self, seconds: float) -> int:
        """Manual mode: move time forward by ``seconds``, running every timer that falls due.

        Timers run in due order, each seeing :meth:`now` equal to its due time; timers they
        schedule within the window run too. Returns how many callbacks ran.
        """
        if not self.manual:
            raise RuntimeError(
                "advance() needs the manual clock (JellyfishServer(manual_clock=True))"
            )
        if not (math.isfinite(seconds) and seconds >= 0):
            raise ValueError(f"seconds must be a finite number >= 0, got {seconds!r}")
        target = self._manual_now + seconds
        ran = 0
        while self._timers and self._timers[0].due <= target:
            handle = heapq.heappop(self._timers)
            if handle.cancelled:
                continue
            self._manual_now = max(self._manual_now, handle.due)
            _run(handle.callback)
            ran += 1
        self._manual_now = target
        return ran

    # --- the driver ----------------------------------------------------------------------

    async def run(self, task_group: TaskGroup) -> None:
        """Fire due timers until cancelled (real and accelerated modes)."""
        self._task_group = task_group
        try:
            while True:
                self._wake = anyio.Event()
                delay = self._seconds_to_next()
                if delay is None:
                    await self._wake.wait()
                elif delay > 0:
                    with anyio.move_on_after(delay):
                        await self._wake.wait()
                if not self.manual:
                    self._fire_due()
        finally:
            self._task_group = None
            self._wake = None

    def _seconds_to_next(self) -> float | None:
        """Real seconds until the earliest live timer; None when there is none (or manual)."""
        while self._timers and self._timers[0].cancelled:
            heapq.heappop(self._timers)
        if self.manual or not self._timers:
            return None
        return max(0.0, (self._timers[0].due - self.now()) / self.speed)

    def _fire_due(self) -> None:
        now = self.now()
        while self._timers and self._timers[0].due <= now:
            handle = heapq.heappop(self._timers)
            if not handle.cancelled:
                _run(handle.callback)

    def pending(self) -> int:
        """Timers still scheduled (cancelled ones excluded)."""
        return sum(1 for handle in self._timers if not handle.cancelled)


def _run(callback: Callable[[], None]) -> None:
    try:
        callback()
    except Exception:
        logger.exception("Timer callback failed")
