"""Booting apps for tests: the project's own app or a fixture app, on the session loop, closed at the end."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from eggbin.testing.loop import LoopThread
from eggbin.web.appinfo import is_app_dir

XDIST_WORKER = "PYTEST_XDIST_WORKER"


def xdist_worker() -> str | None:
    """`gw0`, `gw1`, … inside a pytest-xdist worker, None otherwise."""
    return os.environ.get(XDIST_WORKER)


def clean_logs(base_dir: Path) -> None:
    """egg-mock's rule: a test session starts without the logs of the previous one."""
    shutil.rmtree(base_dir / "logs", ignore_errors=True)


def separate_logs(application: Any, worker: str) -> None:
    """Under xdist each worker's app logs to `<log dir>/<worker>/` (boot lines stay in the shared dir)."""
    loggers = getattr(application, "loggers", None)
    for logger in loggers.all() if loggers is not None else []:
        for handler in logger.handlers:
            path, reopen = getattr(handler, "path", None), getattr(handler, "reopen", None)
            if isinstance(path, Path) and callable(reopen) and path.parent.name != worker:
                handler.path = path.parent / worker / path.name
                reopen()


def pair_messengers(app: Any, agent: Any) -> None:
    """App and agent in one process (egg-mock's single mode): each message reaches the side it names."""
    targets = {"app": (app,), "random": (app,), "pid": (app,), "agent": (agent,), "all": (app, agent)}

    def transport(message: dict[str, Any]) -> None:
        for target in targets.get(message["to"], ()):
            target.messenger.emit(message["action"], message["data"])

    app.messenger.attach(transport)
    agent.messenger.attach(transport)


class AppFactory:
    """Boots each (base_dir, framework) once per session, its agent first, as one process plays the cluster.

    `app.agent` is the in-process agent; `close()` runs `before_close` of every app, then of its agent.
    """

    def __init__(self, rootdir: Path, loop: LoopThread) -> None:
        self.rootdir = rootdir
        self.loop = loop
        self._apps: dict[tuple[Path, str | None], Any] = {}

    def __call__(self, base_dir: str | Path | None = None, framework: str | None = None) -> Any:
        base = self.resolve(base_dir)
        key = (base, framework)
        if key not in self._apps:
            self._apps[key] = self._boot(base, framework)
        return self._apps[key]

    def resolve(self, base_dir: str | Path | None) -> Path:
        base = (self.rootdir / (base_dir or ".")).resolve()
        if not is_app_dir(base):
            where = "pass base_dir=" if base_dir is None else f"`{base}` has no app/router.py; pass"
            pytest.fail(f"{where} an app directory (e.g. `tests/fixtures/apps/<name>`) to app_factory")
        return base

    def _boot(self, base: Path, framework: str | None) -> Any:
        from eggbin.web.env import resolve_env
        from eggbin.web.framework import create_app

        if xdist_worker() is None:
            clean_logs(base)
        env = resolve_env(base)
        agent = create_app("agent", base, env, framework)
        application: Any = create_app("app", base, env, framework)
        pair_messengers(application, agent)
        self.loop.run(agent.boot())
        self.loop.run(application.boot())
        application.agent = agent
        for booted in (agent, application):
            self.loop.run(booted.server_did_ready())
        worker = xdist_worker()
        if worker is not None:
            for booted in (agent, application):
                separate_logs(booted, worker)
        return application

    def close(self) -> None:
        for application in reversed(list(self._apps.values())):
            self.loop.run(application.close())
            self.loop.run(application.agent.close())
        self._apps.clear()
