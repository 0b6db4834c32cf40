"""Every test runs with its own HOME, cwd and a clean copy of the environment."""

from __future__ import annotations

import os
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
