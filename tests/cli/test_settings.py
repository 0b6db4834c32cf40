"""Command-line settings: flags > `EGGBIN_*`/`EGGSCRIPTS_*` > `[tool.egg]`/`[tool.eggscripts]` > default."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from eggbin import console
from eggbin.cli import eggbin_app, eggscripts_app, run

EGGBIN_COMMANDS = ("init", "dev", "debug", "test", "cov")
EGGSCRIPTS_COMMANDS = ("start", "stop", "status", "reload")


@pytest.fixture(autouse=True)
def restored_environ() -> Iterator[None]:
    """`.env` files write into os.environ: put it back as it was."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


def invoke(app: object, *argv: str) -> int:
    with pytest.raises(SystemExit) as exited:
        run(app, list(argv))  # type: ignore[arg-type]
    return int(exited.value.code or 0)


@pytest.fixture
def dev_options(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """What `eggbin dev` would run with, captured instead of starting a cluster."""
    import eggbin.devserver

    seen: list[Any] = []
    monkeypatch.setattr(eggbin.devserver, "run_dev", lambda options: seen.append(options) or 0)
    return seen


@pytest.fixture
def stop_options(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    import eggbin.daemon.stop

    seen: list[Any] = []
    monkeypatch.setattr(eggbin.daemon.stop, "stop", lambda options: seen.append(options) or 0)
    return seen


def write_pyproject(directory: Path, text: str) -> Path:
    path = directory / "pyproject.toml"
    path.write_text(textwrap.dedent(text))
    return path


def test_precedence_flag_env_pyproject_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dev_options: list[Any]
) -> None:
    assert invoke(eggbin_app, "dev") == 0
    write_pyproject(tmp_path, "[tool.egg]\nworkers = 2\n")
    assert invoke(eggbin_app, "dev") == 0
    monkeypatch.setenv("EGGBIN_WORKERS", "3")
    assert invoke(eggbin_app, "dev") == 0
    assert invoke(eggbin_app, "dev", "--workers", "4") == 0
    assert [options.workers for options in dev_options] == [1, 2, 3, 4]


def test_eggscripts_reads_its_own_prefix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stop_options: list[Any]
) -> None:
    monkeypatch.setenv("EGGBIN_TIMEOUT", "9")  # eggbin's, not eggscripts'
    monkeypatch.setenv("EGGSCRIPTS_TITLE", "egg-server-shop")
    assert invoke(eggscripts_app, "stop", str(tmp_path)) == 0
    assert (stop_options[0].title, stop_options[0].timeout) == ("egg-server-shop", 5)


@pytest.mark.parametrize(
    ("app", "prefix", "commands"),
    [(eggbin_app, "EGGBIN", EGGBIN_COMMANDS), (eggscripts_app, "EGGSCRIPTS", EGGSCRIPTS_COMMANDS)],
)
def test_every_option_shows_its_env_var_in_help(
    app: Any, prefix: str, commands: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    from typer.main import get_command

    group: Any = get_command(app)
    for command in commands:
        assert invoke(app, command, "--help") == 0
        help_text = " ".join(capsys.readouterr().out.split())  # help wraps long lines
        options = [p for p in group.commands[command].params if p.param_type_name == "option"]
        assert options
        for param in options:
            assert f"{prefix}_{param.name.upper()}" in help_text, (command, param.name)


def test_bad_pyproject_value_names_key_value_file_and_expectation(tmp_path: Path) -> None:
    """The installed script: one line, exit 2, and no `--workers` the user never typed."""
    pyproject = write_pyproject(tmp_path, '[tool.eggscripts]\nworkers = "two"\n')
    done = subprocess.run(["eggscripts", "start", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr == (
        f'error: workers = "two" in [tool.eggscripts] of {pyproject.resolve()}: expected an integer >= 1\n'
    )


def test_bad_env_value_names_the_variable() -> None:
    done = subprocess.run(
        ["eggscripts", "stop"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "EGGSCRIPTS_TIMEOUT": "soon"},
    )
    assert done.returncode == 2
    assert done.stderr == 'error: EGGSCRIPTS_TIMEOUT="soon" (environment): expected a number >= 0\n'


def test_out_of_range_env_value(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("EGGBIN_PORT", "70000")
    assert invoke(eggbin_app, "dev") == 2
    assert capsys.readouterr().err == (
        'error: EGGBIN_PORT="70000" (environment): expected an integer >= 1 and <= 65535\n'
    )


def test_a_typed_flag_is_not_blamed_on_its_env_var(capsys: pytest.CaptureFixture[str]) -> None:
    assert invoke(eggscripts_app, "stop", "--timeout", "soon") == 2
    err = capsys.readouterr().err
    assert "Invalid value for '--timeout'" in err
    assert "EGGSCRIPTS_TIMEOUT" not in err


def test_unknown_key_warns_with_the_closest_known_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], stop_options: list[Any]
) -> None:
    pyproject = write_pyproject(tmp_path, "[tool.eggscripts]\nwokers = 2\ntimeout = 7\n")
    assert invoke(eggscripts_app, "stop", str(tmp_path)) == 0
    assert capsys.readouterr().err == (
        f"warning: unknown key `wokers` in [tool.eggscripts] of {pyproject.resolve()}, ignored: "
        "did you mean `workers`?\n"
    )
    assert stop_options[0].timeout == 7


def test_known_non_flag_keys_and_tables_of_other_tools_are_quiet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], dev_options: list[Any]
) -> None:
    write_pyproject(tmp_path, '[tool.egg]\ntype = "plugin"\nworker-s = 1\n[tool.pytest]\nworkers = "x"\n')
    assert invoke(eggbin_app, "dev") == 0
    assert "`worker-s`" in capsys.readouterr().err  # dashes read as in the file
    write_pyproject(tmp_path, '[tool.egg]\ntype = "plugin"\n')
    assert invoke(eggbin_app, "dev") == 0
    assert capsys.readouterr().err == ""


