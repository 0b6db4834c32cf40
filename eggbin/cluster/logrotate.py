"""Daily log rotation, done once by the agent, then every process reopens its files.

    agent at local midnight: rename logs/<name>/*.log -> *.log.YYYY-MM-DD ──broadcast `log-reopen`──>
    every process (agent included): close and reopen its log files (new, empty files)

A rename never splits a line: until a process reopens, its complete lines keep going to the renamed
file through the descriptor it already holds; after, to the new file.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from pathlib import Path
from typing import Any

ROTATE_ACTION = "log-rotate"  # ask the agent to rotate now (ops, tests)
REOPEN_ACTION = "log-reopen"


def log_dir(app: Any) -> Path:
    """`config.logger.dir`, else `<root>/logs/<name>` (egg's layout)."""
    configured = (app.config.get("logger") or {}).get("dir") if hasattr(app.config, "get") else None
    return Path(configured) if configured else Path(app.info.root) / "logs" / app.name


def rotate(directory: Path, day: dt.date) -> list[Path]:
    """Rename every `*.log` under `directory` to `*.log.<day>`; the renamed paths."""
    if not directory.is_dir():
        return []
    renamed = []
    for file in sorted(directory.rglob("*.log")):
        target = file.with_name(f"{file.name}.{day.isoformat()}")
        counter = 1
        while target.exists():  # rotated twice the same day: keep both
            target = file.with_name(f"{file.name}.{day.isoformat()}.{counter}")
            counter += 1
        file.rename(target)
        renamed.append(target)
    return renamed


def reopen_logs(app: Any) -> None:
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


def seconds_to_midnight(now: dt.datetime) -> float:
    tomorrow = (now + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return (tomorrow - now).total_seconds()


def rotate_now(app: Any, day: dt.date) -> None:
    """Rotate under `day` (the day the lines were written), then have every process reopen."""
    rotate(log_dir(app), day)
    app.messenger.broadcast(REOPEN_ACTION)


async def rotate_daily(app: Any) -> None:
    """The agent's midnight loop."""
    while True:
        await asyncio.sleep(seconds_to_midnight(dt.datetime.now()) + 0.01)
        rotate_now(app, dt.date.today() - dt.timedelta(days=1))
