"""Locks that make a `singleton: True` schedule run once per tick across replicas (N pods run N agents).

At each tick of a singleton schedule the agent asks its lock to `claim(name, tick, ttl)`, where `tick`
names the tick the same way on every replica (the cron fire time, or the start of the interval's
window on the wall clock, in ms since the epoch); only the replica that claims it first sends it to a
worker. The default is `FileScheduleLock`, for replicas on one machine (a directory they share); any
object with the same `claim` coroutine replaces it, set as `agent.schedule_lock` by a Boot hook of
`agent.py` (README: "Schedules across replicas" shows a Redis and a SQL lock).
"""

from __future__ import annotations

import asyncio
import errno
import fcntl
import json
import os
import socket
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote

if TYPE_CHECKING:
    from eggbin.web.application import Agent, EggCore

LOCK_WAIT = 2.0  # seconds: a claim holds the flock for microseconds, so this is only a safety net
RETRY = 0.005
MAX_READ = 4096


class ScheduleLock(Protocol):
    """What the agent needs of a schedule lock."""

    async def claim(self, schedule: str, tick: int, ttl: float) -> bool:
        """True when this replica is the first to claim `tick` of `schedule`; `ttl` seconds is how long
        a record of the claim must last (two periods), for stores that expire keys."""
        ...


class FileScheduleLock:
    """One file per schedule in a directory every replica can reach: `flock`, compare, write.

    The file records the last claimed tick; a replica claims a tick only if it is later than that one.
    `flock` on a local filesystem is atomic between processes; on NFS it is not reliable: use a
    database or Redis lock across machines.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def __repr__(self) -> str:
        return f"FileScheduleLock({str(self.directory)!r})"

    async def claim(self, schedule: str, tick: int, ttl: float) -> bool:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self.directory / f"{quote(schedule, safe='')}.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            await _lock(fd, path)
            last = _last_tick(os.pread(fd, MAX_READ, 0))
            if last is not None and last >= tick:
                return False
            record = {"tick": tick, "host": socket.gethostname(), "pid": os.getpid(), "at": time.time()}
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(record).encode(), 0)
            return True
        finally:
            os.close(fd)  # and with it the flock


async def _lock(fd: int, path: Path) -> None:
    """An exclusive flock without blocking the event loop."""
    deadline = time.monotonic() + LOCK_WAIT
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES) or time.monotonic() > deadline:
                raise OSError(exc.errno, f"cannot lock `{path}`: {exc.strerror}") from None
        await asyncio.sleep(RETRY)


def _last_tick(content: bytes) -> int | None:
    """The tick recorded in a lock file; None for an empty or unreadable one (which is then claimed)."""
    try:
        record: Any = json.loads(content)
    except ValueError:
        return None
    tick = record.get("tick") if isinstance(record, dict) else None
    return tick if isinstance(tick, int) and not isinstance(tick, bool) else None


def default_lock_dir(app: EggCore) -> Path:
    """`config.schedule.lock_dir`, else `<root>/run/<name>/schedule-locks` (root: HOME in prod, as logs)."""
    options = app.config.get("schedule") or {}
    configured = options.get("lock_dir") if isinstance(options, dict) else None
    if configured:
        return Path(app.base_dir) / str(configured)
    return Path(app.info.root) / "run" / str(app.name) / "schedule-locks"


def schedule_lock_of(agent: Agent) -> ScheduleLock:
    """`agent.schedule_lock` when a Boot hook set one, else a file lock in `default_lock_dir`."""
    lock = getattr(agent, "schedule_lock", None)
    return lock if lock is not None else FileScheduleLock(default_lock_dir(agent))
