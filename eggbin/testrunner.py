"""`eggbin test`: pytest, in-process, in the unittest env, with the app's tests and none of its fixtures."""

from __future__ import annotations

import importlib.util
import os
import subprocess
from pathlib import Path
from typing import NamedTuple

from eggbin import console
from eggbin.errors import UsageError

NO_TESTS_COLLECTED = 5
TEST_DIR = "tests"


class TestOptions(NamedTuple):
    """What `eggbin test` was asked to run (immutable).

    A NamedTuple, not a frozen dataclass: a dataclass compiles its methods when its module is imported,
    which cost every `eggbin test` ~5.7 M instructions (a NamedTuple ~1.2 M).
    """

    base_dir: Path
    files: tuple[str, ...] = ()
    keyword: str | None = None
    bail: bool = False
    timeout: float | None = None
    changed: bool = False
    parallel: int | None = None
    pytest_args: tuple[str, ...] = ()


TestOptions.__test__ = False  # type: ignore[attr-defined]  # not a pytest test class


def pytest_args(options: TestOptions, files: list[str]) -> list[str]:
    """The pytest command line for `options`, running `files` (default: tests/)."""
    args = files or ([TEST_DIR] if (options.base_dir / TEST_DIR).is_dir() else [])
    args = [*args, "--ignore-glob=*/fixtures/*", *own_root(options), *import_mode(options)]
    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):  # the pytest11 entry point is not loaded then
        args += ["-p", "eggbin.testing.plugin"]
    if options.keyword:
        args += ["-k", options.keyword]
    if options.bail:
        args.append("-x")
    if options.timeout is not None:
        args += ["--eggbin-timeout", f"{options.timeout:g}"]
    if options.parallel is not None:
        args += parallel_args(options.parallel)
    return [*args, *options.pytest_args]


PYTEST_CONFIGS = {
    "pytest.ini": "",
    ".pytest.ini": "",
    "pyproject.toml": "[tool.pytest.ini_options]",
    "tox.ini": "[pytest]",
    "setup.cfg": "[tool:pytest]",
}


def own_root(options: TestOptions) -> list[str]:
    """The app is pytest's root: its own config, or none at all, never a parent directory's.

    An app inside a repository whose root has pytest settings (an example app, a monorepo service)
    would otherwise get that root's config, conftest files and rootdir.
    """
    base = options.base_dir
    if any(arg in ("-c", "--config-file") or arg.startswith("--config-file=") for arg in options.pytest_args):
        return []
    args = [f"--rootdir={base}", f"--confcutdir={base}"]
    for name, section in PYTEST_CONFIGS.items():
        file = base / name
        if file.is_file() and section in file.read_text(encoding="utf-8", errors="replace"):
            return args
    return [*args, "-c", str(base / "pyproject.toml" if (base / "pyproject.toml").is_file() else os.devnull)]


def import_mode(options: TestOptions) -> list[str]:
    """pytest's `importlib` mode, unless the app chose one: test files of one name in several directories
    (`tests/controller/test_user.py`, `tests/service/test_user.py`, as egg's tests are laid out) work."""
    chosen = any(arg.startswith("--import-mode") for arg in options.pytest_args)
    configs = [options.base_dir / name for name in PYTEST_CONFIGS]
    chosen = chosen or any(f.is_file() and "--import-mode" in f.read_text(errors="replace") for f in configs)
    return [] if chosen else ["--import-mode=importlib"]


def parallel_args(workers: int) -> list[str]:
    if workers < 1:
        raise UsageError(f"-n/--parallel needs at least 1 process, got `{workers}`")
    if importlib.util.find_spec("xdist") is None:
        raise UsageError(
            "-n/--parallel needs pytest-xdist, which is not installed",
            hint="install it with `pip install pytest-xdist`",
        )
    return ["-n", str(workers)]


def changed_test_files(base: Path) -> list[str]:
    """Test files under tests/ changed vs HEAD (staged or not) or untracked, relative to `base`."""
    if _git(base, "rev-parse", "--is-inside-work-tree") is None:
        raise UsageError(
            f"--changed needs a git repository, and `{base}` is not in one",
            hint="run `git init` or drop --changed",
        )
    has_head = _git(base, "rev-parse", "--verify", "--quiet", "HEAD") is not None
    changed = _git(base, "diff", "--name-only", "--relative", "HEAD") if has_head else _git(base, "ls-files")
    untracked = _git(base, "ls-files", "--others", "--exclude-standard")
    names = sorted({*(changed or "").splitlines(), *(untracked or "").splitlines()})
    return [name for name in names if _is_test_file(name) and (base / name).is_file()]


def _is_test_file(name: str) -> bool:
    parts = Path(name).parts
    file = parts[-1]
    is_test = file.endswith(".py") and (file.startswith("test_") or file.endswith("_test.py"))
    return is_test and parts[0] == TEST_DIR and "fixtures" not in parts


def _git(base: Path, *args: str) -> str | None:
    """The output of `git <args>` in `base`, or None when git says no."""
    try:
        done = subprocess.run(["git", *args], cwd=base, capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        raise UsageError("--changed needs git, which is not on PATH", hint="install git") from exc
    return done.stdout if done.returncode == 0 else None


def check(options: TestOptions) -> None:
    """Refuse bad flags before anything runs."""
    if options.timeout is not None and options.timeout < 0:
        raise UsageError(f"--timeout must be 0 (off) or more seconds, got `{options.timeout:g}`")
    if options.parallel is not None:
        parallel_args(options.parallel)


def prepare(options: TestOptions) -> list[str] | None:
    """Check the options, enter the app dir, set the env; the pytest args, or None when nothing is to run."""
    check(options)
    base = options.base_dir.resolve()
    if not base.is_dir():
        raise UsageError(f"`{base}` does not exist", hint="pass the app directory with --base")
    files = list(options.files)
    if options.changed:
        changed = changed_test_files(base)
        files = [f for f in changed if not files or any(f.startswith(p.rstrip("/")) for p in files)]
        if not files:
            console.info("no changed test files (vs git HEAD, untracked included): nothing to run")
            return None
        console.info(f"changed test files: {' '.join(files)}")
    os.environ["EGG_SERVER_ENV"] = "unittest"
    os.environ["EGG_SERVER_ENV_SOURCE"] = "eggbin test"
    os.chdir(base)
    return pytest_args(options._replace(base_dir=base), files)


def run_pytest(args: list[str]) -> int:
    """pytest's exit code, except that "no tests" is 0 (with a message)."""
    import pytest

    code = int(pytest.main(args))
    if code == NO_TESTS_COLLECTED:
        console.info("no tests found")
        return 0
    return code


def run_tests(options: TestOptions) -> int:
    """Run pytest in the app's directory; pytest's exit code, except that "no tests" is 0."""
    args = prepare(options)
    return 0 if args is None else run_pytest(args)
