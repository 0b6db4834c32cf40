"""Every test runs with its own HOME, cwd and a clean copy of the environment."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import BIN

ISOLATED_VARS = (
    "EGG_SERVER_ENV",
    "EGG_SERVER_ENV_SOURCE",
    "NODE_ENV",
    "EGG_HOME",
    "EGGBIN_DEBUG",
    "NO_COLOR",
    "EGG_LOG_STDOUT",
    "XDG_CACHE_HOME",  # eggbin's caches (help, settings verdicts) under the test's HOME
)


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in ISOLATED_VARS:
        monkeypatch.delenv(name, raising=False)
    for name in [n for n in os.environ if n.startswith(("EGGBIN_", "EGGSCRIPTS_"))]:  # option settings
        monkeypatch.delenv(name)
    monkeypatch.setenv("PATH", f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.chdir(tmp_path)
    return home


@pytest.fixture
def process_logging() -> Iterator[None]:
    """Undo what `config.logger` did to this process's logging (root and master handlers, excepthook)."""
    from eggbin.web.log_output import MASTER_LOGGER, PROCESS

    root, master = logging.getLogger(), logging.getLogger(MASTER_LOGGER)
    saved = (list(root.handlers), list(master.handlers), master.propagate, master.level, sys.excepthook)
    state = dict(PROCESS.__dict__)
    try:
        yield
    finally:
        for handler in {*root.handlers, *master.handlers} - {*saved[0], *saved[1]}:
            handler.close()  # a dict_config's file handler, say
        root.handlers[:], master.handlers[:] = saved[0], saved[1]
        master.propagate, sys.excepthook = saved[2], saved[4]
        master.setLevel(saved[3])
        PROCESS.__dict__.update(state)
