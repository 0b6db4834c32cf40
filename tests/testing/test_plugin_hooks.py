"""The plugin's hooks: the env and its header line, async tests, the per-test timeout, activation."""

from __future__ import annotations

import bdb
import sys
import time

import pytest

from eggbin.testing.timeout import debugger_attached

ENV_CHECK = """
import os

def test_env_was_set_before_conftest():
    import conftest
    assert conftest.ENV_AT_IMPORT == os.environ["EGG_SERVER_ENV"]
"""


def _with_env_conftest(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("import os\nENV_AT_IMPORT = os.environ.get('EGG_SERVER_ENV')\n")
    (pytester.path / "tests" / "test_env.py").write_text(ENV_CHECK)


def test_unittest_env_is_set_before_conftest_and_shown(project: pytest.Pytester) -> None:
    _with_env_conftest(project)
    result = project.runpytest_subprocess("-p", "no:cacheprovider", "-rA", timeout=120)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["eggbin: app, EGG_SERVER_ENV=unittest (from eggbin pytest plugin)"])


def test_an_env_from_the_environment_wins_and_says_so(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    _with_env_conftest(project)
    monkeypatch.setenv("EGG_SERVER_ENV", "staging")
    result = project.runpytest_subprocess("-p", "no:cacheprovider", timeout=120)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["eggbin: app, EGG_SERVER_ENV=staging (from environment)"])


def test_the_plugin_stays_out_of_projects_that_are_not_eggbin(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        "import os\n\nasync def test_async():\n    pass\n\n"
        "def test_no_env():\n    assert 'EGG_SERVER_ENV' not in os.environ\n"
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:anyio", timeout=120)
    result.assert_outcomes(passed=1, failed=1)  # the async test is left to pytest, which refuses it
    result.stdout.fnmatch_lines(["*async def functions are not natively supported*"])
    assert "eggbin:" not in result.stdout.str()


LIGHT_RUN = """
import sys

def test_a_test_without_fixtures_pays_for_none():
    heavy = {"eggbin.testing.apps", "eggbin.testing.loop", "eggbin.web.application", "httpx", "starlette"}
    assert heavy.isdisjoint(sys.modules)
"""


def test_a_run_that_uses_no_fixture_imports_no_client_and_no_app(project: pytest.Pytester) -> None:
    # the plugin loads in every pytest run: httpx, anyio's portal and the runtime come with the fixtures
    (project.path / "tests" / "test_light.py").write_text(LIGHT_RUN)
    result = project.runpytest_subprocess("-p", "no:cacheprovider", timeout=120)
    result.assert_outcomes(passed=1)


TIMEOUTS = """
import asyncio
import time

import pytest


@pytest.mark.timeout(120)
def test_the_app_boots_first_under_its_own_timeout(http):
    # the session's app boots during this test's setup: on a loaded machine that alone may take
    # longer than the 1 s the hanging tests below are given
    assert http.get("/").status_code == 200


def test_sync_request_hangs(http):
    http.get("/slow?s=60")


async def test_async_hangs():
    await asyncio.sleep(60)


def test_sleep_hangs():
    time.sleep(60)


def test_the_session_goes_on(http):
    assert http.get("/").text == "hi, egg"
"""


@pytest.mark.parametrize(
    ("plugins", "message"),
    [(("-p", "no:timeout"), "took longer than 1 s"), ((), "Timeout (>1.0s) from pytest-timeout")],
    ids=["built-in", "pytest-timeout"],
)
def test_timeout_fails_the_hanging_test_and_the_run_goes_on(
    project: pytest.Pytester, plugins: tuple[str, ...], message: str
) -> None:
    (project.path / "tests" / "test_timeouts.py").write_text(TIMEOUTS)
    started = time.monotonic()
    args = ("-p", "no:cacheprovider", *plugins, "--eggbin-timeout", "1")
    result = project.runpytest_subprocess(*args, timeout=120)
    assert time.monotonic() - started < 60
    result.assert_outcomes(failed=3, passed=2)
    assert result.stdout.str().count(message) >= 3, result.stdout.str()


MARKED = """
import time

import pytest


@pytest.mark.timeout(0.5)
def test_marked_shorter():
    time.sleep(30)


@pytest.mark.timeout(timeout=0)
def test_marked_off():
    time.sleep(1.5)
"""


@pytest.mark.parametrize("plugins", [("-p", "no:timeout"), ()], ids=["built-in", "pytest-timeout"])
def test_the_timeout_mark_wins_over_the_run_s_timeout(
    project: pytest.Pytester, plugins: tuple[str, ...]
) -> None:
    (project.path / "tests" / "test_marked.py").write_text(MARKED)
    result = project.runpytest_subprocess(
        "-p", "no:cacheprovider", *plugins, "--eggbin-timeout", "1", timeout=120
    )
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(["*test_marked_shorter*"])


def test_pytest_timeout_s_own_setting_wins_over_eggbin_s_default(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project.path / "tests" / "test_quick.py").write_text(
        "import time\n\ndef test_slow():\n    time.sleep(30)\n"
    )
    monkeypatch.setenv("PYTEST_TIMEOUT", "1")
    result = project.runpytest_subprocess("-p", "no:cacheprovider", timeout=120)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["timeout: 1.0s", "*Timeout (>1.0s) from pytest-timeout*"])


def test_timeout_zero_turns_it_off(project: pytest.Pytester) -> None:
    (project.path / "tests" / "test_quick.py").write_text(
        "import time\n\ndef test_a_bit_slow():\n    time.sleep(1.2)\n"
    )
    result = project.runpytest_subprocess("-p", "no:cacheprovider", "--eggbin-timeout", "0", timeout=120)
    result.assert_outcomes(passed=1)


def test_a_debugger_turns_the_timeout_off() -> None:
    assert not debugger_attached()
    previous = sys.gettrace()
    debugger = bdb.Bdb()
    debugger.reset()
    sys.settrace(debugger.trace_dispatch)
    try:
        attached = debugger_attached()
    finally:
        sys.settrace(previous)
    assert attached
