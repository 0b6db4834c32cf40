"""`-n 2` with in-process apps and real clusters; plugin projects booting fixture apps with `app_factory`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.cli.test_test_command import eggbin, make_app
from tests.support import FIXTURE_APPS

MANY = """
import os
import pytest


@pytest.mark.parametrize("n", range(16))
def test_app(http, mock, n):
    mock.service("user", "find", {"id": str(n), "name": "mocked"})
    assert http.get(f"/user/{n}").json() == {"id": str(n), "name": "mocked"}


@pytest.mark.parametrize("n", range(4))
def test_cluster(cluster, n):
    running = cluster()
    assert running.http.get(f"/user/{n}").json() == {"id": str(n), "name": "real"}


def test_each_worker_logs_to_its_own_dir(http, app, mock):
    mock.log()
    http.get("/log")
    worker = os.environ["PYTEST_XDIST_WORKER"]
    files = [h.path for h in app.loggers.logger.handlers if hasattr(h, "path")]
    assert files and all(path.parent.name == worker for path in files)
    assert "visited /log" in files[0].read_text()
"""


@pytest.mark.slow
def test_parallel_run_with_apps_and_clusters_passes(tmp_path: Path) -> None:
    app = make_app(tmp_path, {"test_many.py": MANY})
    done = eggbin("test", "-n", "2", cwd=app, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "21 passed" in done.stdout


PLUGIN_TESTS = """
import pytest

EXAMPLE = "tests/fixtures/apps/example"


@pytest.fixture(scope="session")
def app(app_factory):
    return app_factory(base_dir=EXAMPLE)


def test_factory_caches_per_base_dir(app, app_factory):
    assert app_factory(EXAMPLE) is app


def test_http_reaches_the_fixture_app(http):
    assert http.get("/").text == "hi, egg"


def test_bad_base_dir_says_what_to_pass(app_factory):
    with pytest.raises(pytest.fail.Exception, match="is not an eggbin app"):
        app_factory("tests/fixtures/apps/missing")
"""


def test_a_plugin_project_boots_its_fixture_app(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml('[project]\nname = "egg-demo-plugin"\n\n[tool.egg]\ntype = "plugin"\n')
    shutil.copytree(FIXTURE_APPS / "testing_full", pytester.path / "tests" / "fixtures" / "apps" / "example")
    (pytester.path / "tests" / "test_plugin.py").write_text(PLUGIN_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "tests/test_plugin.py", timeout=120)
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["eggbin: plugin, EGG_SERVER_ENV=unittest*"])


def test_app_in_a_plugin_project_explains_app_factory(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml('[project]\nname = "egg-demo-plugin"\n\n[tool.egg]\ntype = "plugin"\n')
    pytester.makepyfile("def test_needs_app(app):\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=120)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*is not an app (no app/router.py, config/default.py, ...)*app_factory*"])
