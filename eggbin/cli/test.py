"""`eggbin test` and `eggbin cov`: pytest (and coverage) in the `unittest` env."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from eggbin.cli.options import Base

Files = Annotated[list[str] | None, typer.Argument(help="Test files or directories (default: tests/).")]
Keyword = Annotated[str | None, typer.Option("-k", help="Only tests matching this pytest expression.")]
Bail = Annotated[bool, typer.Option("--bail", "-x", help="Stop at the first failure.")]
Timeout = Annotated[float | None, typer.Option("--timeout", help="Per-test timeout in seconds.")]
Changed = Annotated[bool, typer.Option("--changed", help="Only test files changed in git.")]
Parallel = Annotated[int | None, typer.Option("--parallel", "-n", help="Run in N processes.")]

CONTEXT = {"allow_extra_args": True, "ignore_unknown_options": False}


def test(
    ctx: typer.Context,
    files: Files = None,
    keyword: Keyword = None,
    bail: Bail = False,
    timeout: Timeout = None,
    changed: Changed = False,
    parallel: Parallel = None,
    base: Base = Path("."),
) -> None:
    """Run the app's tests with pytest in the unittest env; arguments after `--` go to pytest.

    Examples:

      eggbin test

      eggbin test tests/test_home.py -k index -- -vv
    """
    from eggbin.testrunner import TestOptions, run_tests

    options = TestOptions(
        base_dir=base,
        files=tuple(files or ()),
        keyword=keyword,
        bail=bail,
        timeout=timeout,
        changed=changed,
        parallel=parallel,
        pytest_args=tuple(ctx.args),
    )
    raise typer.Exit(run_tests(options))


def cov(
    ctx: typer.Context,
    files: Files = None,
    keyword: Keyword = None,
    bail: Bail = False,
    timeout: Timeout = None,
    changed: Changed = False,
    parallel: Parallel = None,
    base: Base = Path("."),
    fail_under: Annotated[float | None, typer.Option(help="Fail when total coverage is below N %.")] = None,
) -> None:
    """Run `eggbin test` under coverage, measuring master, agent and workers too.

    Examples:

      eggbin cov

      eggbin cov --fail-under 90
    """
    from eggbin.errors import NotAvailableYet

    raise NotAvailableYet("eggbin cov")