def test_help_never_fails_on_a_bad_setting(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_pyproject(tmp_path, '[tool.egg]\nworkers = "two"\n')
    assert invoke(eggbin_app, "dev", "--help") == 0
    assert "EGGBIN_WORKERS" in capsys.readouterr().out


def test_dev_reads_dotenv_and_the_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dev_options: list[Any]
) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / ".env").write_text("EGGBIN_WORKERS=5\nEGGBIN_PORT=7311\nAPP_SECRET='from dotenv'\n")
    monkeypatch.setenv("EGGBIN_PORT", "7322")
    assert invoke(eggbin_app, "dev", "--base", str(app)) == 0
    assert (dev_options[0].workers, dev_options[0].port) == (5, 7322)
    assert os.environ["APP_SECRET"] == "from dotenv"  # the cluster it starts inherits it


def test_a_bad_dotenv_value_names_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / ".env").write_text("EGGBIN_WORKERS=many\n")
    assert invoke(eggbin_app, "dev") == 2
    assert capsys.readouterr().err == (
        f'error: EGGBIN_WORKERS="many" (set in {tmp_path.resolve() / ".env"}): expected an integer >= 1\n'
    )


def test_eggscripts_never_reads_dotenv(tmp_path: Path, stop_options: list[Any]) -> None:
    (tmp_path / ".env").write_text("EGGSCRIPTS_TITLE=from-dotenv\nAPP_SECRET=x\n")
    assert invoke(eggscripts_app, "stop", str(tmp_path)) == 0
    assert stop_options[0].title is None
    assert "APP_SECRET" not in os.environ


def test_eggbin_test_runs_with_dotenv_in_a_real_process(tmp_path: Path) -> None:
    """The installed `eggbin test`: pytest (another process) sees what `.env` set."""
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "default.py").write_text("")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_env.py").write_text(
        "import os\n\ndef test_env():\n    assert os.environ['FROM_DOTENV'] == 'yes'\n"
        "    assert os.environ['KEPT'] == 'shell'\n"
    )
    (tmp_path / ".env").write_text("FROM_DOTENV=yes\nKEPT=dotenv\n")
    done = subprocess.run(
        ["eggbin", "test", "--", "-q", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "KEPT": "shell"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout


@pytest.mark.parametrize(("value", "off"), [("", False), ("1", True), ("0", True)])
def test_no_color_counts_only_when_not_empty(value: str, off: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", value)
    assert console.no_color() is off


def test_no_color_unset_keeps_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert console.no_color() is False


def test_typer_runs_without_pydantic() -> None:
    """Contract with the pinned typer (<0.29): running a command with int/float/Path options never
    imports pydantic (typer 0.29 builds a pydantic TypeAdapter per option on every run: ~60 ms)."""
    script = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        import typer
        app = typer.Typer()
        @app.command()
        def go(n: int = 1, t: float = 1.0, p: Path = Path("."), on: bool = False) -> None:
            print(n + 1, t, p, on)
        try:
            app(["--n", "2", "--t", "0.5", "--p", "x", "--on"])
        except SystemExit:
            pass
        print("pydantic" in sys.modules)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.stdout.split("\n")[:2] == ["3 0.5 x True", "False"], done.stderr


def test_keys_of_other_commands_are_known(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], stop_options: list[Any]
) -> None:
    """Only the command that runs is built (the fast path); `json` (status's) is still a known key."""
    write_pyproject(tmp_path, "[tool.eggscripts]\njson = true\nworkers = 2\n")
    assert invoke(eggscripts_app, "stop", str(tmp_path)) == 0
    assert capsys.readouterr().err == ""
    assert stop_options
