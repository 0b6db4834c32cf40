"""Log rotation (egg-logrotator): by day, by hour, by size, and `max_days` retention.

One rotator, the agent's (the `logrotator` plugin starts it); every process then reopens its files:

    agent: rename logs/<name>/x.log -> x.log.<suffix> ──broadcast `log-reopen`──> every process (agent
    included) closes and reopens its log files, so new lines go to a new, empty x.log

    by day   at local midnight, every `*.log` not rotated otherwise -> `x.log.YYYY-MM-DD` (yesterday)
    by hour  at each hour, `files_rotate_by_hour` -> `x.log.YYYY-MM-DD-HH` (the hour just ended)
    by size  every `rotate_duration` s, a `files_rotate_by_size` file over `max_file_size` -> `x.log.1`,
             older pieces shifted (`.1` -> `.2` ...), `.<max_files>` dropped
    clean    at start and after each daily rotation, `*.log.YYYY-MM-DD*` older than `max_days` removed

A rename never loses or splits a line: each line is one `write(2)` on an `O_APPEND` descriptor, and
until a process reopens, its lines keep going, whole, to the renamed file it still holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from msgspec import Struct

if TYPE_CHECKING:
    from eggbin.web.application import Agent, EggCore

ROTATE_ACTION = "log-rotate"  # ask the agent to rotate now: data {"by": "day" | "hour" | "size"}
REOPEN_ACTION = "log-reopen"
DATED = re.compile(r"\.log\.(\d{4}-\d{2}-\d{2})")


def log_dir(app: EggCore) -> Path:
    """`config.logger.dir`, else `<root>/logs/<name>` (egg's layout)."""
    configured = (app.config.get("logger") or {}).get("dir")
    return Path(configured) if configured else Path(app.info.root) / "logs" / app.name


class RotatorOptions(Struct, frozen=True):
    """`config.logrotator`, egg's keys in snake_case (`rotate_duration` in seconds, egg: ms)."""

    directory: Path
    disable_rotate_by_day: bool = False
    files_rotate_by_hour: tuple[Path, ...] = ()
    hour_delimiter: str = "-"
    files_rotate_by_size: tuple[Path, ...] = ()
    max_file_size: int = 50 * 1024 * 1024
    max_files: int = 10
    rotate_duration: float = 60.0
    max_days: int = 31

    @classmethod
    def of(cls, app: EggCore) -> RotatorOptions:
        from eggbin.web.body import parse_size

        options = app.config.get("logrotator") or {}
        directory = log_dir(app)
        # the trailing fields' defaults, from the class (`msgspec.structs.fields` evaluated the string
        # annotations again at every call: 9 `compile`s)
        defaults = dict(zip(cls.__struct_fields__[1:], cls.__struct_defaults__, strict=True))

        def files(key: str) -> tuple[Path, ...]:
            return tuple(directory / name for name in options.get(key) or ())  # absolute paths stay

        return cls(
            directory,
            bool(options.get("disable_rotate_by_day", False)),
            files("files_rotate_by_hour"),
            str(options.get("hour_delimiter", "-")),
            files("files_rotate_by_size"),
            parse_size(options.get("max_file_size", defaults["max_file_size"])),
            int(options.get("max_files", defaults["max_files"])),
            float(options.get("rotate_duration", defaults["rotate_duration"])),
            int(options.get("max_days", defaults["max_days"])),
        )


def free_target(path: Path) -> Path:
    """`path`, or `path.1`, `path.2`... if it exists (rotated twice in one period: keep both)."""
    target, counter = path, 1
    while target.exists():
        target = path.with_name(f"{path.name}.{counter}")
        counter += 1
    return target


def rotate_by_day(options: RotatorOptions, day: dt.date) -> list[Path]:
    """Every `*.log` under the directory, except those rotated by hour or size, to `*.log.<day>`."""
    if not options.directory.is_dir():
        return []
    excluded = {*options.files_rotate_by_hour, *options.files_rotate_by_size}
    renamed = []
    for file in sorted(options.directory.rglob("*.log")):
        if file not in excluded:
            target = free_target(file.with_name(f"{file.name}.{day.isoformat()}"))
            file.rename(target)
            renamed.append(target)
    return renamed


def rotate_by_hour(options: RotatorOptions, hour: dt.datetime) -> list[Path]:
    """Each of `files_rotate_by_hour` to `x.log.YYYY-MM-DD<delimiter>HH` of `hour`."""
    suffix = f"{hour:%Y-%m-%d}{options.hour_delimiter}{hour:%H}"
    renamed = []
    for file in options.files_rotate_by_hour:
        if file.is_file():
            target = free_target(file.with_name(f"{file.name}.{suffix}"))
            file.rename(target)
            renamed.append(target)
    return renamed


def rotate_by_size(options: RotatorOptions) -> list[Path]:
    """Each of `files_rotate_by_size` over `max_file_size` to `.1`, older pieces shifted (to `max_files`)."""
    renamed = []
    for file in options.files_rotate_by_size:
        try:
            if file.stat().st_size < options.max_file_size:
                continue
        except FileNotFoundError:
            continue
        piece(file, options.max_files).unlink(missing_ok=True)
        for n in range(options.max_files - 1, 0, -1):
            if piece(file, n).exists():
                piece(file, n).rename(piece(file, n + 1))
        file.rename(piece(file, 1))
        renamed.append(piece(file, 1))
    return renamed


def piece(file: Path, n: int) -> Path:
    return file.with_name(f"{file.name}.{n}")


def expired_files(directory: Path, max_days: int, today: dt.date) -> list[Path]:
    """`*.log.YYYY-MM-DD*` files dated before `today - max_days` (none when `max_days` is 0)."""
    if max_days <= 0 or not directory.is_dir():
        return []
    oldest = today - dt.timedelta(days=max_days)
    expired = []
    for file in directory.rglob("*.log.*"):
        found = DATED.search(file.name)
        if found is None:
            continue
        with contextlib.suppress(ValueError):
            if dt.date.fromisoformat(found[1]) < oldest:
                expired.append(file)
    return sorted(expired)


class LogRotator:
    """The agent's rotator: three timers, one `log-reopen` broadcast after each rotation that renamed."""

    def __init__(self, agent: Agent, clock: Callable[[], dt.datetime] = dt.datetime.now) -> None:
        self.agent = agent
        self.options = RotatorOptions.of(agent)
        self.clock = clock
        self.tasks: list[asyncio.Task[None]] = []

    @property
    def logger(self) -> logging.Logger:
        return self.agent.core_logger

    def start(self) -> None:
        self.clean()
        options = self.options
        if not options.disable_rotate_by_day:
            self.tasks.append(asyncio.create_task(self._every(self._next_midnight, self.daily)))
        if options.files_rotate_by_hour:
            self.tasks.append(asyncio.create_task(self._every(self._next_hour, self.hourly)))
        if options.files_rotate_by_size:
            self.tasks.append(asyncio.create_task(self._every(lambda: options.rotate_duration, self.by_size)))

    def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        self.tasks.clear()

    def rotate(self, by: str = "day") -> None:
        """Rotate now (the `log-rotate` message): by day under today's date, by hour, or by size."""
        if by == "hour":
            self.hourly()
        elif by == "size":
            self.by_size()
        else:
            self._reopen(rotate_by_day(self.options, self.clock().date()))

    def daily(self) -> None:
        self._reopen(rotate_by_day(self.options, (self.clock() - dt.timedelta(minutes=5)).date()))
        self.clean()

    def hourly(self) -> None:
        self._reopen(rotate_by_hour(self.options, self.clock() - dt.timedelta(hours=1)))  # egg's label

    def by_size(self) -> None:
        self._reopen(rotate_by_size(self.options))

    def clean(self) -> None:
        """Remove rotated files older than `max_days`."""
        for file in expired_files(self.options.directory, self.options.max_days, self.clock().date()):
            try:
                file.unlink()
                self.logger.info(
                    "[egg:logrotator] removed %s (older than %s days)", file, self.options.max_days
                )
            except OSError as exc:
                self.logger.error("[egg:logrotator] could not remove %s: %s", file, exc)

    def _reopen(self, renamed: Iterable[Path]) -> None:
        renamed = list(renamed)
        if renamed:
            self.logger.info("[egg:logrotator] rotated %s; broadcast log-reopen", [str(p) for p in renamed])
            self.agent.messenger.broadcast(REOPEN_ACTION)

    async def _every(self, delay: Callable[[], float], action: Callable[[], None]) -> None:
        while True:
            await asyncio.sleep(delay())
            try:
                action()
            except OSError as exc:  # a full disk or a file removed by hand must not stop the timer
                self.logger.error("[egg:logrotator] rotation failed: %s", exc)

    def _next_midnight(self) -> float:
        return seconds_to_midnight(self.clock()) + 0.01  # the new day has begun

    def _next_hour(self) -> float:
        return seconds_to_next_hour(self.clock()) + 0.01


def seconds_to_midnight(now: dt.datetime) -> float:
    tomorrow = (now + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return (tomorrow - now).total_seconds()


def seconds_to_next_hour(now: dt.datetime) -> float:
    return (now.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1) - now).total_seconds()


def reopen_logs(app: EggCore) -> None:
    """Reopen this process's log files: the app's `loggers`, and every stdlib `FileHandler` (which
    reopens lazily, in append mode, on its next record)."""
    loggers = getattr(app, "loggers", None)
    if callable(getattr(loggers, "reopen", None)):
        loggers.reopen()  # type: ignore[union-attr]
    for handler in file_handlers():
        handler.acquire()
        try:
            if handler.stream is not None:
                with contextlib.suppress(OSError):
                    handler.stream.close()
                handler.stream = None
        finally:
            handler.release()


def file_handlers() -> list[logging.FileHandler]:
    loggers = [logging.getLogger(), *(logging.getLogger(n) for n in list(logging.root.manager.loggerDict))]
    found = {id(h): h for lg in loggers for h in lg.handlers if isinstance(h, logging.FileHandler)}
    return list(found.values())
