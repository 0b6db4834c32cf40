"""`eggbin test`: pytest, in-process, in the unittest env, with the app's tests and none of its fixtures."""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

from eggbin import console
from eggbin.errors import NotAvailableYet, UsageError

NO_TESTS_COLLECTED = 5


@dataclass(frozen=True)
class TestOptions:
    __test__ = False  # not a pytest test class

    base_dir: Path
    files: tuple[str, ...] = ()
    keyword: str | None = None
    bail: bool = False
    timeout: float | None = None
    changed: bool = False
    parallel: int | None = None
    pytest_args: tuple[str, ...] = ()


def pytest_args(options: TestOptions) -> list[str]:
    args = list(options.files) or (["tests"] if (options.base_dir / "tests").is_dir() else [])
    args.append("--ignore-glob=**/fixtures/*")
    if options.keyword:
        args += ["-k", options.keyword]
    if options.bail:
        args.append("-x")
    if options.parallel:
        if importlib.util.find_spec("xdist") is None:
            raise UsageError("-n needs pytest-xdist", hint="pip install pytest-xdist")
        args += ["-n", str(options.parallel)]
    return [*args, *options.pytest_args]


def run_tests(options: TestOptions) -> int:
    """Run pytest in the app's directory; pytest's exit code, except that "no tests" is 0."""
    if options.timeout is not None:
        raise NotAvailableYet("eggbin test --timeout")
    if options.changed:
        raise NotAvailableYet("eggbin test --changed")
    base = options.base_dir.resolve()
    if not base.is_dir():
        raise UsageError(f"`{base}` does not exist", hint="pass the app directory with --base")
    import pytest

    os.environ["EGG_SERVER_ENV"] = "unittest"
    os.environ["EGG_SERVER_ENV_SOURCE"] = "eggbin test"
    os.chdir(base)
    code = int(pytest.main(pytest_args(options)))
    if code == NO_TESTS_COLLECTED:
        console.info("no tests found")
        return 0
    return code
