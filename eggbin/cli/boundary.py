"""The CLI's error boundary: the one place an outcome becomes a message and an exit code.

Both paths of a command go through it: typer's (`eggbin.cli.apps.run`) and the parse cache's replay
(`eggbin.cli.parse_cache`), which also does what typer's `main` does around a command's function.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: importing typing costs the fast path ~5 ms
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


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
