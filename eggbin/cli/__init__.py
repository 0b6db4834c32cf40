"""The two console scripts: `eggbin` (develop) and `eggscripts` (run in production).

Commands only parse, call one library function and present its result; the error boundary below is
the one place an exception becomes a message and an exit code.
"""

from __future__ import annotations

import sys
from typing import Annotated, NoReturn

import typer

from eggbin.cli import dev, init, scripts, test

SETTINGS = {"help_option_names": ["-h", "--help"]}


def _version(value: bool) -> None:
    if value:
        from eggbin import __version__

        typer.echo(f"eggbin {__version__}")
        raise typer.Exit()


Version = Annotated[
    bool, typer.Option("--version", "-V", callback=_version, is_eager=True, help="Print the version.")
]


def _root(version: Version = False) -> None:
    """Egg.js's conventions and toolchain for Python web apps."""


def _new_app(name: str, help: str) -> typer.Typer:
    app = typer.Typer(
        name=name,
        help=help,
        no_args_is_help=True,
        context_settings=SETTINGS,
        pretty_exceptions_enable=False,
        add_completion=False,
    )
    app.callback()(_root)
    return app


eggbin_app = _new_app("eggbin", "Scaffold, develop, debug and test eggbin apps.")
eggbin_app.command()(init.init)
eggbin_app.command()(dev.dev)
eggbin_app.command()(dev.debug)
eggbin_app.command(context_settings={**SETTINGS, **test.CONTEXT})(test.test)
eggbin_app.command(context_settings={**SETTINGS, **test.CONTEXT})(test.cov)

eggscripts_app = _new_app("eggscripts", "Run eggbin apps in production: start, stop, status, reload.")
for command in (scripts.start, scripts.stop, scripts.status, scripts.reload):
    eggscripts_app.command()(command)


def run(app: typer.Typer, argv: list[str] | None = None) -> NoReturn:
    """Run a CLI app and turn every outcome into an exit code."""
    import click

    from eggbin import console
    from eggbin.errors import EggbinError

    try:
        code = app(args=argv, prog_name=app.info.name, standalone_mode=False)
    except EggbinError as exc:
        if console.debug_enabled():
            raise
        console.error(str(exc))
        sys.exit(exc.exit_code)
    except click.UsageError as exc:
        command = exc.ctx.command_path if exc.ctx else app.info.name
        console.error(f"{exc.format_message()} (see `{command} --help`)")
        sys.exit(2)
    except click.ClickException as exc:
        console.error(exc.format_message())
        sys.exit(exc.exit_code)
    except (click.Abort, KeyboardInterrupt):
        console.error("aborted")
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)


def eggbin_main() -> NoReturn:
    run(eggbin_app)


def eggscripts_main() -> NoReturn:
    run(eggscripts_app)
