"""`pip install .` and `pip install -e .` of every generated project in a fresh venv.

The venv sees this checkout's environment (eggbin and its dependencies, so pip finds the project's
dependencies installed) through a `.pth` file, and pip builds each project with its own backend in an
isolated build env, offline, from a directory holding the wheels of hatchling and `editables` (its
editable builds need it), fetched once per module.
A full install with every dependency from a wheel of eggbin is the container test's job
(`tests/e2e/test_container.py` runs the Dockerfile's `pip install .`).
"""

from __future__ import annotations

import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from eggbin.scaffold import ScaffoldRequest, scaffold

pytestmark = pytest.mark.slow


def run(argv: list[str | Path], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{argv}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str | Path]]:
    """A fresh venv that sees this checkout's packages, and the offline `pip install` into it."""
    work = tmp_path_factory.mktemp("install")
    backend = work / "backend"
    cache = tmp_path_factory.getbasetemp().parent / "pip-cache"
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--cache-dir",
            cache,
            "--dest",
            backend,
            "hatchling>=1.25",
            "editables~=0.3",
        ]
    )
    run([sys.executable, "-m", "venv", "--without-pip", work / "venv"])
    python = work / "venv" / "bin" / "python"
    ours = sysconfig.get_path("purelib")
    Path(site_packages(python), "checkout.pth").write_text(f"import site; site.addsitedir({ours!r})\n")
    pip: list[str | Path] = [sys.executable, "-m", "pip", "--python", python, "install", "--no-index"]
    return python, [*pip, "--find-links", backend]


def site_packages(python: Path) -> Path:
    return Path(run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]).stdout.strip())


def imported_from(python: Path, package: str, cwd: Path) -> Path:
    return Path(run([python, "-c", f"import {package}; print({package}.__file__)"], cwd=cwd).stdout.strip())


@pytest.mark.parametrize("kind", ["simple", "plugin", "framework"])
def test_pip_install_and_editable_install_work(
    kind: str, venv: tuple[Path, list[str | Path]], tmp_path: Path
) -> None:
    python, pip = venv
    name = f"egg-{kind}-demo"
    project = scaffold(ScaffoldRequest(target=tmp_path / name, type=kind, author="Ada")).path
    site = site_packages(python)
    package = name.replace("-", "_")
    for editable in ([], ["-e"]):
        run([*pip, *editable, "."], cwd=project)
        shown = run([python, "-m", "pip", "show", "-f", name]).stdout
        assert "Requires: eggbin" in shown
        if kind == "simple":
            # an app runs from its directory: metadata and dependencies only, no top-level app/config
            assert not (site / "app").exists()
            assert not (site / "config").exists()
        elif editable:
            assert imported_from(python, package, tmp_path) == project / package / "__init__.py"
        else:
            assert imported_from(python, package, tmp_path) == site / package / "__init__.py"
            assert (site / package / "config" / "default.py").is_file()  # no __init__.py there: shipped
    # the `dev` group (egg's devDependencies) is valid and names eggbin's toolchain, already here
    assert "Requirement already satisfied: eggbin[dev]" in run([*pip, "--group", "dev"], cwd=project).stdout
