"""Booting apps for tests: the project's own app or a fixture app, on the session loop, closed at the end."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest

from eggbin.testing.loop import LoopThread
from eggbin.web.appinfo import is_app_dir

if TYPE_CHECKING:
    from eggbin.web.application import Agent, Application, EggCore
    from eggbin.web.env import ServerEnv

XDIST_WORKER = "PYTEST_XDIST_WORKER"


def xdist_worker() -> str | None:
    """`gw0`, `gw1`, … inside a pytest-xdist worker, None otherwise."""
    return os.environ.get(XDIST_WORKER)


def clean_logs(base_dir: Path) -> None:
    """egg-mock's rule: a test session starts without the logs of the previous one."""
    shutil.rmtree(base_dir / "logs", ignore_errors=True)


def separate_logs(application: EggCore, worker: str) -> None:
    """Under xdist each worker's app logs to `<log dir>/<worker>/` (boot lines stay in the shared dir)."""
    loggers = getattr(application, "loggers", None)
    for logger in loggers.all() if loggers is not None else []:
        for handler in logger.handlers:
            path, reopen = getattr(handler, "path", None), getattr(handler, "reopen", None)
            if isinstance(path, Path) and callable(reopen) and path.parent.name != worker:
                handler.path = path.parent / worker / path.name
                reopen()


def pair_messengers(app: EggCore, agent: EggCore) -> None:
    """App and agent in one process (egg-mock's single mode): each message reaches the side it names."""
    targets = {"app": (app,), "random": (app,), "pid": (app,), "agent": (agent,), "all": (app, agent)}

    def transport(message: dict[str, Any]) -> None:
        for target in targets.get(message["to"], ()):
            target.messenger.emit(message["action"], message["data"])

    app.messenger.attach(transport)
    agent.messenger.attach(transport)


def resolve_test_base(rootdir: Path, base_dir: str | Path | None, who: str) -> Path:
    """An app directory: `base_dir` relative to the project, else to `tests/fixtures/` (egg-mock's rule)."""
    candidates = [(rootdir / (base_dir or ".")).resolve()]
    if base_dir is not None and not Path(base_dir).is_absolute():
        candidates.append((rootdir / "tests" / "fixtures" / base_dir).resolve())
    for base in candidates:
        if is_app_dir(base):
            return base
    where = "pass base_dir=" if base_dir is None else f"`{candidates[0]}` is not an eggbin app; pass"
    pytest.fail(f"{where} an app directory (e.g. `tests/fixtures/apps/<name>`) to {who}")


class AppFactory:
    """Boots each app once per session (egg-mock's `mm.app` cache), its agent first, as one process plays
    the cluster: `app_factory(base_dir=None, framework=None, env=None, cache=True)`.

    `base_dir` is relative to the project or to `tests/fixtures/`; `framework=True` means the project is
    the framework under test; in a plugin project the plugin under test is enabled in the app (egg-mock's
    rule). `env` boots another env than unittest (its logs stay under the app, as egg-mock mocks HOME);
    `cache=False` boots a fresh app. `app.agent` is the in-process agent; `close()` runs `before_close` of
    every app, then of its agent.
    """

    def __init__(self, rootdir: Path, loop: LoopThread) -> None:
        self.rootdir = rootdir
        self.loop = loop
        self._apps: dict[tuple[Path, str | None, str | None], Application] = {}
        self._fresh: list[Application] = []

    def __call__(
        self,
        base_dir: str | Path | None = None,
        framework: str | bool | None = None,
        *,
        env: str | None = None,
        cache: bool = True,
    ) -> Application:
        base = self.resolve(base_dir)
        if framework is True:
            framework = self_package(self.rootdir, "framework")
        key = (base, framework or None, env)
        if not cache:
            self._fresh.append(self._boot(base, framework or None, env))
            return self._fresh[-1]
        if key not in self._apps:
            self._apps[key] = self._boot(base, framework or None, env)
        return self._apps[key]

    def resolve(self, base_dir: str | Path | None) -> Path:
        return resolve_test_base(self.rootdir, base_dir, "app_factory")

    def _boot(self, base: Path, framework: str | None, env_name: str | None) -> Application:
        from eggbin.web.env import ServerEnv, resolve_env

        if xdist_worker() is None:
            clean_logs(base)
        env = ServerEnv(env_name, "app_factory(env=...)") if env_name else resolve_env(base)
        agent, application = self._create(base, env, framework)
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

    def _create(self, base: Path, env: ServerEnv, framework: str | None) -> tuple[Agent, Application]:
        from eggbin.web.appinfo import LOCAL_ENVS
        from eggbin.web.framework import create_app

        keep_home = env.name in LOCAL_ENVS or os.environ.get("EGG_HOME")
        if not keep_home:
            os.environ["EGG_HOME"] = str(base)  # egg-mock mocks HOME as the base dir: logs stay there
        try:
            agent = cast("Agent", create_app("agent", base, env, framework))
            application = cast("Application", create_app("app", base, env, framework))
        finally:
            if not keep_home:
                os.environ.pop("EGG_HOME", None)
        plugin = under_test_plugin(self.rootdir) if framework is None or framework == "eggbin" else None
        if plugin is not None:
            for booted in (agent, application):
                booted.extra_plugins.update(plugin)
        return agent, application

    def close(self) -> None:
        for application in reversed([*self._apps.values(), *self._fresh]):
            self.loop.run(application.close())
            self.loop.run(application.agent.close())
        self._apps.clear()
        self._fresh.clear()


def self_package(rootdir: Path, kind: str) -> str:
    """The import name of the project under test, made importable (egg-mock uses the cwd's package)."""
    from eggbin.testing.project import package_dir

    found = package_dir(rootdir)
    if found is None:
        pytest.fail(f"`{rootdir}` holds no package of its `[project] name`: it is not a {kind} project")
    parent = str(found.parent)
    if importlib.util.find_spec(found.name) is None and parent not in sys.path:
        sys.path.insert(0, parent)
    return found.name


def under_test_plugin(rootdir: Path) -> dict[str, Any] | None:
    """egg-mock enables the plugin a plugin project's tests run in: `{name: {"enable", "package"}}`."""
    from eggbin.testing.project import PLUGIN, package_dir, plugin_name, project_kind

    if project_kind(rootdir) != PLUGIN or package_dir(rootdir) is None:
        return None
    package = self_package(rootdir, "plugin")
    return {plugin_name(rootdir) or package: {"enable": True, "package": package}}
