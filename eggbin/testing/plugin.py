"""The `pytest11` plugin (egg-mock's role), active when the rootdir is an eggbin app, plugin or framework.

Sets `EGG_SERVER_ENV=unittest` before any conftest is imported (shown in the header with its source),
runs `async def` tests on the session loop without marks, and gives every test a timeout.
Heavy imports (httpx, starlette, the runtime) happen inside fixtures, so a pytest run elsewhere pays nothing.
"""

from __future__ import annotations

import inspect
import os
import sys
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, cast

import pytest

from eggbin.testing.project import project_kind

if TYPE_CHECKING:
    from eggbin.testing.apps import AppFactory
    from eggbin.testing.clients import AsyncHttpClient, HttpClient
    from eggbin.testing.cluster import ClusterFactory
    from eggbin.testing.loop import LoopThread
    from eggbin.testing.mock import Mock
    from eggbin.web.application import Application
    from eggbin.web.context import Context

_ENV_SOURCE = "EGG_SERVER_ENV_SOURCE"
_KIND = pytest.StashKey[str | None]()
ASYNC_MARKS = ("asyncio", "anyio", "trio")
BACKGROUND_WAIT = 60.0  # seconds the `mock` fixture waits for the test's background tasks


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("eggbin")
    group.addoption(
        "--eggbin-timeout",
        type=float,
        default=None,
        metavar="S",
        help="Fail a test that runs longer than S seconds (default 60 in eggbin projects; 0 = off).",
    )
    parser.addini("eggbin_timeout", "Default per-test timeout in seconds for eggbin projects.", default="")
    parser.addini(
        "eggbin_forbid_network",
        "Fail any outgoing HTTP request of the app that no mock.http_client answers (loopback allowed).",
        type="bool",
        default=False,
    )


def pytest_load_initial_conftests(
    early_config: pytest.Config, parser: pytest.Parser, args: list[str]
) -> None:
    kind = project_kind(early_config.rootpath)
    if kind is None:
        return
    if kind == "app" and str(early_config.rootpath) not in sys.path:
        # as `python -m pytest` does: a test may import the app's modules (`from app.biz.x import X`)
        sys.path.insert(0, str(early_config.rootpath))
    if os.environ.get("EGG_SERVER_ENV"):
        os.environ.setdefault(_ENV_SOURCE, "environment")
    else:
        os.environ["EGG_SERVER_ENV"] = "unittest"
        os.environ[_ENV_SOURCE] = "eggbin pytest plugin"


@pytest.hookimpl(tryfirst=True)  # before pytest-timeout's own `pytest_configure` reads its settings
def pytest_configure(config: pytest.Config) -> None:
    kind = config.stash[_KIND] = project_kind(config.rootpath)
    if kind is None:
        return
    from eggbin.testing import timeout

    if timeout.pytest_timeout_active(config):
        timeout.defer_to_pytest_timeout(config, _explicit_timeout(config), _timeout(config))
    else:
        config.addinivalue_line("markers", timeout.MARKER)


def pytest_report_header(config: pytest.Config) -> str | None:
    kind = config.stash.get(_KIND, None)
    if kind is None:
        return None
    source = os.environ.get(_ENV_SOURCE, "environment")
    return f"eggbin: {kind}, EGG_SERVER_ENV={os.environ.get('EGG_SERVER_ENV')} (from {source})"


def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    # under xdist the controller cleans once, before any worker boots an app and starts writing logs
    if config.stash.get(_KIND, None) != "app" or not _xdist_controller(config):
        return  # and nothing is imported: `eggbin.testing.apps` brings httpx and anyio (~0.3 G instructions)
    from eggbin.testing.apps import clean_logs, xdist_worker

    if xdist_worker() is None:
        clean_logs(config.rootpath)


def _xdist_controller(config: pytest.Config) -> bool:
    return bool(getattr(config.option, "numprocesses", None)) and not hasattr(config, "workerinput")


def _explicit_timeout(config: pytest.Config) -> float | None:
    value = config.getoption("eggbin_timeout")
    return None if value is None else float(value)


def _timeout(config: pytest.Config) -> float:
    value = _explicit_timeout(config)
    if value is None and config.getini("eggbin_timeout") != "":
        value = float(config.getini("eggbin_timeout"))
    if value is not None:
        return value
    from eggbin.testing.timeout import DEFAULT_TIMEOUT

    return DEFAULT_TIMEOUT if config.stash.get(_KIND, None) else 0.0


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(
    item: pytest.Item, nextitem: pytest.Item | None
) -> Generator[None, object, object]:
    from eggbin.testing.timeout import Watchdog, marked_timeout, pytest_timeout_active

    seconds = 0.0
    if not pytest_timeout_active(item.config):  # else pytest-timeout times the test
        marked = marked_timeout(item) if item.config.stash.get(_KIND, None) else None
        seconds = _timeout(item.config) if marked is None else marked
    watchdog = Watchdog(seconds)
    watchdog.arm(item.nodeid)
    try:
        return (yield)
    finally:
        watchdog.disarm()


