"""Egg's loggers: one file per logger under `<root>/logs/<name>/`, every ERROR also in `common-error.log`.

    logger                 name (logging.getLogger)      file
    app.logger             eggbin.<app>.app              <name>-web.log
    app.core_logger        eggbin.<app>.core             egg-web.log
    app.schedule_logger    eggbin.<app>.schedule         egg-schedule.log
    agent.logger           eggbin.<app>.agent            egg-agent.log
    agent.core_logger      eggbin.<app>.agent_core       egg-agent.log
    agent.schedule_logger  eggbin.<app>.agent_schedule   egg-schedule.log
    any of them, ERROR                                   common-error.log

Several processes (workers, agent) append to the same files: each record is one `os.write` on an
`O_APPEND` descriptor, so lines never interleave. `reopen()` reopens the files after a rotation.
Levels come from `config.logger` (`NONE`, `DEBUG`, `INFO`, `WARN`, `ERROR`); `console` (on in local)
copies records to stdout (errors to stderr). Each logger is found by its name (`logging.getLogger`),
propagates to `eggbin.<app>` → `eggbin` → root only with `config.logger.propagate`, and with
`EGG_LOG_STDOUT=1` / `config.logger.stdout` writes no file at all: it propagates to the root's JSON
handler (`eggbin.web.log_output`).
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeAlias

from eggbin.errors import BootError
from eggbin.private_files import open_private, private_dir
from eggbin.web.log_output import REQUEST_FIELDS, ConsoleHandler, stdout_enabled
from eggbin.web.logger_registry import register

LEVELS = {"NONE": logging.CRITICAL + 10, "DEBUG": logging.DEBUG, "INFO": logging.INFO}
LEVELS |= {"WARN": logging.WARNING, "WARNING": logging.WARNING, "ERROR": logging.ERROR}
_FORMAT = "%(asctime)s %(levelname)s %(process)d %(message)s"


def request_prefix(record: logging.LogRecord) -> str | None:
    """Egg's `[user/ip/trace/ms METHOD url]` of a `ctx.logger` record (None for other records)."""
    fields = record.__dict__
    if not all(name in fields for name in REQUEST_FIELDS):
        return None
    return (
        f"[{fields['user']}/{fields['ip']}/{fields['trace_id']}/{fields['elapsed_ms']}ms"
        f" {fields['method']} {fields['url']}]"
    )


def egg_message(record: logging.LogRecord) -> str:
    """The message as egg's files show it: a context logger's request prefix, then the message."""
    prefix = request_prefix(record)
    message = record.getMessage()
    return f"{prefix} {message}" if prefix else message


class EggFormatter(logging.Formatter):
    """Egg's line: `2024-05-01 10:00:00,123 INFO 4242 [request prefix] message` (WARN, not WARNING)."""

    def __init__(self) -> None:
        super().__init__(_FORMAT)

    def formatMessage(self, record: logging.LogRecord) -> str:
        if record.levelno != logging.WARNING and "trace_id" not in record.__dict__:
            return super().formatMessage(record)
        shown = logging.makeLogRecord(record.__dict__)  # the handlers after this one see the record unchanged
        if record.levelno == logging.WARNING:
            shown.levelname = "WARN"
        shown.message = egg_message(record)
        return super().formatMessage(shown)


class AppendFileHandler(logging.Handler):
    """Appends whole records to a file: one `write(2)` per record on an `O_APPEND` descriptor."""

    def __init__(self, path: Path, level: int = logging.NOTSET) -> None:
        super().__init__(level)
        self.path = path
        self.retired = False
        self.fd = -1  # logging knows the handler from here on, and closes it at exit even if opening fails
        self.fd = self._open()

    def _open(self) -> int:
        """The file, created 0600 (in a 0700 dir): logs hold what requests carried."""
        try:
            private_dir(self.path.parent)
            return open_private(self.path, os.O_WRONLY | os.O_APPEND)
        except OSError as exc:
            raise BootError(
                f"cannot write the log file `{self.path}`: {exc.strerror}",
                hint="make its directory writable by this user, or set `logger.dir` in config",
            ) from None

    def emit(self, record: logging.LogRecord) -> None:
        if self.fd < 0 and self.retired:
            return  # closed with its app; late records from stray tasks are dropped
        try:
            if self.fd < 0:  # closed by someone else (a later `dictConfig` closes every handler): reopen
                self.fd = self._open()
            os.write(self.fd, (self.format(record) + "\n").encode("utf-8", "replace"))
        except Exception:
            self.handleError(record)

    def reopen(self) -> None:
        """Point at the file now at `path` (the old one was renamed by a rotation)."""
        self.acquire()
        try:
            old, self.fd = self.fd, self._open()
            if old >= 0:
                os.close(old)
        except BootError as exc:  # keep writing to the renamed file rather than lose lines
            sys.stderr.write(f"{exc}\n")
        finally:
            self.release()

    def retire(self) -> None:
        """Close for good: its app is closed."""
        self.retired = True
        self.close()

    def close(self) -> None:
        self.acquire()
        try:
            if self.fd >= 0:
                os.close(self.fd)
                self.fd = -1
        finally:
            self.release()
        super().close()


class EggLogger(logging.Logger):
    """A logger of one app (its own object, registered under its name) that can reopen its files."""

    def reopen(self) -> None:
        for handler in self.handlers:
            if isinstance(handler, AppendFileHandler):
                handler.reopen()

    def warn(self, msg: object, *args: Any, **kwargs: Any) -> None:
        """Egg's spelling of `warning`."""
        kwargs.setdefault("stacklevel", 2)
        self.warning(msg, *args, **kwargs)


