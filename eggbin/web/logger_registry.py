"""App loggers by name: `logging.getLogger("eggbin.<app>.app")` returns the app's own logger.

Each app builds fresh logger objects (two apps in one process, as in tests, never share handlers) and
registers them under their names, so dictConfig, Sentry or a Boot hook reach them the standard way. The
stdlib has no public call to put a given logger object in its registry: this writes the manager's
`loggerDict` and links parents and children as `Manager.getLogger` does (contract-tested in
tests/web/test_logger_names.py against the running Python).
"""

from __future__ import annotations

import logging


def register(logger: logging.Logger, own: type[logging.Logger]) -> None:
    """Make `logger` the one its name finds; a plain logger already there (dictConfig's) hands over
    its handlers, filters and level; an older logger of class `own` (an earlier app) is replaced."""
    manager = logging.Logger.manager
    name = logger.name
    existing = manager.loggerDict.get(name)
    if isinstance(existing, logging.Logger) and not isinstance(existing, own):
        for handler in list(existing.handlers):
            existing.removeHandler(handler)
            logger.addHandler(handler)
        for flt in list(existing.filters):
            logger.addFilter(flt)
        if existing.level != logging.NOTSET:
            logger.setLevel(existing.level)
    parent_name = name.rpartition(".")[0]
    logger.parent = logging.getLogger(parent_name) if parent_name else logging.getLogger()
    manager.loggerDict[name] = logger
    prefix = name + "."
    for child in list(manager.loggerDict.values()):
        if not isinstance(child, logging.Logger) or not child.name.startswith(prefix):
            continue
        parent = child.parent
        if parent is existing or parent is None or not parent.name.startswith(prefix):
            child.parent = logger
    logger.setLevel(logger.level)  # resets every logger's cached effective level (children's too)
