"""The hot commands without typer: what typer parsed last time, replayed for the same invocation.

When typer parses `eggbin test …` (or `cov`, `dev`, `debug`, `eggscripts start/stop/status/reload`)
and calls the command, `invoke` records the call: the command and the values typer passed, in a typed
JSON form (`eggbin.cli.typed_values`). The next invocation with the same key skips importing typer,
click and rich (~200M instructions) and `replay` calls the same function of `eggbin.cli.actions` with
the same values. The key is everything the parse depends on: the program, argv, the working
directory, every `EGGBIN_*` / `EGGSCRIPTS_*` variable (click's env vars for the options), the app
directory the settings come from with a digest of its `pyproject.toml` and `.env` (`[tool.egg]`
defaults, variables a `.env` sets), the Python build, and the stat of every source file of
`eggbin/cli`, typer, click and python-dotenv. Help, version and completion requests, usage errors,
settings that warned and commands that failed are never recorded: those always run typer.

Entries live in the help cache's private store (`eggbin.private_cache`, kind `parse`).
"""

from __future__ import annotations

import os
import sys

from eggbin import private_cache

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: importing typing costs the fast path ~5 ms
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any, NamedTuple

    class Invocation(NamedTuple):
        prog: str
        key: str
        app_dir: Path

else:
    from collections import namedtuple

    Invocation = namedtuple("Invocation", "prog key app_dir")

STORE = private_cache.PrivateCache("parse", "eggbin-parse-cache 1")
PARSING_PACKAGES = ("typer", "click", "dotenv")  # whose code turns argv (and a `.env`) into values
PREFIXES = {"eggbin": "EGGBIN", "eggscripts": "EGGSCRIPTS"}
UNCACHED_FLAGS = ("-h", "--help", "-V", "--version")

_expected: Invocation | None = None  # the invocation typer is parsing now (set by `eggbin.cli.apps.run`)


def invocation(prog: str, argv: list[str]) -> Invocation | None:
    """The key of `prog argv` as things stand; None when such a run is never cached."""
    from eggbin.cli.help_cache import completion_requested

    if prog not in PREFIXES or completion_requested(prog) or any(a in UNCACHED_FLAGS for a in argv):
        return None
    from eggbin.cli.settings import app_dir_from_argv

    prefix = PREFIXES[prog]
    try:
        cwd = os.getcwd()
        app_dir = app_dir_from_argv(argv, prog == "eggscripts", os.environ.get(f"{prefix}_BASE"))
        settings = [_digest(app_dir / "pyproject.toml"), _digest(app_dir / ".env")]
    except OSError:  # a deleted working directory, an unreadable pyproject: typer says what is wrong
        return None
    fingerprint = private_cache.source_fingerprint(PARSING_PACKAGES)
    if fingerprint is None:
        return None
    import json

    variables = sorted((k, v) for k, v in os.environ.items() if k.startswith(f"{prefix}_"))
    parts = [prog, json.dumps(argv), cwd, json.dumps(variables), str(app_dir), *settings]
    parts += [sys.version, sys.executable, f"optimize={sys.flags.optimize}", fingerprint]
    key = "\x1f".join(parts)
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:  # a path that is not UTF-8 (surrogate escapes): no entry can hold it
        return None
    return Invocation(prog, key, app_dir)


def _digest(path: Path) -> str:
    """What the file holds, for the key: `-` when absent; a pyproject as is, a `.env` (secrets) hashed."""
    try:
        data = path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return "-"
    if path.name != ".env":
        import json

        return json.dumps(data.decode("utf-8", "surrogateescape"))  # exact, and ASCII: no hash to import
    import hashlib

    return hashlib.sha256(data).hexdigest()


def expect(prog: str, argv: list[str]) -> None:
    """Typer is about to parse `prog argv`: the call it makes is recorded under this key."""
    global _expected
    _expected = invocation(prog, argv)


def expect_nothing() -> None:
    """This parse must not be recorded (it warned: a replay would not)."""
    global _expected
    _expected = None


def invoke(command: str, **values: Any) -> int:
    """Run `command` (`"eggbin test"`) with what typer parsed, recording the call for the next run."""
    from eggbin.cli.actions import ACTIONS

    global _expected
    expected, _expected = _expected, None
    ours = expected is not None and command.split()[0] == expected.prog
    recorded = ours and expected is not None and _record(expected, command, values)
    try:
        return ACTIONS[command](**values)
    except Exception:
        if recorded and expected is not None:  # a command that fails is never replayed
            STORE.forget(expected.key)
        raise


def _record(expected: Invocation, command: str, values: dict[str, Any]) -> bool:
    from eggbin.cli import typed_values

    body = typed_values.encode_call(command, values)
    if body is None:
        return False
    STORE.write(expected.key, body)
    return True


def replay(prog: str, argv: list[str]) -> None:
    """Run the recorded call for `prog argv` and exit; return having done nothing on a miss."""
    found = invocation(prog, argv)
    body = STORE.read(found.key) if found is not None else None
    if found is None or body is None:
        return
    from eggbin.cli import typed_values
    from eggbin.cli.actions import ACTIONS

    call = typed_values.decode_call(body)
    if call is None or call[0] not in ACTIONS or not call[0].startswith(f"{prog} "):
        return
    command, values = call
    from eggbin.cli import boundary
    from eggbin.cli.envfile import DOTENV_COMMANDS

    def run() -> int:
        if prog == "eggbin" and command.split()[1] in DOTENV_COMMANDS:  # as typer's path does before parsing
            from eggbin.cli.envfile import load_dotenv_file

            load_dotenv_file(found.app_dir)
        try:
            return boundary.as_typer_calls(ACTIONS[command], values)
        except Exception:  # what failed is not kept: the next run is typer's again
            STORE.forget(found.key)
            raise

    boundary.leave(boundary.exit_code(run))