def parse_level(value: Any, key: str, meta: Mapping[str, str]) -> int:
    """`config.logger.<key>` as a logging level; an unknown name fails the boot naming its file."""
    level = LEVELS.get(str(value).upper())
    if level is None:
        raise BootError(
            f"config `logger.{key}` is `{value}` (set in `{meta.get(f'logger.{key}', '?')}`)",
            hint=f"use one of {', '.join(n for n in LEVELS if n != 'WARNING')}",
        )
    return level


class Loggers:
    """Every logger of one app or agent, sharing one handler per file."""

    def __init__(
        self, name: str, role: str, directory: Path, options: Mapping[str, Any], meta: Mapping[str, str]
    ) -> None:
        self.dir = directory
        self.level = parse_level(options.get("level", "INFO"), "level", meta)
        self.console_level = parse_level(options.get("console_level", "INFO"), "console_level", meta)
        self.stdout = stdout_enabled(options)  # containers: the root's JSON handler instead of files
        self.console = bool(options.get("console", False)) and not self.stdout
        self.propagate = bool(options.get("propagate", False)) or self.stdout
        self._handlers: dict[str, AppendFileHandler] = {}
        error_file = options.get("error_log_name", "common-error.log")
        self._error = None if self.stdout else self._file(error_file, logging.ERROR)
        agent_file = options.get("agent_log_name", "egg-agent.log")
        app_file = options.get("app_log_name", f"{name}-web.log") if role == "app" else agent_file
        core_file = options.get("core_log_name", "egg-web.log") if role == "app" else agent_file
        schedule_file = options.get("schedule_log_name", "egg-schedule.log")
        names = logger_names(name, role)
        self.logger = self._make(names["logger"], app_file)
        self.core_logger = self._make(names["core_logger"], core_file)
        self.schedule_logger = self._make(names["schedule_logger"], schedule_file)

    def _file(self, file_name: str, level: int = logging.NOTSET) -> AppendFileHandler:
        handler = self._handlers.get(file_name)
        if handler is None:
            handler = AppendFileHandler(self.dir / file_name, level)
            handler.setFormatter(EggFormatter())
            self._handlers[file_name] = handler
        return handler

    def _make(self, name: str, file_name: str) -> EggLogger:
        logger = EggLogger(name, self.level)
        logger.propagate = self.propagate
        if not self.stdout:
            logger.addHandler(self._file(file_name))
            if self._error is not None and self._error.path != self._handlers[file_name].path:
                logger.addHandler(self._error)
        if self.console:
            console = ConsoleHandler(self.console_level)
            console.setFormatter(EggFormatter())
            logger.addHandler(console)
        register(logger, EggLogger)
        return logger

    def all(self) -> list[EggLogger]:
        return [self.logger, self.core_logger, self.schedule_logger]

    def reopen(self) -> None:
        """Reopen every file (the agent rotated them)."""
        for handler in self._handlers.values():
            handler.reopen()

    def close(self) -> None:
        for handler in self._handlers.values():
            handler.retire()


def logger_names(app: str, role: str) -> dict[str, str]:
    """The registered name of each logger of an app (`role` "app") or of its agent."""
    if role == "app":
        return {
            "logger": f"eggbin.{app}.app",
            "core_logger": f"eggbin.{app}.core",
            "schedule_logger": f"eggbin.{app}.schedule",
        }
    return {
        "logger": f"eggbin.{app}.agent",
        "core_logger": f"eggbin.{app}.agent_core",
        "schedule_logger": f"eggbin.{app}.agent_schedule",
    }


class ContextLogger(logging.LoggerAdapter[logging.Logger]):
    """`ctx.logger`: the app logger; each record carries the request (`method`, `path`, `url`, `ip`,
    `user`, `trace_id`, `elapsed_ms` attributes), files show egg's `[user/ip/trace/ms METHOD url]`."""

    def __init__(self, ctx: Any, logger: logging.Logger) -> None:
        super().__init__(logger, None)
        self.ctx = ctx

    def log(self, level: int, msg: Any, *args: Any, **kwargs: Any) -> None:
        if self.isEnabledFor(level):
            fields = self.fields()
            extra = kwargs.get("extra")
            kwargs["extra"] = {**fields, **extra} if extra else fields
            kwargs.setdefault("stacklevel", 2)  # the caller of `ctx.logger.info`, not this method
            self.logger.log(level, msg, *args, **kwargs)

    def fields(self) -> dict[str, Any]:
        """The request's fields (`REQUEST_FIELDS`), as the record's attributes."""
        ctx = self.ctx
        state = getattr(ctx, "state", None) or {}
        user = state.get("user_id") or state.get("user") or "-"
        ip = getattr(ctx, "ip", None) or _client_host(ctx)
        trace = getattr(ctx, "trace_id", None) or state.get("trace_id") or "-"
        elapsed = int((time.time() - ctx.starttime) * 1000)
        return {
            "method": ctx.method,
            "path": ctx.path,
            "url": ctx.url,
            "ip": ip,
            "user": user,
            "trace_id": trace,
            "elapsed_ms": elapsed,
        }

    def prefix(self) -> str:
        """Egg's `[user/ip/trace/ms METHOD url]` for this request, now."""
        return str(request_prefix(logging.makeLogRecord(self.fields())))

    def warn(self, msg: object, *args: Any, **kwargs: Any) -> None:
        """Egg's spelling of `warning`."""
        kwargs.setdefault("stacklevel", 3)
        self.warning(msg, *args, **kwargs)


# What `logger: Logger = inject()` receives: the context logger in context scope, else the app logger.
Logger: TypeAlias = EggLogger | ContextLogger


def _client_host(ctx: Any) -> str:
    client = ctx.request.scope.get("client")
    return str(client[0]) if client else "-"
