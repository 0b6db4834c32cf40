"""Where one process's log records go: egg's text lines, or one JSON object per line on stdout.

    text (default)   app loggers → their files under `logs/<name>/` (eggbin.web.logger);
                     `eggbin.master` → `[master] message` lines, faults on stderr
    stdout           `EGG_LOG_STDOUT=1` or `config.logger.stdout`: every eggbin logger propagates to
                     the root logger, whose one handler writes JSON lines on stdout; no log file is
                     opened and rotation is off (containers ship stdout)
    dict_config      `config.logger.dict_config`, a `logging.config.dictConfig` dict, applied in each
                     process before its app loggers are built (the master gets it from the agent)

The master never imports user code: it learns `config.logger` from the agent's `agent-start`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sys
from collections.abc import Mapping
from types import TracebackType
from typing import Any

from eggbin.errors import BootError

STDOUT_ENV = "EGG_LOG_STDOUT"
MASTER_LOGGER = "eggbin.master"
# What `ctx.logger` adds to each record (`extra`), in the order JSON lines show them.
REQUEST_FIELDS = ("method", "path", "url", "ip", "user", "trace_id", "elapsed_ms")
_OFF = ("", "0", "false", "no", "off")


def stdout_enabled(options: Mapping[str, Any] | None = None) -> bool:
    """`EGG_LOG_STDOUT` when set (`1` on, `0` off), else `config.logger.stdout`."""
    value = os.environ.get(STDOUT_ENV)
    if value is not None and value.strip() != "":
        return value.strip().lower() not in _OFF
    return bool((options or {}).get("stdout", False))


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, role, pid, logger, message, request fields, exception."""

    def __init__(self, role: str) -> None:
        super().__init__()
        self.role = role

    def format(self, record: logging.LogRecord) -> str:
        created = dt.datetime.fromtimestamp(record.created, dt.UTC)
        entry: dict[str, Any] = {
            "time": created.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "role": self.role,
            "pid": record.process,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in REQUEST_FIELDS:
            value = record.__dict__.get(field)
            if value is not None:
                entry[field] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class StdoutHandler(logging.Handler):
    """Writes each record with one `write(2)` on stdout, so processes sharing it never split a line."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            data = (self.format(record) + "\n").encode("utf-8", "replace")
            try:
                fd = sys.stdout.fileno()
            except (AttributeError, OSError, ValueError):  # a replaced stdout (pytest's capture)
                sys.stdout.write(data.decode("utf-8"))
                sys.stdout.flush()
                return
            sys.stdout.flush()  # what print() buffered goes first
            while data:
                data = data[os.write(fd, data) :]
        except Exception:
            self.handleError(record)


class ConsoleHandler(logging.Handler):
    """Records on stdout, faults (from `split_at` up) on stderr: `console` in local, the master's lines."""

    def __init__(self, level: int = logging.NOTSET, split_at: int = logging.ERROR) -> None:
        super().__init__(level)
        self.split_at = split_at

    def emit(self, record: logging.LogRecord) -> None:
        try:
            stream = sys.stderr if record.levelno >= self.split_at else sys.stdout
            stream.write(self.format(record) + "\n")
            stream.flush()
        except Exception:
            self.handleError(record)


class MasterTextHandler(ConsoleHandler):
    """`[master] message`: progress on stdout, faults on stderr (egg's master-stdout / -stderr split)."""

    def __init__(self) -> None:
        super().__init__(split_at=logging.WARNING)
        self.setFormatter(logging.Formatter("[master] %(message)s"))


class ProcessLogging:
    """This process's log output: its role, JSON on stdout or not, the dict_config applied."""

    def __init__(self) -> None:
        self.role = "app"
        self.json = False
        self.applied: Any = None

    def configure(
        self, role: str, options: Mapping[str, Any] | None, meta: Mapping[str, str] | None = None
    ) -> None:
        """Apply `config.logger` (dict_config, stdout) to this process; idempotent."""
        options = options or {}
        self.role = role
        dict_config = options.get("dict_config")
        if dict_config and dict_config != self.applied:
            apply_dict_config(dict_config, (meta or {}).get("logger.dict_config", "?"))
            self.applied = dict_config
        self.json = stdout_enabled(options)
        root = logging.getLogger()
        ours = [h for h in root.handlers if isinstance(h, StdoutHandler)]
        if self.json and not ours:
            handler = StdoutHandler()
            handler.setFormatter(JsonFormatter(role))
            root.addHandler(handler)
            sys.excepthook = log_uncaught
        for handler in ours:
            if self.json:
                handler.setFormatter(JsonFormatter(role))
            else:
                root.removeHandler(handler)
        if role == "master":
            self._master(options)

    def _master(self, options: Mapping[str, Any]) -> None:
        logger = logging.getLogger(MASTER_LOGGER)
        logger.setLevel(logging.INFO)
        text = [h for h in logger.handlers if isinstance(h, MasterTextHandler)]
        if self.json:
            for handler in text:
                logger.removeHandler(handler)
            logger.propagate = True
        else:
            if not text:
                logger.addHandler(MasterTextHandler())
            logger.propagate = bool(options.get("propagate", False))


PROCESS = ProcessLogging()


def log_uncaught(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    """An exception nothing caught, as one JSON line (with its traceback) rather than stderr text."""
    logging.getLogger("eggbin.uncaught").critical(
        "uncaught %s: %s", kind.__name__, exc, exc_info=(kind, exc, tb)
    )


def configure_process_logging(role: str, options: Any, meta: Mapping[str, str]) -> None:
    """An app's or agent's `config.logger` applied to its process (the worker's JSON role is `worker`)."""
    PROCESS.configure(
        "worker" if role == "app" else role, options if isinstance(options, Mapping) else None, meta
    )


def apply_dict_config(dict_config: Any, origin: str) -> None:
    """`logging.config.dictConfig`, keeping existing loggers enabled unless the dict says otherwise."""
    import logging.config

    if not isinstance(dict_config, Mapping):
        raise BootError(
            f"config `logger.dict_config` is `{dict_config!r}` (set in `{origin}`)",
            hint="give a `logging.config.dictConfig` dict, e.g. {'version': 1, 'root': {...}}",
        )
    settings = {"version": 1, "disable_existing_loggers": False, **dict_config}
    try:
        logging.config.dictConfig(settings)
    except (ValueError, TypeError, AttributeError, ImportError) as exc:
        raise BootError(
            f"config `logger.dict_config` (set in `{origin}`) was refused by logging: {exc}",
            hint="see https://docs.python.org/3/library/logging.config.html#logging-config-dictschema",
        ) from None


def shareable(options: Mapping[str, Any] | None) -> dict[str, Any]:
    """What the agent tells the master of `config.logger` (JSON only: a callable cannot cross)."""
    options = options or {}
    shared = {key: options.get(key) for key in ("stdout", "propagate", "dict_config")}
    try:
        json.dumps(shared)
    except (TypeError, ValueError):
        shared["dict_config"] = None
    return shared
