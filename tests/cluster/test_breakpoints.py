"""`breakpoint()` in a child without the terminal (pdb itself: tests/e2e/test_dev_breakpoint.py)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from eggbin.cluster.breakpoints import holds_terminal, skipping_hook
from eggbin.cluster.options import ChildOptions, ClusterOptions


def _child(role: str, child_id: int, terminal_worker: int) -> ChildOptions:
    return ChildOptions(ClusterOptions("/app", 7001, terminal_worker=terminal_worker), role, child_id, 3)


def test_only_the_named_worker_holds_the_terminal() -> None:
    assert holds_terminal(_child("worker", 1, 1))
    assert not holds_terminal(_child("worker", 2, 1))
    assert not holds_terminal(_child("agent", 1, 1))
    assert not holds_terminal(_child("worker", 1, 0))  # eggscripts start, or dev without a terminal


@pytest.mark.parametrize(
    ("role", "terminal_worker", "why"),
    [
        ("worker", 1, "only worker#1 holds the terminal (`eggbin dev --workers 1` stops in every request)"),
        ("agent", 1, "only worker#1 holds the terminal"),
        ("worker", 0, "stdin is not a terminal (run `eggbin dev` in a terminal to get pdb)"),
    ],
)
def test_a_skipped_breakpoint_says_where_and_why_and_the_code_goes_on(
    capsys: pytest.CaptureFixture[str], role: str, terminal_worker: int, why: str
) -> None:
    skip = skipping_hook(_child(role, 2, terminal_worker))
    line = sys._getframe().f_lineno + 1
    skip()
    err = capsys.readouterr().err
    who = "agent" if role == "agent" else "worker#2"
    assert err.startswith(f"[{who}:{os.getpid()}] breakpoint() at {__file__}:{line} skipped: {why}")


SETUP = """
import sys
from eggbin.cluster.breakpoints import setup
from eggbin.cluster.options import ChildOptions, ClusterOptions

setup(ChildOptions(ClusterOptions("/app", 7001, terminal_worker=1), "worker", 2, 3))
print(repr(sys.stdin.read()), sys.breakpointhook is sys.__breakpointhook__)
breakpoint()
print("went on")
"""


@pytest.mark.parametrize(("pythonbreakpoint", "hooked"), [(None, True), ("0", False)])
def test_a_child_without_the_terminal_reads_dev_null_and_pythonbreakpoint_wins(
    pythonbreakpoint: str | None, hooked: bool
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONBREAKPOINT"}
    if pythonbreakpoint is not None:
        env["PYTHONBREAKPOINT"] = pythonbreakpoint
    done = subprocess.run(
        [sys.executable, "-c", SETUP],
        input="typed by nobody",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [f"'' {not hooked}", "went on"]
    assert ("skipped: only worker#1 holds the terminal" in done.stderr) is hooked
