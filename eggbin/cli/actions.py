"""What each hot command does once its flags are parsed, typer-free: the parse cache calls these too.

`eggbin.cli.{test,dev,scripts}` declare the flags (typer) and pass what typer parsed to the function
of the same name here, through `eggbin.cli.parse_cache.invoke`, which records the call; a later
identical invocation replays it from `eggbin.cli.parse_cache` without importing typer, click or rich.
Each returns the command's exit code.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: importing typing costs the fast path ~5 ms
if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path
    from typing import Any

    from eggbin.testrunner import TestOptions


def test_options(base: Path, files: list[str] | None, extra_args: list[str], **flags: Any) -> TestOptions:
    """Everything after `--` lands in FILES too (click's rule): from the first `-…` on, it is pytest's.

    `flags` are the rest of `TestOptions`' fields: keyword, bail, timeout, changed, parallel.
    """
    from eggbin.testrunner import TestOptions

    args = list(files or ())
    split = next((i for i, arg in enumerate(args) if arg.startswith("-")), len(args))
    pytest_args = (*args[split:], *extra_args)
    return TestOptions(base_dir=base, files=tuple(args[:split]), pytest_args=pytest_args, **flags)


def test(base: Path, files: list[str] | None, extra_args: list[str], **flags: Any) -> int:
    """`eggbin test`."""
    from eggbin.cli import boundary
    from eggbin.testrunner import run_tests
    from eggbin.toolchain import require_toolchain

    require_toolchain("test")
    code = run_tests(test_options(base, files, extra_args, **flags))
    boundary.leave_quickly()
    return code


def cov(
    base: Path,
    files: list[str] | None,
    extra_args: list[str],
    fail_under: float | None,
    exclude: list[str] | None,
    report: str,
    **flags: Any,
) -> int:
    """`eggbin cov`: `eggbin test`'s flags and coverage's."""
    from eggbin.toolchain import require_toolchain

    require_toolchain("cov")
    from eggbin.cli import boundary
    from eggbin.testing.cov import CovOptions, run_cov

    options = CovOptions(
        test=test_options(base, files, extra_args, **flags),
        fail_under=fail_under,
        exclude=tuple(exclude or ()),
        reports=tuple(r.strip() for r in report.split(",") if r.strip()),
    )
    code = run_cov(options)
    boundary.leave_quickly()
    return code


def dev(
    base: Path, port: int | None, workers: int, host: str | None, env: str | None, framework: str | None
) -> int:
    """`eggbin dev`."""
    from eggbin.toolchain import require_toolchain

    require_toolchain("dev")
    from eggbin.devserver import DevOptions, run_dev

    options = DevOptions(base_dir=base, port=port, workers=workers, host=host, env=env, framework=framework)
    return run_dev(options)


def debug(
    base: Path,
    port: int | None,
    workers: int,
    host: str | None,
    env: str | None,
    framework: str | None,
    debug_port: int,
    debug_host: str,
    brk: bool,
) -> int:
    """`eggbin debug`."""
    from eggbin.toolchain import require_toolchain

    require_toolchain("debug")
    from eggbin.devserver import DebugOptions, DevOptions, run_dev

    debugger = DebugOptions(port=debug_port, host=debug_host, brk=brk)
    return run_dev(
        DevOptions(
            base_dir=base, port=port, workers=workers, host=host, env=env, framework=framework, debug=debugger
        )
    )


def start(base: Path, **flags: Any) -> int:
    """`eggscripts start`: its flags are `StartOptions`' fields (`base` is `base_dir`)."""
    from eggbin.cluster.lazy_modules import defer_unused_package_imports

    # before msgspec's first import: this process, or its fork, may become the master (cluster.become)
    defer_unused_package_imports()
    from eggbin.daemon.start import StartOptions
    from eggbin.daemon.start import start as run_start

    return run_start(StartOptions(base_dir=base, **flags))


def stop(base: Path, title: str | None, timeout: float, all: bool) -> int:
    """`eggscripts stop`."""
    from eggbin.daemon.stop import StopOptions
    from eggbin.daemon.stop import stop as run_stop

    return run_stop(StopOptions(base_dir=base, title=title, timeout=timeout, all=all))


def status(base: Path, all: bool, json: bool) -> int:
    """`eggscripts status`."""
    from eggbin.daemon.status import StatusOptions
    from eggbin.daemon.status import status as run_status

    return run_status(StatusOptions(base_dir=base, all=all, json=json))


def reload(base: Path, timeout: float) -> int:
    """`eggscripts reload`."""
    from eggbin.daemon.reload import reload as run_reload

    return run_reload(base, timeout)


ACTIONS: dict[str, Callable[..., int]] = {
    "eggbin test": test,
    "eggbin cov": cov,
    "eggbin dev": dev,
    "eggbin debug": debug,
    "eggscripts start": start,
    "eggscripts stop": stop,
    "eggscripts status": status,
    "eggscripts reload": reload,
}
