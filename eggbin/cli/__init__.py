"""The two console scripts, `eggbin` (develop) and `eggscripts` (run in production).

`--version` and a help request already answered once are printed without importing typer
(`eggbin.cli.help_cache`), a hot command already parsed once with the same argv, settings and
environment runs without it (`eggbin.cli.parse_cache`); everything else runs the typer apps of
`eggbin.cli.apps`.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: importing typing costs every `--help` ~5 ms
if TYPE_CHECKING:
    from typing import Any, NoReturn

    from eggbin.cli.apps import eggbin_app, eggscripts_app, run

__all__ = ["eggbin_app", "eggbin_main", "eggscripts_app", "eggscripts_main", "run"]

_FROM_APPS = ("eggbin_app", "eggscripts_app", "run")


def eggbin_main() -> NoReturn:
    """The `eggbin` console script."""
    _main("eggbin")


def eggscripts_main() -> NoReturn:
    """The `eggscripts` console script."""
    _main("eggscripts")


def _main(prog: str) -> NoReturn:
    from eggbin.cli.help_cache import answer

    if answer(prog, sys.argv[1:]):
        sys.exit(0)
    from eggbin.cli.parse_cache import replay

    replay(prog, sys.argv[1:])  # exits when this invocation was parsed before
    from eggbin.cli import apps

    apps.run(apps.eggbin_app if prog == "eggbin" else apps.eggscripts_app)


def __getattr__(name: str) -> Any:
    """The typer apps and `run`, imported on first use (typer is most of a `--help`'s cost)."""
    if name not in _FROM_APPS:
        raise AttributeError(f"module 'eggbin.cli' has no attribute {name!r}")
    from eggbin.cli import apps

    return getattr(apps, name)
