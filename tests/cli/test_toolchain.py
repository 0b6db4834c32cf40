"""A production install has no toolchain: each `eggbin` command says, in one line, what to install."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from eggbin.cli import eggbin_app, run
from tests.support import FIXTURE_APPS

INSTALL = "install it with `pip install 'eggbin[dev]'`"


def invoke(*argv: str) -> int:
    with pytest.raises(SystemExit) as exited:
        run(eggbin_app, list(argv))
    return int(exited.value.code or 0)


def hide(monkeypatch: pytest.MonkeyPatch, *modules: str) -> None:
    """As if never installed: `find_spec` answers None and `import` fails for a None in sys.modules."""
    for module in modules:
        monkeypatch.setitem(sys.modules, module, None)


APP = str(FIXTURE_APPS / "daemon_hello")


@pytest.mark.parametrize(
    ("argv", "hidden", "message"),
    [
        (["init", "demo", "--yes"], ("cookiecutter",), "`eggbin init` needs cookiecutter, which is"),
        (["dev", "--base", APP], ("watchfiles",), "`eggbin dev` needs watchfiles, which is"),
        (["debug", "--base", APP], ("debugpy",), "`eggbin debug` needs debugpy, which is"),
        (
            ["debug", "--base", APP],
            ("watchfiles", "debugpy"),
            "`eggbin debug` needs watchfiles and debugpy, which are",
        ),
        (["test", "--base", APP], ("pytest",), "`eggbin test` needs pytest, which is"),
        (["cov", "--base", APP], ("coverage",), "`eggbin cov` needs coverage, which is"),
    ],
)
def test_a_command_without_its_toolchain_says_what_to_install(
    argv: list[str],
    hidden: tuple[str, ...],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    hide(monkeypatch, *hidden)
    assert invoke(*argv) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err  # one line
    assert err.startswith(f"error: {message} not installed (a production install of eggbin has no toolchain)")
    assert err.rstrip().endswith(INSTALL)
    assert not (tmp_path / "demo").exists()  # nothing was done


def test_help_needs_no_toolchain(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    hide(monkeypatch, "cookiecutter", "watchfiles", "debugpy", "coverage")
    assert invoke("--help") == 0
    assert invoke("dev", "--help") == 0
    assert "Examples:" in capsys.readouterr().out
