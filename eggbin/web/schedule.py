"""Schedules: `app/schedule/*.py`, timed by the agent, run in workers (and by `app.run_schedule`).

A schedule file is either a `Subscription` subclass or a module with a `schedule` dict and
`async def task(ctx)`:

    class Refresh(Subscription):
        schedule = {"interval": "1m", "type": "worker"}
        async def subscribe(self): ...

`schedule` keys: `interval` ("500ms", "5s", "1m", "1h", "1d" or an int of milliseconds) or `cron`
(croniter; a sixth field is seconds and comes first, as in egg), `type` ("worker": one random worker
per tick, "all": every worker), `immediate` (run once at start too), `disable`, `env` (a list of
envs it runs in), `singleton` (once per tick across replicas: see `eggbin.web.schedule_lock`).
A schedule's name is its file path under `app/schedule`, without `.py`.
"""

from __future__ import annotations

import datetime as dt
import inspect
import logging
import re
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar

from msgspec import Struct

from eggbin.errors import BootError, EggbinError
from eggbin.web.controller import BaseContextClass

if TYPE_CHECKING:
    from eggbin.web.application import Application
    from eggbin.web.loader import LoadUnit

TYPES = ("worker", "all")
UNITS_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$")

logger = logging.getLogger("eggbin.schedule")


class Subscription(BaseContextClass):
    """A scheduled task: `schedule = {"interval": "1m", "type": "worker"}` and `async def subscribe`."""

    schedule: ClassVar[dict[str, Any]] = {}

    async def subscribe(self) -> None:
        raise NotImplementedError(f"{type(self).__name__} must define `async def subscribe(self)`")


