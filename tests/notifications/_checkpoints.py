"""Cancel a scenario after its k-th checkpoint, for every k, on asyncio and trio.

The way trio tests itself: a scenario (an async function) runs in a task of its own;
every step of that task and of every task it starts (a step runs from one checkpoint to
the next) is counted, and at step ``k`` a cancel is delivered the way the test chose
(a cancel scope, ``fail_after``, a task group, ``task.cancel()``, ``asyncio.timeout``).
:func:`cancel_at_every_checkpoint` runs the scenario with k = 1, 2, 3, ... until a run
completes before its k-th step, and checks after every run what structured concurrency
promises: the caller's scope reports the cancel, no task of the run is left, the test's
own task is not corrupted (its cancel state is clean, a later scope works), and nothing
was logged as an error (by the notifier or by the event loop).

Counting uses only public hooks: trio's :class:`trio.abc.Instrument`, and on asyncio a
task factory (``loop.set_task_factory``) that wraps each task's coroutine.
"""

from __future__ import annotations

import collections.abc
import logging
import math
import sys
import threading
import weakref
from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass, field
from typing import Any

import anyio
import anyio.lowlevel

Scenario = Callable[[], Awaitable[None]]
"""One run: builds its notifier, does its thing, returns (or is cancelled)."""
Check = Callable[[], Awaitable[None]]
"""Called after every run, outside the cancelled scope (e.g. "the notifier is closed")."""

KINDS = {
    "asyncio": ["scope", "fail_after", "task_group", "task.cancel", "asyncio.timeout"],
    "trio": ["scope", "fail_after", "task_group"],
}
"""How a cancel can be delivered, per backend (``asyncio.timeout`` from Python 3.11)."""
if sys.version_info < (3, 11):
    KINDS["asyncio"].remove("asyncio.timeout")


def backend() -> str:
    """The event loop running this task: "asyncio" or "trio"."""
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return "trio"
    return "asyncio"


class StepCounter:
    """Counts the steps of the tasks started while it records; fires ``on_step`` at k."""

    def __init__(self) -> None:
        self.steps = 0
        self.fire_at = math.inf
        self.fired = False
        self.on_fire: Callable[[], None] = lambda: None
        self.recording = False
        self.tasks: weakref.WeakSet[Any] = weakref.WeakSet()
        self.exited: weakref.WeakSet[Any] = weakref.WeakSet()
        """trio: the counted tasks that have exited (asyncio tasks say it themselves)."""

    def step(self) -> None:
        self.steps += 1
        if self.steps == self.fire_at and not self.fired:
            self.fired = True
            self.on_fire()


class _CountingCoroutine(collections.abc.Coroutine):  # type: ignore[type-arg]
    """A task's coroutine that counts each of its steps (``send``, ``throw``)."""

    def __init__(self, coroutine: Any, counter: StepCounter) -> None:
        self._coroutine = coroutine
        self._counter = counter

    def send(self, value: Any) -> Any:
        self._counter.step()
        return self._coroutine.send(value)

    def throw(self, *args: Any) -> Any:
        self._counter.step()
        return self._coroutine.throw(*args)

    def close(self) -> None:
        self._coroutine.close()

    def __next__(self) -> Any:  # the C Task steps with the iterator protocol
        return self.send(None)

    def __await__(self) -> Generator[Any, None, Any]:
        return self._coroutine.__await__()  # type: ignore[no-any-return]

    def __getattr__(self, name: str) -> Any:  # cr_frame, cr_running, ... for introspection
        return getattr(self._coroutine, name)


class _TrioInstrument:
    """trio's instrument hooks: count the steps of the tasks spawned while recording."""

    def __init__(self, counter: StepCounter) -> None:
        self.counter = counter

    def task_spawned(self, task: Any) -> None:
        if self.counter.recording:
            self.counter.tasks.add(task)

    def before_task_step(self, task: Any) -> None:
        if task in self.counter.tasks:
            self.counter.step()

    def task_exited(self, task: Any) -> None:
        if task in self.counter.tasks:
            self.counter.exited.add(task)


@dataclass
class RunReport:
    """What one run did."""

    k: float
    fired: bool
    steps: int
    outcome: BaseException | None
    errors: list[str] = field(default_factory=list)


async def _counted(counter: StepCounter, body: Callable[[], Awaitable[Any]]) -> Any:
    """Run ``body`` in a new task whose steps (and its children's) ``counter`` counts."""
    if backend() == "trio":
        import trio

        instrument = _TrioInstrument(counter)
        trio.lowlevel.add_instrument(instrument)  # type: ignore[arg-type]
        try:
            return await _in_new_task(counter, body)
        finally:
            trio.lowlevel.remove_instrument(instrument)  # type: ignore[arg-type]
    import asyncio

    loop = asyncio.get_running_loop()
    previous = loop.get_task_factory()

    def factory(loop: Any, coroutine: Any, **options: Any) -> Any:
        if counter.recording:
            coroutine = _CountingCoroutine(coroutine, counter)
        task = asyncio.Task(coroutine, loop=loop, **options)
        if counter.recording:
            counter.tasks.add(task)
        return task

    loop.set_task_factory(factory)
    try:
        return await _in_new_task(counter, body)
    finally:
        loop.set_task_factory(previous)


async def _in_new_task(counter: StepCounter, body: Callable[[], Awaitable[Any]]) -> Any:
    result: list[Any] = []

    async def run() -> None:
        result.append(await body())

    counter.recording = True  # the group's host is the test's own task: not counted
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(run)
    finally:
        counter.recording = False
    return result[0] if result else None


