"""Terminal output: diagnostics on stderr, colour only on a terminal and never with NO_COLOR."""

from __future__ import annotations

import os
import sys
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console


@cache
def stderr() -> Console:
    """The console every diagnostic goes to."""
    from rich.console import Console

    return Console(stderr=True, highlight=False, no_color="NO_COLOR" in os.environ, soft_wrap=True)


@cache
def stdout() -> Console:
    """The console for results a user may pipe (URLs, tables, JSON)."""
    from rich.console import Console

    return Console(highlight=False, no_color="NO_COLOR" in os.environ, soft_wrap=True)


def error(message: str) -> None:
    """One line: what failed, where, what to do next."""
    stderr().print(f"[bold red]error:[/] {_escape(message)}")


def warn(message: str) -> None:
    stderr().print(f"[yellow]warning:[/] {_escape(message)}")


def info(message: str) -> None:
    """A plain line on stderr; rich (~14 ms to import) only when its console is already in use (a
    spinner may be showing), so `eggscripts start`'s one announcement does not pay for it."""
    if stderr.cache_info().currsize:
        stderr().print(_escape(message))
    else:
        print(message, file=sys.stderr, flush=True)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def debug_enabled() -> bool:
    """`EGGBIN_DEBUG=1` shows tracebacks for user errors too."""
    return os.environ.get("EGGBIN_DEBUG", "") not in ("", "0")


def is_interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()
