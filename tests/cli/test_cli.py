"""The CLI contract: help, version, one-line errors with the right exit codes."""

from __future__ import annotations

import subprocess
import sys

import pytest

from eggbin import __version__
from eggbin.cli import eggbin_app, eggscripts_app, run

EGGBIN_COMMANDS = ("init", "dev", "debug", "test", "cov")
EGGSCRIPTS_COMMANDS = ("start", "stop", "status", "reload")


def invoke(app: object, *argv: str) -> int:
    with pytest.raises(SystemExit) as exited:
        run(app, list(argv))  # type: ignore[arg-type]
    return int(exited.value.code or 0)


@pytest.mark.parametrize(
    ("app", "commands"), [(eggbin_app, EGGBIN_COMMANDS), (eggscripts_app, EGGSCRIPTS_COMMANDS)]
)
def test_help_lists_every_command(
    app: object, commands: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    assert invoke(app, "--help") == 0
    out = capsys.readouterr().out
    for command in commands:
        assert f"  {command} " in out


@pytest.mark.parametrize("command", EGGBIN_COMMANDS)
def test_each_command_help_shows_examples(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert invoke(eggbin_app, command, "--help") == 0
    assert "Examples:" in capsys.readouterr().out


def test_no_arguments_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert invoke(eggscripts_app) == 0
    assert "Usage: eggscripts" in capsys.readouterr().out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert invoke(eggbin_app, "--version") == 0
    assert capsys.readouterr().out == f"eggbin {__version__}\n"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["init", "x", "--type=foo"], "error: Invalid value for '--type' / '-t': 'foo' is not one of"),
        (["nope"], "error: No such command 'nope'. (see `eggbin --help`)"),
        (["dev", "--port", "abc"], "error: Invalid value for '--port' / '-p'"),
        (["init", "--bogus"], "error: No such option: --bogus (see `eggbin init --help`)"),
    ],
)
def test_usage_errors_are_one_line_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert invoke(eggbin_app, *argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(message)
    assert err.count("\n") == 1


def test_dev_outside_an_app_is_one_line_exit_1(tmp_path: object, capsys: pytest.CaptureFixture[str]) -> None:
    assert invoke(eggbin_app, "dev") == 1
    err = capsys.readouterr().err
    assert "is not an eggbin app (none of `app/router.py`, `config/default.py`" in err
    assert "eggbin init" in err
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_eggbin_debug_shows_the_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EGGBIN_DEBUG", "1")
    from eggbin.errors import NotAnAppError

    with pytest.raises(NotAnAppError):
        run(eggbin_app, ["dev"])


def test_console_script_exit_codes() -> None:
    """The installed scripts, in a real process: no traceback, exit 1 for a failure, 2 for usage."""
    failure = subprocess.run(["eggbin", "dev"], capture_output=True, text=True, timeout=60)
    assert failure.returncode == 1
    assert failure.stderr.startswith("error: ")
    assert "Traceback" not in failure.stderr
    usage = subprocess.run(
        ["eggscripts", "stop", "--timeout", "x"], capture_output=True, text=True, timeout=60
    )
    assert usage.returncode == 2
    assert sys.executable  # the scripts come from this interpreter's bin (tests/conftest.py puts it on PATH)
