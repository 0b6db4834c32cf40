"""Shell completions: generated from the live CLI, shipped, and working in a real bash."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

import pytest

from eggbin.bundled import bundled_dir
from eggbin.completion import FILE_NAMES, PROGRAMS, generate, main
from tests.support import REPO

COMPLETIONS = REPO / "completions"
EXPECTED = sorted(pattern.format(prog=prog) for prog in PROGRAMS for pattern in FILE_NAMES.values())


def test_committed_completions_match_the_cli(tmp_path: Path) -> None:
    """Fails when the CLI changes and nobody ran `python -m eggbin.completion`."""
    fresh = generate(tmp_path / "fresh")
    assert sorted(p.name for p in fresh) == EXPECTED
    for path in fresh:
        committed = COMPLETIONS / path.name
        assert committed.is_file(), f"{committed} is missing; run `python -m eggbin.completion`"
        assert committed.read_text() == path.read_text(), (
            f"{committed} drifted; run `python -m eggbin.completion`"
        )


def test_completions_are_found_where_the_wheel_puts_them() -> None:
    assert set(EXPECTED) <= {p.name for p in bundled_dir("completions").iterdir()}


def test_zsh_script_starts_with_compdef() -> None:
    for prog in PROGRAMS:
        assert (COMPLETIONS / f"_{prog}").read_text().startswith(f"#compdef {prog}\n")


def test_main_writes_into_a_given_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "out")]) == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == EXPECTED
    assert capsys.readouterr().out.count("\n") == len(EXPECTED)


def complete_in_bash(prog: str, words: list[str]) -> list[str]:
    """Source completions/<prog>.bash in a real bash and run its function as bash would on <Tab>."""
    script = COMPLETIONS / f"{prog}.bash"
    line = " ".join(shlex.quote(w) for w in words)
    program = (
        f"source {shlex.quote(str(script))}\n"
        f"COMP_WORDS=({line}); COMP_CWORD={len(words) - 1}\n"
        f"_{prog}_completion {prog} {shlex.quote(words[-1])} {shlex.quote(words[-2])}\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    done = subprocess.run(["bash", "-c", program], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_bash_completes_eggbin_commands() -> None:
    assert complete_in_bash("eggbin", ["eggbin", ""]) == ["init", "dev", "debug", "test", "cov"]


def test_bash_completes_the_project_types() -> None:
    assert complete_in_bash("eggbin", ["eggbin", "init", "--type", ""]) == ["simple", "plugin", "framework"]


def test_bash_completes_options_by_prefix() -> None:
    assert "--template" in complete_in_bash("eggbin", ["eggbin", "init", "--te"])


def test_bash_completes_eggscripts_commands() -> None:
    assert complete_in_bash("eggscripts", ["eggscripts", ""]) == ["start", "stop", "status", "reload"]


def ask_console_script(prog: str, shell: str, line: str) -> str:
    """What the zsh and fish scripts do on <Tab>: call the console script back with the command line."""
    env = {**os.environ, f"_{prog.upper()}_COMPLETE": f"complete_{shell}", "_TYPER_COMPLETE_ARGS": line}
    if shell == "fish":
        env["_TYPER_COMPLETE_FISH_ACTION"] = "get-args"
    done = subprocess.run([prog], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_zsh_gets_the_project_types() -> None:
    out = ask_console_script("eggbin", "zsh", "eggbin init --type ")
    assert out.startswith("_arguments")
    for kind in ("simple", "plugin", "framework"):
        assert f'"{kind}"' in out


def test_fish_gets_the_commands_with_their_help() -> None:
    out = ask_console_script("eggscripts", "fish", "eggscripts ")
    assert [line.split("\t")[0] for line in out.splitlines()] == ["start", "stop", "status", "reload"]