def _runs_on_loop(item: pytest.Item) -> bool:
    function = getattr(item, "obj", None)
    if not inspect.iscoroutinefunction(function) or item.config.stash.get(_KIND, None) is None:
        return False
    return not any(item.get_closest_marker(mark) for mark in ASYNC_MARKS)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _runs_on_loop(item) and "egg_loop" not in item.fixturenames:  # type: ignore[attr-defined]
            item.fixturenames.append("egg_loop")  # type: ignore[attr-defined]


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """`async def` tests run on the loop the app lives on; no mark needed."""
    if not _runs_on_loop(pyfuncitem):
        return None
    names = pyfuncitem._fixtureinfo.argnames
    kwargs = {name: pyfuncitem.funcargs[name] for name in names}
    loop = cast("LoopThread", pyfuncitem.funcargs["egg_loop"])
    loop.run(pyfuncitem.obj(**kwargs))
    return True


def wait_background_tasks(app: Application, loop: LoopThread) -> None:
    """After a test: its background tasks end before the next one starts (egg-mock does the same)."""
    finished = getattr(app, "background_tasks_finished", None)
    if callable(finished):
        loop.run(finished(), BACKGROUND_WAIT)


# fixtures ---------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def egg_loop() -> Iterator[LoopThread]:
    """The session's app event loop (a thread)."""
    from eggbin.testing.loop import LoopThread

    loop = LoopThread()
    yield loop
    loop.close()


@pytest.fixture(scope="session")
def app_factory(request: pytest.FixtureRequest, egg_loop: LoopThread) -> Iterator[AppFactory]:
    """`app_factory("tests/fixtures/apps/x", framework=None, env=None, cache=True)`: boot an app (once)."""
    from eggbin.testing.apps import AppFactory

    factory = AppFactory(request.config.rootpath, egg_loop)
    yield factory
    factory.close()


@pytest.fixture(scope="session")
def app(app_factory: AppFactory) -> Application:
    """The project's app, booted once per session in the unittest env (plugins: override with app_factory)."""
    if project_kind(app_factory.rootdir) != "app":
        pytest.fail(
            f"`{app_factory.rootdir}` is not an app (no app/router.py, config/default.py, ...): "
            "in a plugin or framework, define "
            '`app` in conftest.py as `return app_factory("tests/fixtures/apps/<name>")`'
        )
    return app_factory()


@pytest.fixture
def http(app: Application, egg_loop: LoopThread) -> Iterator[HttpClient]:
    """An `httpx.Client` bound to the app in-process: `http.get("/").status_code`."""
    from eggbin.testing.clients import sync_client

    with sync_client(app, egg_loop) as client:
        yield client
    wait_background_tasks(app, egg_loop)


@pytest.fixture
def ahttp(app: Application, egg_loop: LoopThread) -> Iterator[AsyncHttpClient]:
    """An `httpx.AsyncClient` bound to the app, for `async def` tests: `await ahttp.get("/")`."""
    from eggbin.testing.clients import async_client

    client = async_client(app)
    yield client
    egg_loop.run(client.aclose())
    wait_background_tasks(app, egg_loop)


@pytest.fixture
def ctx(app: Application, egg_loop: LoopThread) -> Context:
    """An anonymous context (GET /, from 127.0.0.1), as `app.create_anonymous_context()` makes it."""
    return app.create_anonymous_context()


@pytest.fixture
def mock(request: pytest.FixtureRequest) -> Iterator[Mock]:
    """Per-test mocks of services, context, requests, outgoing HTTP, env and logs; restored after the test."""
    from eggbin.testing.mock import Mock

    mocks = Mock(lambda: request.getfixturevalue("app"))
    yield mocks
    if "app" in request.fixturenames:  # egg-mock's order: background tasks end, then mocks go
        wait_background_tasks(request.getfixturevalue("app"), request.getfixturevalue("egg_loop"))
    mocks.restore()


@pytest.fixture(scope="session")
def session_mock(request: pytest.FixtureRequest) -> Iterator[Mock]:
    """`mock` for the whole session: what the app does while it boots (an `app.curl` in `before_start`)."""
    from eggbin.testing.mock import Mock

    mocks = Mock(lambda: request.getfixturevalue("app"))
    yield mocks
    mocks.restore()


@pytest.fixture(scope="session", autouse=True)
def _eggbin_forbid_network(request: pytest.FixtureRequest) -> Iterator[None]:
    """`eggbin_forbid_network = true`: no real HTTP request leaves an app under test unless mocked."""
    if request.config.stash.get(_KIND, None) is None or not request.config.getini("eggbin_forbid_network"):
        yield
        return
    from eggbin.testing.mockhttp import HttpClientMock
    from eggbin.testing.patching import Patches

    patches = Patches()
    HttpClientMock(patches).forbid_network()
    yield
    patches.restore()


@pytest.fixture
def cluster(request: pytest.FixtureRequest) -> Iterator[ClusterFactory]:
    """`cluster(base_dir=None, workers=1)`: a real master, agent and workers on a free port, for one test."""
    from eggbin.testing.cluster import ClusterFactory

    factory = ClusterFactory(request.config.rootpath)
    yield factory
    factory.close()
