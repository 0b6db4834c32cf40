"""The `pytest11` plugin. Active when pytest's rootdir is an eggbin app; otherwise it only registers.

Sets `EGG_SERVER_ENV=unittest` before any conftest is imported (shown in the header with its source).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from eggbin.web.appinfo import is_app_dir

_ENV_SOURCE = "EGG_SERVER_ENV_SOURCE"


def pytest_load_initial_conftests(early_config: pytest.Config, parser: Any, args: list[str]) -> None:
    if "EGG_SERVER_ENV" in os.environ:
        os.environ.setdefault(_ENV_SOURCE, "environment")
    else:
        os.environ["EGG_SERVER_ENV"] = "unittest"
        os.environ[_ENV_SOURCE] = "eggbin pytest plugin"


def pytest_report_header(config: pytest.Config) -> str | None:
    if not is_app_dir(config.rootpath):
        return None
    source = os.environ.get(_ENV_SOURCE, "environment")
    return f"eggbin: EGG_SERVER_ENV={os.environ.get('EGG_SERVER_ENV')} (from {source})"


@pytest.fixture(scope="session")
def egg_loop() -> Iterator[Any]:
    """The session's app event loop (a thread)."""
    from eggbin.testing.loop import LoopThread

    loop = LoopThread()
    yield loop
    loop.close()


@pytest.fixture(scope="session")
def app(request: pytest.FixtureRequest, egg_loop: Any) -> Iterator[Any]:
    """The real app of the project under test, booted once per session in the unittest env."""
    from eggbin.web.application import Application
    from eggbin.web.env import resolve_env

    base: Path = request.config.rootpath
    if not is_app_dir(base):
        pytest.fail(f"`{base}` is not an eggbin app (no app/router.py): the `app` fixture needs one")
    application = Application(base, resolve_env(base))
    egg_loop.run(application.boot())
    yield application
    egg_loop.run(application.close())


@pytest.fixture
def http(app: Any, egg_loop: Any) -> Iterator[Any]:
    """An `httpx.Client` bound to the app in-process: `http.get("/").status_code`."""
    import httpx

    from eggbin.testing.loop import LoopTransport

    with httpx.Client(transport=LoopTransport(app, egg_loop), base_url="http://127.0.0.1") as client:
        yield client
