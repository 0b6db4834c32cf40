"""`eggbin init` on the command line: output, exit codes, one-line errors, prompts only on a terminal."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import time
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eggbin.cli import eggbin_app, run


def invoke(*argv: str) -> int:
    with pytest.raises(SystemExit) as exited:
        run(eggbin_app, list(argv))
    return int(exited.value.code or 0)


@pytest.mark.parametrize("kind", ["simple", "plugin", "framework"])
def test_init_prints_what_it_created_and_the_next_commands(tmp_path: Path, kind: str) -> None:
    result = CliRunner().invoke(eggbin_app, ["init", "egg-x", f"--type={kind}", "--yes", "--author", "Ada"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"Created {kind} project egg-x in {tmp_path / 'egg-x'}"
    assert lines[1:3] == ["Next:", "  cd egg-x"]
    assert "  eggbin test" in lines
    assert ("  pip install -e ." in lines) == (kind != "simple")
    assert (tmp_path / "egg-x" / "pyproject.toml").is_file()


def test_options_reach_the_project(tmp_path: Path) -> None:
    argv = ["init", "d", "--name", "shop", "--description", "Sells eggs", "--author", "Ada", "--yes"]
    assert CliRunner().invoke(eggbin_app, argv).exit_code == 0
    project = tomllib.loads((tmp_path / "d" / "pyproject.toml").read_text())["project"]
    assert (project["name"], project["description"], project["authors"]) == (
        "shop",
        "Sells eggs",
        [{"name": "Ada"}],
    )


def test_without_yes_a_non_terminal_gets_the_defaults(tmp_path: Path) -> None:
    result = CliRunner().invoke(eggbin_app, ["init", "quiet"], input="")
    assert result.exit_code == 0, result.output
    assert "Project name" not in result.output
    assert tomllib.loads((tmp_path / "quiet" / "pyproject.toml").read_text())["project"]["name"] == "quiet"


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["init", "x", "--type=foo"], 2, "error: Invalid value for '--type' / '-t': 'foo' is not one of"),
        (
            ["init", "x", "--name", "9lives", "--yes"],
            2,
            "error: `9lives` is not a valid project name; start with",
        ),
        (
            ["init", "x", "--type=plugin", "--name", "for", "--yes"],
            2,
            "error: `for` gives `for`, which is not a",
        ),
        (["init", "x", "--template", "nowhere", "--yes"], 1, "error: template `"),
    ],
)
def test_bad_input_is_one_line_with_exit_code(
    argv: list[str], code: int, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert invoke(*argv) == code
    err = capsys.readouterr().err
    assert err.startswith(message), err
    assert err.count("\n") == 1, err
    assert not (tmp_path / "x").exists()


def test_a_non_empty_directory_exits_1_and_is_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "keep.txt").write_text("mine")
    assert invoke("init", "x", "--yes") == 1
    err = capsys.readouterr().err
    hint = "choose another directory or pass --force to write into it"
    assert err == f"error: `{tmp_path / 'x'}` is not empty; {hint}\n"
    assert [p.name for p in (tmp_path / "x").iterdir()] == ["keep.txt"]
    assert invoke("init", "x", "--yes", "--force") == 0
    assert (tmp_path / "x" / "app" / "router.py").is_file()


def test_the_console_script_runs_hermetically(tmp_path: Path, isolated: Path) -> None:
    done = subprocess.run(
        ["eggbin", "init", "svc", "--type=framework", "--yes"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Created framework project svc in ")
    assert (tmp_path / "svc" / "svc" / "__init__.py").is_file()
    assert list(isolated.iterdir()) == []


def test_an_open_pipe_without_yes_never_blocks(tmp_path: Path) -> None:
    """stdin is a pipe nobody writes to: a prompt would hang until the timeout."""
    popen = subprocess.Popen(
        ["eggbin", "init", "piped"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        out, err = popen.communicate(timeout=30)
    finally:
        popen.kill()
        popen.wait()
    assert popen.returncode == 0, err
    assert b"Project name" not in out
    assert (tmp_path / "piped" / "pyproject.toml").is_file()


def read_until(fd: int, text: bytes, seen: bytearray, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while text not in seen:
        assert time.monotonic() < deadline, f"no {text!r} in {bytes(seen)!r}"
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                seen += os.read(fd, 4096)
            except OSError:  # EIO: the child closed the terminal
                break


def run_in_pty(argv: list[str], answers: list[tuple[bytes, bytes]]) -> tuple[int, bytes]:
    """Run `argv` on a real pseudo-terminal, answering each prompt as it appears."""
    primary, secondary = pty.openpty()
    popen = subprocess.Popen(
        argv, stdin=secondary, stdout=secondary, stderr=secondary, start_new_session=True
    )
    os.close(secondary)
    seen = bytearray()
    try:
        for prompt, answer in answers:
            read_until(primary, prompt, seen)
            os.write(primary, answer + b"\n")
        read_until(primary, b"Next:", seen)
        return popen.wait(30), bytes(seen)
    finally:
        popen.kill()
        popen.wait()
        os.close(primary)


def test_a_terminal_is_asked_for_name_description_and_author(tmp_path: Path) -> None:
    code, output = run_in_pty(
        ["eggbin", "init", "asked", "--type=plugin"],
        [(b"Project name [asked]:", b"egg-asked"), (b"Description", b"Asks"), (b"Author", b"Ada")],
    )
    assert code == 0, output
    project = tomllib.loads((tmp_path / "asked" / "pyproject.toml").read_text())["project"]
    assert (project["name"], project["description"], project["authors"]) == (
        "egg-asked",
        "Asks",
        [{"name": "Ada"}],
    )
    assert (tmp_path / "asked" / "egg_asked" / "__init__.py").is_file()


def test_a_terminal_with_yes_is_never_asked(tmp_path: Path) -> None:
    code, output = run_in_pty(["eggbin", "init", "silent", "--yes"], [])
    assert code == 0, output
    assert b"Project name" not in output
    assert (tmp_path / "silent" / "app" / "router.py").is_file()


def test_options_given_are_not_asked_again(tmp_path: Path) -> None:
    argv = ["eggbin", "init", "given", "--name", "given", "--description", "d", "--author", "a"]
    code, output = run_in_pty(argv, [])
    assert code == 0, output
    assert b"Project name" not in output
    assert b"Author" not in output


def test_a_local_template_is_asked_by_cookiecutter_with_our_defaults(tmp_path: Path) -> None:
    template = tmp_path / "tpl"
    (template / "{{cookiecutter.project_name}}").mkdir(parents=True)
    (template / "cookiecutter.json").write_text('{"project_name": "x", "license": "MIT"}')
    (template / "{{cookiecutter.project_name}}" / "LICENSE").write_text("{{ cookiecutter.license }}")
    code, output = run_in_pty(
        ["eggbin", "init", "out", "--template", str(template)],
        [(b"project_name", b""), (b"license", b"BSD")],
    )
    assert code == 0, output
    assert b"(out)" in output or b"[out]" in output, output
    assert (tmp_path / "out" / "LICENSE").read_text() == "BSD"
