"""Fixture apps booted for real, served in-process through real HTTP semantics (httpx over ASGI).

`boot_app("http_app")` copies `tests/fixtures/apps/http_app` to the test's tmp dir (boots write `run/`
and `logs/` there), boots it on a loop thread and returns it with a sync client bound to it.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from eggbin.testing.loop import LoopThread, LoopTransport
from eggbin.web.application import Application
from eggbin.web.env import ServerEnv
from tests.support import FIXTURE_APPS

BOOT_TIMEOUT = 30.0


@dataclass
class Booted:
    app: Application
    http: httpx.Client
    loop: LoopThread
    base: Path

    def run(self, coro: Any) -> Any:
        return self.loop.run(coro, BOOT_TIMEOUT)


@pytest.fixture
def boot_app(tmp_path: Path) -> Iterator[Callable[..., Booted]]:
    loop = LoopThread()
    booted: list[Booted] = []

    def boot(name: str, env: str = "unittest", edit: Callable[[Path], None] | None = None) -> Booted:
        base = tmp_path / name
        if not base.exists():
            shutil.copytree(FIXTURE_APPS / name, base)
        if edit is not None:
            edit(base)
        app = Application(base, ServerEnv(env, "test"))
        loop.run(app.boot(), BOOT_TIMEOUT)
        client = httpx.Client(transport=LoopTransport(app, loop), base_url="http://127.0.0.1")
        booted.append(Booted(app, client, loop, base))
        return booted[-1]

    try:
        yield boot
    finally:
        for item in booted:
            item.http.close()
            loop.run(item.app.close(), BOOT_TIMEOUT)
        loop.close()
