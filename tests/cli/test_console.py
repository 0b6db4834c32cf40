"""Diagnostics and results: plain text (and no rich import) where no colour can show."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from eggbin import console


def test_plain_lines_when_not_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    console.error("it broke [here]")
    console.warn("careful")
    console.info("[eggbin] ready")
    console.result("Created x", "Created [bold]x[/]")
    captured = capsys.readouterr()
    assert captured.err == "error: it broke [here]\nwarning: careful\n[eggbin] ready\n"
    assert captured.out == "Created x\n"


def test_force_color_styles_even_through_a_pipe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert console.plain(sys.stderr) is False
    monkeypatch.setenv("NO_COLOR", "1")  # NO_COLOR wins
    assert console.plain(sys.stderr) is True


def test_an_error_through_a_pipe_never_imports_rich(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import sys
        from eggbin.cli import eggbin_app, run
        try:
            run(eggbin_app, ["dev", "--base", {str(tmp_path / "missing")!r}])
        except SystemExit as exit:
            print("exit", exit.code, "rich" in sys.modules)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.stdout == "exit 1 False\n", done.stderr
    assert done.stderr.startswith("error: ")
