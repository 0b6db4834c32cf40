"""The typer apps behind the two console scripts: `eggbin` (develop) and `eggscripts` (production).

Commands only parse, call one library function and present its result; the error boundary below is
the one place an exception becomes a message and an exit code. A help request's output is kept for
`eggbin.cli.help_cache`, which answers the next one without importing typer.
"""

from __future__ import annotations

import io
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
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
        context_settings=SETTINGS,
        pretty_exceptions_enable=False,
        add_completion=False,
        rich_markup_mode=None,
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
    from eggbin.cli import boundary

    args = (sys.argv[1:] if argv is None else argv) or ["--help"]
    boundary.leave(boundary.exit_code(lambda: _parse_and_call(app, args), aborts=(typer.Abort,)))


def _parse_and_call(app: typer.Typer, args: list[str]) -> int:
    """typer's parse and the command's call; a call it makes is recorded (`eggbin.cli.parse_cache`)."""
    from typer.main import get_command

    from eggbin import console
    from eggbin.cli import parse_cache
    from eggbin.cli.envfile import DOTENV_COMMANDS
    from eggbin.cli.settings import prepared_defaults

    prog = app.info.name or ""
    scripts = app is eggscripts_app
    if f"_{prog}_COMPLETE".upper() in os.environ:  # a shell asks for completions (completions/)
        from eggbin.completion import register_shells

        register_shells()
    parse_cache.expect(prog, args)  # before `.env` is read: the key holds its digest, not its variables
    group = get_command(_only_the_invoked_command(app, args))
    warned: list[str] = []

    def warn(message: str) -> None:
        warned.append(message)
        console.warn(message)

    defaults = prepared_defaults(
        group,  # type: ignore[arg-type]
        "eggscripts" if scripts else "egg",
        "EGGSCRIPTS" if scripts else "EGGBIN",
        args,
        () if scripts else DOTENV_COMMANDS,  # never in production
        _setting_names(app),
        warn,
    )
    if warned:  # a replay would skip the settings check and its warnings: typer runs every time
        parse_cache.expect_nothing()
    if not _imported_from_fingerprinted_dirs(parse_cache.PARSING_PACKAGES):  # the key would not cover them
        parse_cache.expect_nothing()
    try:
        with _help_kept(prog, args):
            code = group.main(args=args, prog_name=prog, standalone_mode=False, default_map=defaults)
    except typer.TyperException as exc:  # click's usage errors (exit code 2) and other click failures
        return _report_click_error(exc, app)
    finally:
        parse_cache.expect_nothing()
    return code if isinstance(code, int) else 0


@contextmanager
def _help_kept(prog: str, args: list[str]) -> Iterator[None]:
    """Pass a help request's output through and keep it for the cache (typer's own text, so no drift)."""
    from eggbin.cli import help_cache

    key = None if help_cache.completion_requested(prog) else help_cache.cache_key(prog, args)
    if key is None:
        yield
        return
    shown = io.StringIO()
    try:
        with redirect_stdout(shown):
            yield
    except BaseException:
        sys.stdout.write(shown.getvalue())
        raise
    sys.stdout.write(shown.getvalue())
    if shown.getvalue() and _rendered_as_keyed(key):
        help_cache.write_entry(key, shown.getvalue())


def _rendered_as_keyed(key: str) -> bool:
    """click sized the help by the width in `key`, and typer/click came from the directories it stats."""
    import shutil

    from eggbin.cli import help_cache

    if shutil.get_terminal_size().columns != help_cache.terminal_columns():
        return False
    return _imported_from_fingerprinted_dirs(help_cache.RENDERING_PACKAGES)


def _imported_from_fingerprinted_dirs(packages: tuple[str, ...]) -> bool:
    """Each of `packages` imported so far came from the directory a cache key stats for it."""
    from eggbin import private_cache

    for package in packages:
        module = sys.modules.get(package)
        if module is None:
            continue
        where = getattr(module, "__file__", None)
        try:
            if not where or os.path.dirname(where) != private_cache.package_dir(package):
                return False
        except OSError:  # the working directory is gone
            return False
    return True


def _only_the_invoked_command(app: typer.Typer, args: list[str]) -> typer.Typer:
    """The fast path: `app` with only the command argv names (the whole app for root help or a typo).

    typer builds every registered command's click parameters from its signature on each run (~4-8 ms
    each); a run needs one.
    """
    wanted = next((arg for arg in args if not arg.startswith("-")), None)
    infos = [info for info in app.registered_commands if _command_name(info) == wanted]
    if not infos:
        return app
    narrowed = _new_app(app.info.name or "", app.info.help or "")
    narrowed.registered_commands = infos
    return narrowed


def _setting_names(app: typer.Typer) -> set[str]:
    """Every parameter of every command (by signature: cheap, unlike building them all)."""
    import inspect

    callbacks = [info.callback for info in app.registered_commands if info.callback]
    return {name for c in callbacks for name in inspect.signature(c).parameters if name != "ctx"}


def _command_name(info: typer.models.CommandInfo) -> str:
    callback = info.callback.__name__.replace("_", "-") if info.callback else ""
    return info.name or callback


def _report_click_error(exc: typer.TyperException, app: typer.Typer) -> int:
    from eggbin import console

    message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    # click names an option's env var in every error about it; this one is about the typed flag (values
    # from the environment were checked before click ran, and name their variable themselves)
    message = re.sub(r" \(env var: '[A-Z0-9_]+'\)", "", message)
    code = int(getattr(exc, "exit_code", 1))
    if code == 2:
        context = getattr(exc, "ctx", None)
        command = context.command_path if context is not None else app.info.name
        message = f"{message.replace('Value error, ', '')} (see `{command} --help`)"
    console.error(message)
    return code