async def _deliver(kind: str, counter: StepCounter, scenario: Scenario) -> BaseException | None:
    """Run ``scenario`` so that the counter's firing cancels it the way ``kind`` says.

    Returns what the cancel surfaced as to the caller (``None`` when it was absorbed by
    the caller's own scope, as ``move_on_after`` or a cancelled task group do). A cancel
    that fired at the scenario's very last step has nothing left to interrupt: the
    scenario completes, and that is the one case where the caller sees no cancel.
    """
    completed: list[bool] = []

    async def body() -> None:
        await scenario()
        completed.append(True)

    surfaced: BaseException | None = None
    if kind == "scope":
        with anyio.CancelScope() as scope:
            counter.on_fire = scope.cancel
            await body()
        cancelled = scope.cancelled_caught
    elif kind == "fail_after":
        try:
            with anyio.fail_after(math.inf) as scope:

                def expire() -> None:
                    scope.deadline = -math.inf

                counter.on_fire = expire
                await body()
        except TimeoutError as error:
            surfaced = error
        cancelled = surfaced is not None
    elif kind == "task_group":
        async with anyio.create_task_group() as group:
            counter.on_fire = group.cancel_scope.cancel
            group.start_soon(body)
        cancelled = group.cancel_scope.cancelled_caught
    elif kind == "task.cancel":
        import asyncio

        task = asyncio.get_running_loop().create_task(body())
        counter.on_fire = task.cancel
        await asyncio.wait([task])
        cancelled = task.cancelled()
        if not cancelled and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]
    elif kind == "asyncio.timeout":
        import asyncio

        try:
            async with asyncio.timeout(None) as timeout:  # type: ignore[attr-defined]
                loop = asyncio.get_running_loop()
                counter.on_fire = lambda: timeout.reschedule(loop.time())
                await body()
        except TimeoutError as error:
            surfaced = error
        cancelled = surfaced is not None
    else:
        raise ValueError(kind)
    assert cancelled or completed, f"{kind}: the scenario neither completed nor was cancelled"
    assert counter.fired or not cancelled, f"{kind}: cancelled without a cancel"
    if kind in ("scope", "fail_after", "asyncio.timeout"):
        # (a task group's host, or an asyncio task, may still take a cancel that came
        # at the very last step of the scenario: the scenario itself had completed)
        assert not (cancelled and completed), f"{kind}: completed, and yet cancelled"
    return surfaced


class _ErrorLog(logging.Handler):
    """Errors logged by this thread: the client's (the test servers log from their own)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.thread = threading.get_ident()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.messages.append(f"{record.name}: {record.getMessage()}")


async def _assert_not_corrupted() -> None:
    """The test's own task after a run: no cancel pending, scopes still work."""
    assert anyio.current_effective_deadline() == math.inf
    if backend() == "asyncio":
        import asyncio

        task = asyncio.current_task()
        assert task is not None
        if sys.version_info >= (3, 11):
            assert task.cancelling() == 0, "a cancel leaked into the caller's task"
    await anyio.lowlevel.checkpoint()
    with anyio.move_on_after(0) as scope:
        await anyio.sleep(1)
    assert scope.cancelled_caught
    await anyio.lowlevel.checkpoint()


async def cancel_at_every_checkpoint(
    scenario: Scenario, check: Check, kind: str, *, limit: int = 2000
) -> list[RunReport]:
    """Run ``scenario`` cancelled at k = 1, 2, ... until it completes; check each run."""
    reports: list[RunReport] = []
    errors = _ErrorLog()
    root = logging.getLogger()
    root.addHandler(errors)
    loop_errors: list[str] = []
    restore_handler = _catch_loop_errors(loop_errors)
    try:
        for k in range(1, limit + 1):
            counter = StepCounter()
            counter.fire_at = k
            try:
                outcome = await _counted(counter, _bind(_deliver, kind, counter, scenario))
            except BaseException as error:
                if sys.version_info >= (3, 11):
                    error.add_note(f"cancelled at checkpoint k={k} ({kind}, {counter.steps} steps)")
                raise
            report = RunReport(k, counter.fired, counter.steps, outcome)
            reports.append(report)
            left = [task for task in counter.tasks if not _finished(task, counter)]
            assert not left, f"k={k}: tasks left running: {left}"
            await check()
            await _assert_not_corrupted()
            report.errors = errors.messages + loop_errors
            assert not report.errors, f"k={k}: errors logged: {report.errors}"
            if not counter.fired:
                return reports
    finally:
        root.removeHandler(errors)
        restore_handler()
    raise AssertionError(f"the scenario did not complete within {limit} steps")


def _bind(function: Callable[..., Awaitable[Any]], *args: Any) -> Callable[[], Awaitable[Any]]:
    return lambda: function(*args)


def _finished(task: Any, counter: StepCounter) -> bool:
    done = getattr(task, "done", None)
    if done is not None:  # asyncio
        return bool(done())
    return task in counter.exited


def _catch_loop_errors(messages: list[str]) -> Callable[[], None]:
    """Record what the asyncio loop reports (e.g. "Task exception was never retrieved")."""
    if backend() != "asyncio":
        return lambda: None
    import asyncio

    loop = asyncio.get_running_loop()
    previous = loop.get_exception_handler()

    def handler(loop: Any, context: dict[str, Any]) -> None:
        messages.append(f"asyncio: {context.get('message')}: {context.get('exception')!r}")

    loop.set_exception_handler(handler)
    return lambda: loop.set_exception_handler(previous)
