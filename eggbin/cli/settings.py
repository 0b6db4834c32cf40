"""Where a flag's value comes from when it is not typed: the environment, then the app's pyproject.

Precedence is click's: the command line, then `EGGBIN_<OPTION>` (`eggbin`) / `EGGSCRIPTS_<OPTION>`
(`eggscripts`), then `[tool.egg]` / `[tool.eggscripts]` (click's `default_map`), then the default.
Values from the environment and the pyproject are checked here, before click sees them, so an error
names the variable or the key and the file instead of a flag the user never typed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eggbin.errors import UsageError

if TYPE_CHECKING:
    from typer.core import TyperGroup

HELP_FLAGS = ("-h", "--help")
# [tool.egg] keys that are not flags: `type` marks a plugin or framework project (eggbin.testing.project)
EXTRA_KEYS: dict[str, tuple[str, ...]] = {"egg": ("type",)}


class SettingsError(UsageError):
    """A value from the environment or the pyproject that the option it sets cannot take."""


def app_dir_from_argv(argv: list[str], positional: bool, from_env: str | None = None) -> Path:
    """The app dir a command will use: `--base DIR` (eggbin) or the first positional (eggscripts)."""
    for index, arg in enumerate(argv):
        if arg == "--base" and index + 1 < len(argv):
            return Path(argv[index + 1])
        if arg.startswith("--base="):
            return Path(arg.split("=", 1)[1])
    if positional:
        words = [a for a in argv[1:] if not a.startswith("-")]
        if words and Path(words[0]).is_dir():
            return Path(words[0])
    return Path(from_env) if from_env else Path(".")


def read_table(section: str, app_dir: Path) -> dict[str, Any]:
    """`[tool.<section>]` with `-` in keys read as `_`; an unreadable pyproject gives nothing."""
    import tomllib  # here: the parse cache's replay imports this module and reads no TOML

    try:
        data = tomllib.loads((app_dir / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}
    table = data.get("tool", {}).get(section, {})
    if not isinstance(table, dict):
        return {}
    return {key.replace("-", "_"): value for key, value in table.items()}


def wire_envvars(group: TyperGroup, prefix: str) -> None:
    """Every option of every command reads `<PREFIX>_<OPTION>` and shows it in `--help`."""
    for command in group.commands.values():
        for param in command.params:
            if param.param_type_name == "option" and param.name and not param.is_eager:
                param.envvar = f"{prefix}_{param.name.upper()}"
                param.show_envvar = True  # type: ignore[attr-defined]


def invoked_command(group: TyperGroup, argv: list[str]) -> str | None:
    """The subcommand argv runs (the root group takes no value-taking options)."""
    for arg in argv:
        if not arg.startswith("-"):
            return arg if arg in group.commands else None
    return None


def checked_defaults(
    group: TyperGroup, section: str, app_dir: Path, warn: Any, names: Collection[str] = ()
) -> dict[str, dict[str, Any]]:
    """`default_map` from the pyproject, each value checked against the options of `group` it defaults.

    `names`: every parameter of every command of the app (`group` may hold only the one running).
    """
    table = read_table(section, app_dir)
    where = f"[tool.{section}] of {(app_dir / 'pyproject.toml').resolve()}"
    known = {*names, *(p.name for c in group.commands.values() for p in c.params if p.name)}
    known |= set(EXTRA_KEYS.get(section, ()))
    for key, value in table.items():
        if key not in known:
            import difflib

            close = difflib.get_close_matches(key, sorted(known), n=1)
            hint = f": did you mean `{close[0].replace('_', '-')}`?" if close else ""
            warn(f"unknown key `{key.replace('_', '-')}` in {where}, ignored{hint}")
            continue
        for command in group.commands.values():
            for param in command.params:
                if param.name == key:
                    _check(command, param, value, f"{key.replace('_', '-')} = {_toml(value)} in {where}")
    defaults = {key: value for key, value in table.items() if key in known}
    return {name: dict(defaults) for name in group.commands}


def check_environment(
    group: TyperGroup,
    command_name: str | None,
    environ: Mapping[str, str],
    from_files: Mapping[str, Path],
) -> None:
    """Each `<PREFIX>_<OPTION>` set for the command being run parses as the option's type."""
    command = group.commands.get(command_name or "")
    if command is None:
        return
    for param in command.params:
        variable = param.envvar if isinstance(param.envvar, str) else None
        if variable and environ.get(variable):
            import json

            ctx = command.context_class(command, info_name=command.name)
            raw = environ[variable]
            value = param.type.split_envvar_value(raw) if param.multiple else raw
            source = f"set in {from_files[variable]}" if variable in from_files else "environment"
            _check(command, param, value, f"{variable}={json.dumps(raw)} ({source})", ctx)


def _check(command: Any, param: Any, value: Any, what: str, ctx: Any = None) -> None:
    from typer import BadParameter

    if isinstance(value, dict):
        raise SettingsError(f"{what}: expected {_expected(param)}, not a table")
    try:
        param.type_cast_value(ctx or command.context_class(command, info_name=command.name), value)
    except BadParameter as exc:
        raise SettingsError(f"{what}: expected {_expected(param)}") from exc


def _expected(param: Any) -> str:
    kind = param.type
    name = getattr(kind, "name", "")
    many = "a list of " if param.multiple else ""
    if name == "choice":
        return f"{many}one of {', '.join(str(c) for c in kind.choices)}"
    if name in ("integer", "int range", "float", "float range"):
        noun = "an integer" if "int" in name else "a number"
        return f"{many}{noun}{_bounds(kind)}"
    if name == "boolean":
        return f"{many}true or false"
    if name == "path":
        return f"{many}a path"
    return f"{many}a string"


def _bounds(kind: Any) -> str:
    parts = []
    if getattr(kind, "min", None) is not None:
        parts.append(f"{'>' if kind.min_open else '>='} {kind.min}")
    if getattr(kind, "max", None) is not None:
        parts.append(f"{'<' if kind.max_open else '<='} {kind.max}")
    return f" {' and '.join(parts)}" if parts else ""


def _toml(value: object) -> str:
    import json

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float | list):
        return json.dumps(value, default=str)
    return repr(value)


def prepared_defaults(
    group: TyperGroup,
    section: str,
    prefix: str,
    argv: list[str],
    dotenv_commands: Collection[str] = (),
    names: Collection[str] = (),
    warn: Callable[[str], None] | None = None,
) -> dict[str, dict[str, Any]]:
    """Wire env vars, read `.env` for the commands that take one, check env and pyproject: `default_map`.

    `warn` gets the settings' warnings (default: `eggbin.console.warn`).
    """
    from eggbin import console
    from eggbin.cli.envfile import load_dotenv_file

    wire_envvars(group, prefix)
    if any(flag in argv for flag in HELP_FLAGS):  # help never reads (or fails on) settings: it stays fast
        return {}
    name = invoked_command(group, argv)
    from_env = os.environ.get(f"{prefix}_BASE")
    app_dir = app_dir_from_argv(argv, positional=section == "eggscripts", from_env=from_env)
    from_files = load_dotenv_file(app_dir) if name and name in dotenv_commands else {}
    defaults = checked_defaults(group, section, app_dir, warn or console.warn, names)
    check_environment(group, name, os.environ, from_files)
    return defaults