class ScheduleTask(Struct, frozen=True):
    """One schedule file, validated."""

    name: str
    file: Path
    type: str
    interval_ms: float | None
    cron: str | None
    immediate: bool
    disable: bool
    env: tuple[str, ...] | None
    run: Callable[[Any], Awaitable[Any]]  # called with an anonymous ctx
    singleton: bool = False

    def enabled_in(self, env: str) -> bool:
        return not self.disable and (self.env is None or env in self.env)

    def next_delay(self, now: dt.datetime) -> float:
        """Seconds from `now` to the next tick."""
        if self.interval_ms is not None:
            return self.interval_ms / 1000
        from croniter import croniter

        assert self.cron is not None
        seconds_first = len(self.cron.split()) == 6
        nxt = croniter(self.cron, now, second_at_beginning=seconds_first).get_next(dt.datetime)
        return max(0.0, (nxt - now).total_seconds())

    def tick_of(self, wall: float) -> int:
        """The tick due at or before `wall` (epoch seconds), in epoch ms, named alike on every replica:
        the start of the interval's window on the wall clock, or the cron fire time."""
        if self.interval_ms is not None:
            return int(wall * 1000 // self.interval_ms * self.interval_ms)
        from croniter import croniter

        assert self.cron is not None
        now = dt.datetime.fromtimestamp(wall)
        seconds_first = len(self.cron.split()) == 6
        fired = croniter(self.cron, now + dt.timedelta(milliseconds=1), second_at_beginning=seconds_first)
        return int(fired.get_prev(dt.datetime).timestamp() * 1000)

    def period(self, wall: float) -> float:
        """Seconds between two ticks around `wall` (how long a claim of one must be remembered)."""
        if self.interval_ms is not None:
            return self.interval_ms / 1000
        return self.next_delay(dt.datetime.fromtimestamp(self.tick_of(wall) / 1000))


def parse_interval(value: object, where: str) -> float:
    """Milliseconds of `"5s"`-style strings and plain numbers of milliseconds."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    match = INTERVAL.match(value) if isinstance(value, str) else None
    if not match or float(match[1]) <= 0:
        raise BootError(
            f"schedule interval `{value!r}` in `{where}` is not a duration",
            hint='use e.g. "500ms", "5s", "1m", "1h", "1d" or milliseconds as an int',
        )
    return float(match[1]) * UNITS_MS[match[2]]


def check_cron(expression: Any, where: str) -> str:
    from croniter import croniter

    fields = len(expression.split()) if isinstance(expression, str) else 0
    if fields not in (5, 6) or not croniter.is_valid(expression, second_at_beginning=fields == 6):
        raise BootError(
            f"schedule cron `{expression!r}` in `{where}` is not a valid cron expression",
            hint='five fields, or six with seconds first: "*/5 * * * * *"',
        )
    return str(expression)


def build_task(name: str, file: Path, schedule: object, run: Callable[[Any], Awaitable[Any]]) -> ScheduleTask:
    """Validate a `schedule` dict; every error names the file."""
    where = str(file)
    if not isinstance(schedule, dict):
        raise BootError(
            f"`{where}` must define a `schedule` dict", hint='e.g. {"interval": "1m", "type": "worker"}'
        )
    kind = schedule.get("type", "worker")
    if kind not in TYPES:
        raise BootError(f"schedule type `{kind!r}` in `{where}` is not `worker` or `all`")
    if ("interval" in schedule) == ("cron" in schedule):
        raise BootError(f"schedule in `{where}` needs exactly one of `interval` or `cron`")
    interval = parse_interval(schedule["interval"], where) if "interval" in schedule else None
    cron = check_cron(schedule["cron"], where) if "cron" in schedule else None
    env = schedule.get("env")
    if env is not None and not (isinstance(env, list | tuple) and all(isinstance(e, str) for e in env)):
        raise BootError(f"schedule `env` in `{where}` must be a list of env names")
    if not isinstance(schedule.get("singleton", False), bool):
        raise BootError(f"schedule `singleton` in `{where}` must be True or False")
    return ScheduleTask(
        name, file, kind, interval, cron, bool(schedule.get("immediate")), bool(schedule.get("disable")),
        tuple(env) if env is not None else None, run, bool(schedule.get("singleton")),
    )  # fmt: skip


def task_of(module: ModuleType, file: Path) -> tuple[Any, Callable[[Any], Awaitable[Any]]]:
    """The schedule dict and the coroutine function of one module."""
    from eggbin.web.loader import subclasses_defined_in

    classes = subclasses_defined_in(module, Subscription)
    if classes:
        cls = classes[0]
        return cls.schedule, lambda ctx: _awaited(cls(ctx).subscribe())
    task = getattr(module, "task", None)
    if not callable(task):
        raise BootError(f"`{file}` defines neither a `Subscription` subclass nor `async def task(ctx)`")
    return getattr(module, "schedule", None), lambda ctx: _awaited(task(ctx))


async def _awaited(result: object) -> Any:
    """A task's result, awaited when it is a coroutine: `def task(ctx)` and `def subscribe` work too."""
    return await result if inspect.isawaitable(result) else result


def load_schedules(units: list[LoadUnit]) -> dict[str, ScheduleTask]:
    """`app/schedule/**.py` of every load unit, by name; a later unit's file of the same name wins."""
    from eggbin.web.own_files import python_files

    tasks: dict[str, ScheduleTask] = {}
    for unit in units:
        directory = unit.file("app", "schedule")
        for file in python_files(directory):
            name = file.relative_to(directory).with_suffix("").as_posix()
            schedule, run = task_of(unit.modules.import_file(file), file)
            tasks[name] = build_task(name, file, schedule, run)
    return tasks


def schedules_of(app: Any) -> dict[str, ScheduleTask]:
    """The app's schedules, loaded once per app object."""
    cached: dict[str, ScheduleTask] | None = getattr(app, "_schedules", None)
    if cached is None:
        cached = load_schedules(app.units)
        app._schedules = cached
    return cached


async def run_schedule(app: Application, name: str, job_id: str = "manual") -> None:
    """Run schedule `name` once in this process, logging start, end and failure like egg-schedule."""
    tasks = schedules_of(app)
    task = tasks.get(name)
    if task is None:
        known = ", ".join(f"`{n}`" for n in sorted(tasks)) or "none"
        raise EggbinError(f"no schedule named `{name}` under app/schedule (known: {known})")
    log = getattr(app, "schedule_logger", logger)
    started = time.monotonic()
    log.info("[Job#%s] %s executing by %s", job_id, name, app.role)
    try:
        await task.run(app.create_anonymous_context())
    except Exception:
        ms = (time.monotonic() - started) * 1000
        log.exception("[Job#%s] %s execute failed, used %.0f ms", job_id, name, ms)
        raise
    ms = (time.monotonic() - started) * 1000
    log.info("[Job#%s] %s execute succeed, used %.0f ms", job_id, name, ms)
