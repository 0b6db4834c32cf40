"""`eggbin test` end to end: the real console script on a copy of a fixture app."""

from __future__ import annotations

import shutil
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

import pytest

from eggbin.errors import UsageError
from eggbin.testrunner import parallel_args
from tests.support import BIN, FIXTURE_APPS, kill_tree

PASSING = 'def test_home(http):\n    assert http.get("/").text == "hi, egg"\n'
FAILING = 'def test_home(http):\n    assert http.get("/").text == "bye"\n'


def make_app(root: Path, tests: dict[str, str]) -> Path:
    app = root / "app-under-test"
    shutil.copytree(FIXTURE_APPS / "testing_full", app)
    for name, text in tests.items():
        path = app / "tests" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return app


def eggbin(*args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run the installed `eggbin` in its own session; kill whatever is left if it overruns."""
    popen = subprocess.Popen(
        [str(BIN / "eggbin"), *args],
        cwd=cwd,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        out, err = popen.communicate(timeout=timeout)
    finally:
        kill_tree(popen)
    return subprocess.CompletedProcess(popen.args, popen.returncode, out, err)


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def test_runs_the_apps_tests_in_the_unittest_env(tmp_path: Path) -> None:
    app = make_app(tmp_path, {"test_home.py": PASSING, "fixtures/test_never.py": FAILING})
    done = eggbin("test", cwd=app)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "eggbin: app, EGG_SERVER_ENV=unittest (from eggbin test)" in done.stdout
    assert "1 passed" in done.stdout  # tests/fixtures is never collected


def test_an_app_inside_a_repository_is_its_own_pytest_root(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "pyproject.toml").write_text('[tool.pytest.ini_options]\naddopts = ["--not-an-option"]\n')
    (repo / "conftest.py").write_text("raise RuntimeError('the repository conftest must not load')\n")
    app = make_app(repo / "tests" / "fixtures" / "apps", {"test_home.py": PASSING})
    (app / "pyproject.toml").write_text('[project]\nname = "testing-full"\n')  # no pytest settings of its own
    done = eggbin("test", cwd=app)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"rootdir: {app}" in done.stdout
    assert "1 passed" in done.stdout  # not "no tests found": `fixtures` above the app is no reason to skip


def test_exit_code_is_pytests(tmp_path: Path) -> None:
    app = make_app(tmp_path, {"test_home.py": FAILING})
    done = eggbin("test", "-x", "-k", "home", cwd=app)
    assert done.returncode == 1
    assert "1 failed" in done.stdout


LINGERING = """
import atexit
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


def test_leaves_work_behind():
    atexit.register(Path("atexit.txt").write_text, "ran")
    late = threading.Event()
    threading.Thread(target=lambda: late.wait(0.3) or Path("thread.txt").write_text("joined")).start()
    ThreadPoolExecutor(1).submit(lambda: late.wait(0.3) or Path("executor.txt").write_text("done"))
"""


@pytest.mark.parametrize("outcome", ["passed", "failed"])
def test_the_exit_keeps_what_the_interpreter_does_at_exit(tmp_path: Path, outcome: str) -> None:
    """The quick exit after the tests (no teardown of what they loaded) still joins non-daemon threads and
    an executor's, runs atexit handlers, flushes stdout into a pipe and keeps pytest's exit code."""
    failing = "" if outcome == "passed" else "\n    assert False\n"
    app = make_app(tmp_path, {"test_lingering.py": LINGERING + failing})
    done = eggbin("test", cwd=app)
    assert done.returncode == (0 if outcome == "passed" else 1), done.stdout + done.stderr
    assert f"1 {outcome}" in done.stdout
    assert (app / "thread.txt").read_text() == "joined"
    assert (app / "executor.txt").read_text() == "done"
    assert (app / "atexit.txt").read_text() == "ran"


def test_no_tests_is_a_message_and_exit_0(tmp_path: Path) -> None:
    app = make_app(tmp_path, {})
    done = eggbin("test", cwd=app)
    assert done.returncode == 0
    assert "no tests found" in done.stderr


def test_arguments_after_double_dash_go_to_pytest(tmp_path: Path) -> None:
    app = make_app(tmp_path, {"test_home.py": PASSING})
    done = eggbin("test", "--", "-q", "--collect-only", cwd=app)
    assert done.returncode == 0
    assert "tests/test_home.py::test_home" in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--timeout", "-1"), "error: --timeout must be 0 (off) or more seconds, got `-1`"),
        (("-n", "0"), "error: -n/--parallel needs at least 1 process, got `0`"),
        (("--base", "missing"), "does not exist; pass the app directory with --base"),
        (("--changed",), "error: --changed needs a git repository, and `"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    app = make_app(tmp_path, {"test_home.py": PASSING})
    done = eggbin("test", *args, cwd=app)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_parallel_without_xdist_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "xdist", None)  # find_spec then reports it missing
    with pytest.raises(UsageError) as raised:
        parallel_args(2)
    assert str(raised.value) == (
        "-n/--parallel needs pytest-xdist, which is not installed; install it with `pip install pytest-xdist`"
    )
    assert raised.value.exit_code == 2


def test_changed_runs_only_changed_and_untracked_test_files(tmp_path: Path) -> None:
    app = make_app(tmp_path, {"test_home.py": PASSING, "test_other.py": PASSING.replace("home", "other")})
    git(app, "init", "-q")
    git(app, "add", ".")
    git(app, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init")
    done = eggbin("test", "--changed", cwd=app)
    assert done.returncode == 0
    assert "no changed test files" in done.stderr
    (app / "tests" / "test_other.py").write_text(PASSING.replace("home", "edited"))
    (app / "tests" / "test_new.py").write_text(PASSING.replace("home", "new"))
    done = eggbin("test", "--changed", "--", "-v", cwd=app)
    assert done.returncode == 0, done.stdout
    assert "changed test files: tests/test_new.py tests/test_other.py" in done.stderr
    assert "test_edited PASSED" in done.stdout
    assert "test_new PASSED" in done.stdout
    assert "test_home" not in done.stdout


def test_timeout_flag_reaches_the_plugin(tmp_path: Path) -> None:
    slow = 'def test_slow(http):\n    http.get("/slow?s=60")\n'
    app = make_app(tmp_path, {"test_slow.py": slow})
    done = eggbin("test", "--timeout", "1", cwd=app)
    assert done.returncode == 1
    # pytest-timeout, when installed, times the test with eggbin's value; else the built-in watchdog does
    builtin = "took longer than 1 s"
    timed_by = "Timeout (>1.0s) from pytest-timeout" if find_spec("pytest_timeout") else builtin
    assert timed_by in done.stdout
