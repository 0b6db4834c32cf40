"""The agent's schedule timers: at each tick, tell one random worker ("worker") or every worker ("all").

    agent timer ──`egg-schedule` {name, id}, to = pid of a random ready worker──> that worker runs it
                └─`egg-schedule` {name, id}, to = "app"───────────────────────> every worker runs it

The agent picks the worker itself from the list of ready workers the master sends it
(`cluster-workers`). Timers start at `egg-ready`; interval timers keep a fixed rate (no drift).
Each replica (pod) runs its own agent: a `singleton` schedule's tick is first claimed through the
schedule lock (`eggbin.web.schedule_lock`), and only the replica that claims it sends it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import logging
import random
import time
from collections.abc import Callable
from typing import Any

from eggbin.web.messenger import TO_APP, TO_PID, Message, envelope
from eggbin.web.schedule import ScheduleTask
from eggbin.web.schedule_lock import ScheduleLock

RUN_ACTION = "egg-schedule"
_running: set[asyncio.Task[None]] = set()  # strong references until each run ends
logger = logging.getLogger("eggbin.schedule")


class Scheduler:
    """Runs the timers of the enabled schedules while the agent lives."""

    def __init__(
        self, tasks: list[ScheduleTask], send: Callable[[Message], None], lock: ScheduleLock | None = None
    ) -> None:
        self.tasks = tasks
        self.send = send
        self.lock = lock
        self.workers: list[int] = []
        self._timers: list[asyncio.Task[None]] = []
        self._ids = itertools.count(1)

    def set_workers(self, pids: list[int]) -> None:
        self.workers = list(pids)

    def start(self) -> None:
        if not self._timers:
            self._timers = [asyncio.create_task(self._run(task)) for task in self.tasks]

    def stop(self) -> None:
        for timer in self._timers:
            timer.cancel()
        self._timers = []

    async def _run(self, task: ScheduleTask) -> None:
        if task.immediate:
            await self.fire(task)
        next_at = time.monotonic()
        while True:
            if task.interval_ms is not None:
                next_at += task.interval_ms / 1000
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            else:
                await asyncio.sleep(task.next_delay(dt.datetime.now()) + 0.001)
            await self.fire(task)

    async def fire(self, task: ScheduleTask) -> None:
        if not task.singleton or await self.claim(task):
            self.tick(task)

    async def claim(self, task: ScheduleTask) -> bool:
        """Whether this replica runs this tick; a lock that fails skips it (never twice is the promise)."""
        if self.lock is None:
            return True
        wall = time.time()
        tick = task.tick_of(wall)
        try:
            claimed = await self.lock.claim(task.name, tick, task.period(wall) * 2)
        except Exception as exc:
            logger.error("%s skipped: the schedule lock %r failed: %s", task.name, self.lock, exc)
            return False
        if not claimed:
            logger.debug("%s skipped: tick %d was claimed by another replica", task.name, tick)
        return claimed

    def tick(self, task: ScheduleTask) -> None:
        data = {"name": task.name, "id": f"{next(self._ids)}"}
        if task.type == "all":
            self.send(envelope(RUN_ACTION, data, sender="agent", to=TO_APP))
        elif self.workers:
            pid = random.choice(self.workers)
            self.send(envelope(RUN_ACTION, data, sender="agent", to=TO_PID, receiver_pid=pid))
        else:
            logger.warning("[Job#%s] %s skipped: no worker is ready", data["id"], task.name)


def enabled_tasks(tasks: dict[str, ScheduleTask], env: str) -> list[ScheduleTask]:
    return [t for t in tasks.values() if t.enabled_in(env)]


def run_in_worker(app: Any, message: Message) -> asyncio.Task[None]:
    """A worker's side of a tick: run the named schedule in the background, failures only logged."""
    from eggbin.web.schedule import run_schedule

    data = message.get("data") or {}

    async def guarded() -> None:
        # Logged by run_schedule; a failing schedule never stops the worker.
        with contextlib.suppress(Exception):
            await run_schedule(app, data["name"], data.get("id", "?"))

    run = asyncio.create_task(guarded())
    _running.add(run)
    run.add_done_callback(_running.discard)
    return run
