"""`eggbin test` and `eggbin cov`: pytest (and coverage) in the `unittest` env (`eggbin.cli.actions`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from eggbin.cli.options import Base

Files = Annotated[list[str] | None, typer.Argument(help="Test files or directories (default: tests/).")]
Keyword = Annotated[str | None, typer.Option("-k", help="Only tests matching this pytest expression.")]
Bail = Annotated[bool, typer.Option("--bail", "-x", help="Stop at the first failure.")]
Timeout = Annotated[
    float | None,
    typer.Option(
        "--timeout", help="Per-test timeout in seconds; 0 turns it off (default 60, off under a debugger)."
    ),
]
Changed = Annotated[
    bool, typer.Option("--changed", help="Only test files changed in git vs HEAD, untracked included.")
]
Parallel = Annotated[int | None, typer.Option("--parallel", "-n", help="Run in N processes (pytest-xdist).")]
FailUnder = Annotated[
    float | None,
    typer.Option(
        "--fail-under", help="Exit 1 when total coverage is below N % (default: the project's fail_under)."
    ),
]
Exclude = Annotated[
    list[str] | None,
    typer.Option(
        "--exclude",
        help="Leave files matching GLOB out of the report (repeatable). No short flag: -x is --bail.",
    ),
]
Report = Annotated[
    str,
    typer.Option("--report", help="Reports to write, comma-separated: term, html, xml, lcov, json."),
]

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

      eggbin test --changed -n 2
    """
    from eggbin.cli.parse_cache import invoke

    flags = {"keyword": keyword, "bail": bail, "timeout": timeout, "changed": changed, "parallel": parallel}
    raise typer.Exit(invoke("eggbin test", base=base, files=files, extra_args=ctx.args, **flags))


def cov(
    ctx: typer.Context,
    files: Files = None,
    keyword: Keyword = None,
    bail: Bail = False,
    timeout: Timeout = None,
    changed: Changed = False,
    parallel: Parallel = None,
    base: Base = Path("."),
    fail_under: FailUnder = None,
    exclude: Exclude = None,
    report: Report = "term,html,xml,lcov",
) -> None:
    """Run `eggbin test` under coverage, measuring master, agent and workers too; reports in coverage/.

    Examples:

      eggbin cov

      eggbin cov --fail-under 90 --exclude 'app/legacy/*'

      eggbin cov --report term,json -- -q
    """
    from eggbin.cli.parse_cache import invoke

    flags = {"keyword": keyword, "bail": bail, "timeout": timeout, "changed": changed, "parallel": parallel}
    coverage = {"fail_under": fail_under, "exclude": exclude, "report": report}
    raise typer.Exit(invoke("eggbin cov", base=base, files=files, extra_args=ctx.args, **flags, **coverage))
