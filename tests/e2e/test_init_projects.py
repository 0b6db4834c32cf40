"""Acceptance of `eggbin init`: every generated project installs, passes `eggbin test` and `eggbin cov`,
and its app (the project itself, or the fixture app of a plugin or framework) serves under `eggbin dev`.

Installing a plugin or framework, the cheapest honest way: a fresh venv created without pip (fast), which
sees this checkout's site-packages (eggbin and its dependencies) through a `.pth` file, then a real
`pip install --no-deps -e .` of the generated project into it. pip builds it with the project's own
backend (hatchling, fetched from PyPI once per session into a shared pip cache), which proves its
pyproject is installable; every command then runs with the venv's interpreter (`python -m eggbin`),
so the package is imported from its editable install and from nowhere else.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import sysconfig
from pathlib import Path

import httpx
import psutil
import pytest

from tests.support import all_gone, descendants, free_port, kill_tree, port_bindable, wait_until

pytestmark = pytest.mark.slow

HOME_PAGES = {
    "simple": "hi, egg",
    "plugin": "hello, egg",
    "framework": '{"greeting":"hi from egg-demo","request_id":',
}


def run(argv: list[str], cwd: Path, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def init(tmp_path: Path, kind: str) -> Path:
    done = run(["eggbin", "init", "x", f"--type={kind}", "--name", "egg-demo", "--yes"], tmp_path)
    assert done.returncode == 0, done.stderr
    return tmp_path / "x"


@pytest.fixture(scope="session")
def pip_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One pip cache for the whole run (xdist workers share the parent of their base temp dirs)."""
    return tmp_path_factory.getbasetemp().parent / "pip-cache"


def venv_with_project(project: Path, tmp_path: Path, pip_cache: Path) -> str:
    """A venv that sees eggbin through a `.pth`, with the project pip-installed editable; its python."""
    venv = tmp_path / "venv"
    done = run([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp_path)
    assert done.returncode == 0, done.stderr
    python = str(venv / "bin" / "python")
    site = run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], tmp_path)
    ours = sysconfig.get_path("purelib")
    # `import site; site.addsitedir(...)` so our own .pth files (eggbin's editable finder) are processed too
    Path(site.stdout.strip(), "eggbin-checkout.pth").write_text(f"import site; site.addsitedir({ours!r})\n")
    pip = [
        sys.executable,
        "-m",
        "pip",
        "--python",
        python,
        "install",
        "--no-deps",
        "--cache-dir",
        str(pip_cache),
    ]
    done = run([*pip, "--disable-pip-version-check", "-e", "."], project)
    assert done.returncode == 0, done.stdout + done.stderr
    return python


def prepare(tmp_path: Path, kind: str, pip_cache: Path) -> tuple[Path, list[str], Path]:
    """The generated project, the `eggbin` command to run in it, and the app directory `eggbin dev` serves."""
    project = init(tmp_path, kind)
    if kind == "simple":
        return project, ["eggbin"], project
    python = venv_with_project(project, tmp_path, pip_cache)
    imported = run([python, "-c", "import egg_demo; print(egg_demo.__file__)"], tmp_path)
    assert imported.stdout.strip() == str(project / "egg_demo" / "__init__.py"), imported.stderr
    return project, [python, "-m", "eggbin"], project / "tests" / "fixtures" / "apps" / "example"


@pytest.mark.parametrize("kind", ["simple", "plugin", "framework"])
def test_generated_project_passes_eggbin_test(tmp_path: Path, kind: str, pip_cache: Path) -> None:
    project, eggbin, _ = prepare(tmp_path, kind, pip_cache)
    done = run([*eggbin, "test"], project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert " passed in " in done.stdout
    assert "failed" not in done.stdout
    assert "EGG_SERVER_ENV=unittest" in done.stdout


@pytest.mark.parametrize("kind", ["simple", "plugin", "framework"])
def test_generated_project_passes_eggbin_cov(tmp_path: Path, kind: str, pip_cache: Path) -> None:
    project, eggbin, _ = prepare(tmp_path, kind, pip_cache)
    done = run([*eggbin, "cov"], project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "TOTAL" in done.stdout
    assert (project / "coverage").is_dir()


@pytest.mark.parametrize("kind", ["simple", "plugin", "framework"])
def test_generated_app_serves_its_home_page_under_eggbin_dev(
    tmp_path: Path, kind: str, pip_cache: Path
) -> None:
    _, eggbin, app_dir = prepare(tmp_path, kind, pip_cache)
    port = free_port()
    log = (tmp_path / "dev.log").open("wb")
    popen = subprocess.Popen(
        [*eggbin, "dev", "--base", str(app_dir), "--port", str(port)],
        cwd=app_dir,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        output = (tmp_path / "dev.log").read_text
        response = wait_until(lambda: home_page(port), timeout=60, what=f"`eggbin dev` on {port}: {output()}")
        assert response.status_code == 200
        assert response.text.startswith(HOME_PAGES[kind])
        tree = [psutil.Process(popen.pid), *descendants(popen.pid)]
        assert len(tree) >= 4, "expected the CLI, a master, an agent and a worker"
        os.kill(popen.pid, signal.SIGINT)
        assert popen.wait(30) == 0, output()
        wait_until(lambda: all_gone(tree), timeout=15, what="every process of the cluster to exit")
        wait_until(lambda: port_bindable(port), timeout=15, what=f"port {port} to be free")
    finally:
        kill_tree(popen)
        log.close()


def home_page(port: int) -> httpx.Response | None:
    try:
        response = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
    except httpx.HTTPError:
        return None
    return response if response.status_code != 502 else None
