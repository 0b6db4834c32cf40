"""Terminal output: diagnostics on stderr, colour only on a terminal and never with NO_COLOR."""

from __future__ import annotations

import os
import sys
from functools import cache
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from rich.console import Console


@cache
def stderr() -> Console:
    """The console every diagnostic goes to."""
    from rich.console import Console

    return Console(stderr=True, highlight=False, no_color=no_color(), soft_wrap=True)


@cache
def stdout() -> Console:
    """The console for results a user may pipe (URLs, tables, JSON)."""
    from rich.console import Console

    return Console(highlight=False, no_color=no_color(), soft_wrap=True)


def no_color() -> bool:
    """no-color.org: `NO_COLOR` set to a non-empty value turns colour off; set but empty, it does not."""
    return bool(os.environ.get("NO_COLOR"))


def plain(stream: TextIO) -> bool:
    """No colour to show on `stream`: print without rich (its import costs ~14 ms a command need not pay)."""
    return no_color() or (not stream.isatty() and not os.environ.get("FORCE_COLOR"))


def error(message: str) -> None:
    """One line: what failed, where, what to do next."""
    if plain(sys.stderr):
        print(f"error: {message}", file=sys.stderr, flush=True)
    else:
        stderr().print(f"[bold red]error:[/] {escape(message)}")


def warn(message: str) -> None:
    if plain(sys.stderr):
        print(f"warning: {message}", file=sys.stderr, flush=True)
    else:
        stderr().print(f"[yellow]warning:[/] {escape(message)}")


def info(message: str) -> None:
    print(message, file=sys.stderr, flush=True)  # no style: rich adds nothing


def result(text: str, markup: str | None = None) -> None:
    """A line of a command's result on stdout; `markup` (rich markup) is its styled form for a terminal."""
    if markup is None or plain(sys.stdout):
        print(text, flush=True)
    else:
        stdout().print(markup)


def escape(text: str) -> str:
    """`text` shown as is inside rich markup."""
    from rich.markup import escape

    return escape(text)


def debug_enabled() -> bool:
    """`EGGBIN_DEBUG=1` shows tracebacks for user errors too."""
    return os.environ.get("EGGBIN_DEBUG", "") not in ("", "0")


def is_interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()
