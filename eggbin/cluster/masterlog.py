"""The master's own lines, through the `eggbin.master` logger.

As text (the default) they read `[master] message`, progress on stdout and faults on stderr (egg's
master-stdout / master-stderr split: `eggscripts start --daemon` shows anything written to stderr at boot
as a warning, so only real trouble goes there). With `EGG_LOG_STDOUT=1` they are JSON lines on stdout
(`eggbin.web.log_output`).
"""

from __future__ import annotations

import logging
from typing import Any

from eggbin.errors import BootError
from eggbin.web.log_output import MASTER_LOGGER, PROCESS

logger = logging.getLogger(MASTER_LOGGER)


def configure() -> None:
    """The master's output before the agent tells it `config.logger` (only `EGG_LOG_STDOUT` is known)."""
    PROCESS.configure("master", None)


def configure_from_agent(options: Any) -> None:
    """`config.logger` as the agent loaded it (stdout, propagate, dict_config): the master applies it too."""
    if not isinstance(options, dict):
        return
    try:
        PROCESS.configure("master", options, {"logger.dict_config": "the app's config"})
    except BootError as exc:  # the agent and workers refuse to boot with it and say why; keep serving them
        error(str(exc))


def info(message: str) -> None:
    logger.info("%s", message)


def error(message: str) -> None:
    logger.error("%s", message)
