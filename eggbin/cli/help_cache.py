"""`--help` and `--version` answered without importing typer: typer's own rendering, cached per user.

The first `eggbin dev --help` runs typer and keeps what it printed under
`$XDG_CACHE_HOME/eggbin/help/` (default `~/.cache`); later runs print that file. Importing typer costs a
`--help` ~75 % of its time, and a cache of typer's own text cannot drift from the CLI the way a second
renderer could. An entry is used only when its key matches exactly: the program, the argv, the terminal
width click would use, the Python build and the stat (mtime, size, inode) of every source file of
`eggbin/cli`, typer and click, so an edit, an upgrade or a reinstall of any of them is a miss.

The store is `eggbin.private_cache`'s (private, atomic, checksummed, shared with the parse cache).
"""

from __future__ import annotations

import os
import sys

from eggbin import private_cache

HELP_FLAGS = ("-h", "--help")
VERSION_FLAGS = ("-V", "--version")
RENDERING_PACKAGES = ("typer", "click")  # whose code renders the help (typer 0.28 vendors click)
STORE = private_cache.PrivateCache("help", "eggbin-help-cache 1")


def answer(prog: str, argv: list[str]) -> bool:
    """Print `--version`, or the cached help for `argv`, without typer; False: typer must run."""
    if completion_requested(prog) or sys.stdout is None:
        return False
    if argv in ([flag] for flag in VERSION_FLAGS):
        from eggbin import __version__

        sys.stdout.write(f"eggbin {__version__}\n")  # what the typer app's `--version` callback prints
        sys.stdout.flush()
        return True
    key = cache_key(prog, argv)
    text = read_entry(key) if key is not None else None
    if text is None:
        return False
    sys.stdout.write(text)
    sys.stdout.flush()
    return True


def completion_requested(prog: str) -> bool:
    """A shell asks for completions (completions/): typer answers those, never the cache."""
    return f"_{prog}_COMPLETE".upper() in os.environ


def help_argv(argv: list[str]) -> bool:
    """`argv` only asks for help: nothing, `--help`, or `COMMAND --help` (`-h` alike)."""
    if not argv or (len(argv) == 1 and argv[0] in HELP_FLAGS):
        return True
    return len(argv) == 2 and argv[1] in HELP_FLAGS and _command_name(argv[0])


def _command_name(word: str) -> bool:
    return 0 < len(word) <= 40 and word.isascii() and word.replace("-", "").isalnum()


def cache_key(prog: str, argv: list[str]) -> str | None:
    """What the help for `argv` depends on, as one string; None when `argv` is not a help request."""
    if not help_argv(argv):
        return None
    fingerprint = source_fingerprint()
    if fingerprint is None:
        return None
    parts = (prog, " ".join(argv or ["--help"]), str(terminal_columns()), sys.version, fingerprint)
    return "\x1f".join((*parts, f"optimize={sys.flags.optimize}"))  # -OO drops the docstrings


def terminal_columns() -> int:
    """`shutil.get_terminal_size().columns`, which click sizes help by (shutil's import costs ~5 ms)."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns > 0:
        return columns
    try:
        size = os.get_terminal_size(sys.__stdout__.fileno())  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80
    return size.columns or 80


def source_fingerprint() -> str | None:
    """The stat of every source file that renders the help: eggbin's CLI, typer and click."""
    return private_cache.source_fingerprint(RENDERING_PACKAGES)


def cache_dir() -> str:
    """`$XDG_CACHE_HOME/eggbin/help`, else `~/.cache/eggbin/help`; OSError without a home to put it in."""
    return STORE.directory()


def read_entry(key: str) -> str | None:
    """The cached help for `key`; None when absent, not ours, not a plain file, corrupt or stale."""
    return STORE.read(key)


def write_entry(key: str, body: str) -> None:
    """Keep `body` as the help for `key` (atomically, 0600, in a 0700 directory); failures are ignored."""
    STORE.write(key, body)
