"""Fixtures for eggscripts tests: apps copied into tmp, unique titles, nothing left running."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

from eggbin.daemon.locate import role_of
from tests.support import FIXTURE_APPS


def eggscripts(
    *args: str, cwd: Path | None = None, timeout: float = 120, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The installed console script, in a real process (`env` adds to the environment)."""
    environ = {**os.environ, **env} if env else None
    return subprocess.run(
        ["eggscripts", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=environ
    )


def processes_titled(title: str) -> list[psutil.Process]:
    return [p for p in psutil.process_iter() if (role_of(p) or ("",))[0] == title]


@pytest.fixture
def make_app(tmp_path: Path) -> Iterator[Callable[[str], tuple[Path, str]]]:
    """Copy a fixture app into tmp and give it a title no other test uses; kill its leftovers at the end."""
    titles: list[str] = []

    def make(fixture: str) -> tuple[Path, str]:
        title = f"egg-server-t{uuid.uuid4().hex[:10]}"
        base = tmp_path / f"{fixture}-{len(titles)}"
        shutil.copytree(FIXTURE_APPS / fixture, base)
        titles.append(title)
        return base, title

    yield make
    for title in titles:
        for proc in processes_titled(title):
            proc.kill()
