"""Background work that outlives a response: egg's `BackgroundTaskHelper` and `ctx.run_in_background`.

    ctx.background.run(fn)      a task of this request; the request's context is released (its context
                                protos destroyed) when its tasks end, or `timeout` seconds after the
                                response (`config.background_task.timeout`, 5 by default; the last value
                                set on this context wins; 0 or None waits forever): late tasks are then
                                cancelled and logged with the request line
    app.background.run(fn)      a task of the process, tied to no request (singletons and the agent)
    app.background_tasks        every pending task of this process: a stop or a rolling replacement
                                waits for them within the close timeout (`drain`), then cancels and logs
                                what is left; `await app.background_tasks_finished()` waits for all (tests)

`fn` is an `async def` (called with no argument), a coroutine object, or a plain function (called on
the loop). A failure is logged and emitted as the app's `error` event; it never reaches the client.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import math
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any

from msgspec import Struct

if TYPE_CHECKING:
    from eggbin.web.context import Context

Work = Callable[[], Any] | Awaitable[Any]
LOG_PREFIX = "[egg:background]"


class Pending(Struct, frozen=True):
    """What a stop logs about a task it cancels."""

    name: str
    logger: Any


class BackgroundTasks:
    """Every pending background task of one process, and the releases of the contexts waiting on them."""

    def __init__(self, emit_error: Callable[[BaseException, Any], object] | None = None) -> None:
        self._tasks: dict[asyncio.Task[None], Pending] = {}
        self._releases: set[asyncio.Task[None]] = set()
        self._emit_error = emit_error

    def __len__(self) -> int:
        return len(self._tasks)

    def start(self, work: Work, logger: object, ctx: Context | None = None) -> asyncio.Task[None]:
        """Run `work` as a task now; a failure is logged through `logger` and emitted with `ctx`."""
        name = describe(work)
        task = asyncio.get_running_loop().create_task(self._run(work, name, logger, ctx), name=name)
        self._tasks[task] = Pending(name, logger)
        task.add_done_callback(self._forget)
        return task

    def track_release(self, release: Coroutine[Any, Any, None]) -> None:
        """A context's release (wait for its tasks, destroy its objects), awaited by `finished`."""
        task = asyncio.get_running_loop().create_task(release)
        self._releases.add(task)
        task.add_done_callback(self._releases.discard)

    def _forget(self, task: asyncio.Task[None]) -> None:
        self._tasks.pop(task, None)

    async def _run(self, work: Work, name: str, logger: Any, ctx: Context | None) -> None:
        try:
            result = work() if callable(work) else work
            if inspect.isawaitable(result):
                await result
        except Exception as exc:
            logger.exception("%s task %s failed: %s", LOG_PREFIX, name, exc)
            if self._emit_error is not None:
                self._emit_error(exc, ctx)

    async def finished(self) -> None:
        """Wait until no task is pending, those started meanwhile included (egg-mock's helper)."""
        while self._tasks or self._releases:
            await asyncio.gather(*self._tasks, *self._releases, return_exceptions=True)

    async def drain(self, timeout: float, logger: Any = None) -> list[str]:
        """Wait up to `timeout` s for every task, then cancel the rest, log them, and return their names."""
        if self._tasks and logger is not None:
            logger.info("%s waiting up to %.1f s for %d task(s) to end", LOG_PREFIX, timeout, len(self))
        await wait_for_tasks(lambda: list(self._tasks), time.monotonic() + max(timeout, 0.0))
        cancelled = [(task, self._tasks[task]) for task in list(self._tasks)]
        for task, pending in cancelled:
            pending.logger.error(
                "%s task %s was still running when the process stopped (waited %.1f s): cancelled",
                LOG_PREFIX,
                pending.name,
                timeout,
            )
            task.cancel()
        await asyncio.gather(*(task for task, _ in cancelled), return_exceptions=True)
        if self._releases:  # contexts whose tasks just ended or were cancelled destroy their objects
            await asyncio.wait(list(self._releases), timeout=1.0)
        return [pending.name for _, pending in cancelled]


class BackgroundTaskHelper:
    """egg's `BackgroundTaskHelper`: `run(fn)` after the response; `timeout` seconds bound the wait."""

    def __init__(
        self, tasks: BackgroundTasks, logger: Any, timeout: float | None, ctx: Context | None = None
    ) -> None:
        self.timeout = timeout
        self._tasks = tasks
        self._logger = logger
        self._ctx = ctx
        self._mine: list[asyncio.Task[None]] = []

    def run(self, work: Work) -> asyncio.Task[None]:
        """Start `work` (an `async def`, a coroutine or a function) without delaying the response."""
        task = self._tasks.start(work, self._logger, self._ctx)
        self._mine.append(task)
        return task

    @property
    def pending(self) -> bool:
        return any(not task.done() for task in self._mine)

    async def wait(self) -> None:
        """Wait for this helper's tasks (and those they start) up to `timeout`; cancel and log the rest."""
        limit = self.timeout
        deadline = math.inf if not limit or limit <= 0 else time.monotonic() + limit
        await wait_for_tasks(lambda: self._mine, deadline)
        late = [task for task in self._mine if not task.done()]
        for task in late:
            self._logger.error(
                "%s task %s did not finish within %g s: cancelled", LOG_PREFIX, task.get_name(), limit
            )
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)


async def wait_for_tasks(current: Callable[[], list[asyncio.Task[None]]], deadline: float) -> None:
    """Wait until every task `current()` lists is done (it may grow meanwhile) or `deadline` passes."""
    while True:
        pending = [task for task in current() if not task.done()]
        left = deadline - time.monotonic()
        if not pending or left <= 0:
            return
        await asyncio.wait(pending, timeout=None if math.isinf(left) else left)


def describe(work: object) -> str:
    """A readable name for a task: the function's qualified name, or the coroutine's."""
    while isinstance(work, functools.partial):
        work = work.func
    name = getattr(work, "__qualname__", None) or getattr(work, "__name__", None)
    return str(name).rsplit("<locals>.", 1)[-1] if name else repr(work)  # a closure: its own name
