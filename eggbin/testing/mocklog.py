"""`mock.log(logger)` then `mock.expect_log(text | regex, logger)` / `mock.not_expect_log(...)`.

`mock.log` attaches a capturing handler to the logger for the rest of the test. Without it,
`expect_log` reads what the logger's file handlers wrote (egg-mock's `expectLog` reads the log file).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eggbin.testing.patching import Patches
from eggbin.web.logger import egg_message

if TYPE_CHECKING:
    from eggbin.web.application import Application

Pattern = str | re.Pattern[str]


def resolve_logger(
    app: Application, logger: str | logging.Logger | logging.LoggerAdapter[Any] | None
) -> logging.Logger:
    """None → the app's logger; a name → `app.loggers[name]`, `app.<name>` or `logging.getLogger(name)`."""
    if logger is None:
        logger = getattr(app, "logger", None) or logging.getLogger()
    if isinstance(logger, str):
        loggers = getattr(app, "loggers", None)
        named = loggers.get(logger) if isinstance(loggers, Mapping) else None
        named = named if named is not None else getattr(app, logger, None)
        logger = named if named is not None else logging.getLogger(logger)
    while isinstance(logger, logging.LoggerAdapter):
        logger = logger.logger
    if not isinstance(logger, logging.Logger):
        raise TypeError(f"`{logger!r}` is not a logger; pass a logging.Logger or a logger name")
    return logger


class Capture(logging.Handler):
    """Keeps every formatted line a logger emits during the test."""

    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.levelname} {egg_message(record)}")


class LogMock:
    """The captures of one test, keyed by logger."""

    def __init__(self, patches: Patches) -> None:
        self._patches = patches
        self._captures: dict[logging.Logger, Capture] = {}

    def start(self, logger: logging.Logger) -> None:
        if logger in self._captures:
            return
        capture = Capture()
        logger.addHandler(capture)
        self._captures[logger] = capture
        self._patches.on_restore(lambda: logger.removeHandler(capture))
        self._patches.on_restore(lambda: self._forget(logger))

    def _forget(self, logger: logging.Logger) -> None:
        self._captures.pop(logger, None)

    def lines(self, logger: logging.Logger) -> list[str]:
        capture = self._captures.get(logger)
        if capture is not None:
            return capture.lines
        files = [path for path in map(_file_of, logger.handlers) if path is not None]
        if not files:
            raise AssertionError(
                f"logger `{logger.name}` is neither captured nor writes a file: "
                "call `mock.log(logger)` before the code that logs"
            )
        return [line for file in files if file.is_file() for line in file.read_text("utf-8").splitlines()]

    def find(self, pattern: Pattern, logger: logging.Logger) -> str | None:
        for line in self.lines(logger):
            if pattern.search(line) if isinstance(pattern, re.Pattern) else pattern in line:
                return line
        return None

    def expect(self, pattern: Pattern, logger: logging.Logger) -> str:
        line = self.find(pattern, logger)
        if line is None:
            shown = "\n  ".join(self.lines(logger)[-20:]) or "(nothing)"
            raise AssertionError(
                f"expected `{_show(pattern)}` in logger `{logger.name}`; it logged:\n  {shown}"
            )
        return line

    def not_expect(self, pattern: Pattern, logger: logging.Logger) -> None:
        line = self.find(pattern, logger)
        if line is not None:
            raise AssertionError(f"did not expect `{_show(pattern)}` in logger `{logger.name}`, got: {line}")


def _file_of(handler: logging.Handler) -> Path | None:
    """The file a handler appends to: stdlib `FileHandler`s and eggbin's `AppendFileHandler`."""
    if isinstance(handler, logging.FileHandler):
        return Path(handler.baseFilename)
    path = getattr(handler, "path", None)
    return path if isinstance(path, Path) else None


def _show(pattern: Pattern) -> str:
    return pattern.pattern if isinstance(pattern, re.Pattern) else pattern
