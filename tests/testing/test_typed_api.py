"""A user's app typed with eggbin's public API passes `mypy --strict`, and mypy catches what is wrong.

`tests/fixtures/apps/typed_app` uses controllers, a service, a middleware with `Next`, `Boot` subclasses for
app and agent, a decorated controller with an injected singleton, and tests on the typed fixtures.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.support import FIXTURE_APPS, REPO

# mypy's cache outlives the test (as `.mypy_cache` does), one per checkout: a second run takes seconds
CHECKOUT = hashlib.sha1(__file__.encode()).hexdigest()[:12]
CACHE = Path(tempfile.gettempdir()) / f"eggbin-typed-app-mypy-{CHECKOUT}"

SOURCES = ["app", "config", "tests", "app.py", "agent.py"]
WRONG_TESTS = """
from eggbin.testing import HttpClient, Mock


def test_wrong(http: HttpClient, mock: Mock) -> None:
    assert http.get("/").status == 200
    mock.services("pricing", "total", "free")
"""
WRONG_MIDDLEWARE = """
from collections.abc import Awaitable, Callable

from eggbin import Application, Config, Context, Next


def timing(options: Config, app: Application) -> Callable[[Context, Next], Awaitable[None]]:
    async def middleware(ctx: Context, next: Next) -> None:
        await next(ctx)
        ctx.status = "fast"

    return middleware
"""
WRONG_BOOT = """
from eggbin import Agent, Boot


class AgentBoot(Boot[Agent]):
    def did_load(self) -> None:
        self.app.router.get("/", print)
"""


@pytest.fixture
def typed_app(tmp_path: Path) -> Path:
    base = tmp_path / "typed_app"
    shutil.copytree(FIXTURE_APPS / "typed_app", base, ignore=shutil.ignore_patterns("__pycache__"))
    return base


def mypy(base: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "mypy", "--strict", "--explicit-package-bases", "--no-color-output"]
    command += ["--no-error-summary", "--cache-dir", str(cache), *SOURCES]
    env = {key: value for key, value in os.environ.items() if not key.startswith("MYPY")}
    return subprocess.run(command, cwd=base, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.slow  # a cold mypy run over eggbin, starlette, httpx and pydantic: 10-40 s
def test_mypy_strict_passes_on_a_typed_app_and_fails_on_a_wrong_one(typed_app: Path) -> None:
    pytest.importorskip("mypy")
    done = mypy(typed_app, CACHE)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")

    (typed_app / "tests" / "test_wrong.py").write_text(WRONG_TESTS)
    (typed_app / "app" / "middleware" / "timing.py").write_text(WRONG_MIDDLEWARE)
    (typed_app / "agent.py").write_text(WRONG_BOOT)
    done = mypy(typed_app, CACHE)
    assert done.returncode == 1, done.stdout + done.stderr
    errors = {line for line in done.stdout.splitlines() if ": error: " in line}
    assert errors == {
        'agent.py:7: error: "Agent" has no attribute "router"  [attr-defined]',
        "app/middleware/timing.py:9: error: Too many arguments  [call-arg]",
        'app/middleware/timing.py:10: error: Incompatible types in assignment (expression has type "str", '
        'variable has type "int")  [assignment]',
        'tests/test_wrong.py:6: error: "Response" has no attribute "status"  [attr-defined]',
        'tests/test_wrong.py:7: error: "Mock" has no attribute "services"; maybe "service"?  [attr-defined]',
    }


@pytest.mark.slow
def test_the_typed_apps_own_tests_pass(typed_app: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "EGG_SERVER_ENV")}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    done = subprocess.run(command, cwd=typed_app, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "5 passed" in done.stdout


def test_the_readmes_typed_snippets_are_the_typed_app() -> None:
    readme = (REPO / "README.md").read_text()
    start = readme.index("**Types**:")
    section = readme[start : readme.index("**Built in**", start)]
    snippets = re.findall(r"```python\n# (\S+)\n(.*?)```", section, re.DOTALL)
    assert [path for path, _ in snippets] == ["app/middleware/timing.py", "app.py", "tests/test_typed.py"]
    for path, snippet in snippets:
        assert snippet in (FIXTURE_APPS / "typed_app" / path).read_text(), f"README's `{path}` drifted"
