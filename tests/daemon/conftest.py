"""Fixtures for eggscripts tests: apps copied into tmp, unique titles, nothing left running."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from eggbin.daemon.locate import role_of
from tests.support import FIXTURE_APPS

MakeApp = Callable[[str], tuple[Path, str]]


def eggscripts(
    *args: str, cwd: Path | None = None, timeout: float = 120, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The installed console script, in a real process (`env` adds to the environment)."""
    environ = {**os.environ, **env} if env else None
    return subprocess.run(
        ["eggscripts", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=environ
    )


def start_daemon(base: Path, title: str, port: int, *extra: str) -> subprocess.CompletedProcess[str]:
    """`eggscripts start --daemon` with two workers; asserts it came up."""
    done = eggscripts(
        "start", str(base), "--daemon", "--title", title, "--port", str(port), "--workers", "2", *extra
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def state_of(base: Path) -> dict[str, Any]:
    return dict(json.loads((base / "run" / "cluster.json").read_text()))


def processes_titled(title: str, role: str | None = None) -> list[psutil.Process]:
    """Live processes of the cluster titled `title` (of that `role` only, if given)."""
    found = ((p, role_of(p)) for p in psutil.process_iter())
    return [p for p, r in found if r is not None and r[0] == title and role in (None, r[1])]


def named(base: Path) -> str:
    """Give the app a `[project] name` no other test uses; its default title."""
    name = f"t{uuid.uuid4().hex[:10]}"
    (base / "pyproject.toml").write_text(f'[project]\nname = "{name}"\nversion = "0.1.0"\n')
    return f"egg-server-{name}"


@pytest.fixture
def make_app(tmp_path: Path) -> Iterator[MakeApp]:
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
