"""The CLI's error boundary: the one place an outcome becomes a message and an exit code.

Both paths of a command go through it: typer's (`eggbin.cli.apps.run`) and the parse cache's replay
(`eggbin.cli.parse_cache`), which also does what typer's `main` does around a command's function.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: importing typing costs the fast path ~5 ms
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, NoReturn


_leave_quickly = False


def leave_quickly() -> None:
    """The command ran the app's tests in this process: `leave` skips the teardown of what they loaded."""
    global _leave_quickly
    _leave_quickly = True


def leave(code: int) -> NoReturn:
    """Exit with `code`. After tests ran in this process, as the interpreter would (`threading`'s exit
    callbacks and its non-daemon threads joined, `atexit` handlers run, output flushed) but without freeing
    every module and object pytest and the app loaded: that teardown was ~150 ms of a one-test run and
    ~260 ms of the scaffold's tests (`bench/testrun.py --timeline`, 2 cores)."""
    if not _leave_quickly:
        sys.exit(code)
    import atexit
    import contextlib
    import os
    import threading

    getattr(threading, "_shutdown")()  # noqa: B009 - what Py_FinalizeEx calls first; private, no stub
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe or file: ignored at exit too
            stream.flush()
    os._exit(code)


class Aborted(Exception):
    """The command was aborted (typer's `Abort`, raised by its `main` when a command hits EOF)."""


def exit_code(call: Callable[[], object], aborts: tuple[type[BaseException], ...] = ()) -> int:
    """Run `call`; its exit code, an `EggbinError` as one line and its code (`EGGBIN_DEBUG=1` re-raises)."""
    from eggbin import console
    from eggbin.errors import EggbinError

    aborted: tuple[type[BaseException], ...] = (KeyboardInterrupt, Aborted, *aborts)
    try:
        code = call()
    except EggbinError as exc:
        if console.debug_enabled():
            raise
        console.error(str(exc))
        return exc.exit_code
    except aborted:
        console.error("aborted")
        return 130
    return code if isinstance(code, int) else 0


def as_typer_calls(action: Callable[..., int], values: dict[str, Any]) -> int:
    """`action(**values)` inside what typer's `main` wraps a command in: Ctrl-C is a silent 130, EOF an
    abort after a newline, a closed stdout pipe exit 1 with its flush errors silenced."""
    try:
        return action(**values)
    except KeyboardInterrupt:
        return 130
    except EOFError as exc:
        print(file=sys.stderr, flush=True)
        raise Aborted from exc
    except OSError as exc:
        import errno

        if exc.errno != errno.EPIPE:
            raise
        from typer._click.utils import PacifyFlushWrapper  # the very wrapper typer would install

        sys.stdout = PacifyFlushWrapper(sys.stdout)
        sys.stderr = PacifyFlushWrapper(sys.stderr)
        sys.exit(1)
