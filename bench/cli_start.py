"""CLI start-up: every `--help`, and the CLI's time before `eggbin dev/test` and `eggscripts start` work.

    python bench/cli_start.py [--runs 20] [--baseline BIN_DIR] [--instructions]

Targets (issue #16): every `--help` (eggbin, its commands, eggscripts, its commands, `python -m eggbin`)
<= 80 ms; `eggbin dev`, `eggbin test` and `eggscripts start` spend as little as possible before their
work starts (the master's launch, `pytest.main`, becoming the master). Rounds are interleaved (one
run of every subject per round) and CPU time is reported beside wall time: on a loaded machine compare
the ratios to `python -c pass` of one run. A help is answered from the help cache after its first run
(`eggbin.cli.help_cache`), a command from the parse cache (`eggbin.cli.parse_cache`), as users hit them
from their second run on (the warm-up round fills both); the "(no cache)" rows are a first run, typer's
whole cost. `--baseline` adds
the same rows for another install's `eggbin` (e.g. a venv of the previous commit). `--instructions`
counts each subject's CPU instructions once under valgrind's callgrind instead: numbers load does not move.
"""

from __future__ import annotations

import argparse
import functools
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from harness import Measurement, interleaved, report, run_timed

BARE_TYPER = '''
import typer
app = typer.Typer()
@app.command()
def init(name: str = "x"):
    """Scaffold."""
@app.command()
def dev(port: int = 0):
    """Serve."""
app()
'''
# Each runs a command up to the moment its work starts, then exits: the CLI's share of the command.
# The cluster's share is bench/reload.py's and bench/cluster.py's, pytest's bench/testrun.py's.
# The master's launch is a spawn or exec (typer imported) or, on the parse cache's fast path, a fork or
# this very process becoming the master (eggbin/cluster/become.py, itself imported by either path).
BECOME = (
    "try:\n    import eggbin.cluster.become as b\n"
    "    b.fork_master = b.become_master = lambda *a, **k: os._exit(0)\n"
    "except ImportError:\n    pass  # an eggbin from before it (--baseline)\n"
)
UNTIL_WORK = {
    "eggbin dev: CLI until the master's launch": (
        "import os, subprocess\nsubprocess.Popen.__init__ = lambda *a, **k: os._exit(0)\n" + BECOME,
        "eggbin",
        ["dev", "--port", "7391"],
    ),
    "eggbin test: CLI until pytest.main": (
        "import os, pytest\npytest.main = lambda *a, **k: os._exit(0)\n",
        "eggbin",
        ["test"],
    ),
    "eggscripts start: CLI until it becomes the master": (
        "import os\nos.execv = lambda *a: os._exit(0)\n" + BECOME,
        "eggscripts",
        ["start", "--port", "7392"],
    ),
}
HELPS = {
    "eggbin": ([], ["init"], ["dev"], ["debug"], ["test"], ["cov"]),
    "eggscripts": ([], ["start"], ["stop"], ["status"], ["reload"]),
}
Subject = functools.partial[tuple[float, float]]  # run_timed(argv, cwd=..., env=...)


def launcher(prog: str, argv: list[str], prefix: str = "") -> str:
    run = f"from eggbin.cli import {prog}_main\n{prog}_main()\n"
    return f"{prefix}import sys\nsys.argv = {[prog, *argv]!r}\n{run}"


def subjects(bin_dir: Path, suffix: str, app: Path, env: dict[str, str]) -> dict[str, Subject]:
    found: dict[str, Subject] = {}
    python = str(bin_dir / "python")
    for program, commands in HELPS.items():
        for command in commands:
            argv = [str(bin_dir / program), *command, "--help"]
            found[f"{' '.join([program, *command])} --help{suffix}"] = functools.partial(
                run_timed, argv, cwd=app, env=env
            )
    module = [python, "-m", "eggbin", "--help"]
    found[f"python -m eggbin --help{suffix}"] = functools.partial(run_timed, module, cwd=app, env=env)
    version = [str(bin_dir / "eggbin"), "--version"]
    found[f"eggbin --version{suffix}"] = functools.partial(run_timed, version, cwd=app, env=env)
    uncached = {**env, "XDG_CACHE_HOME": str(app / "pyproject.toml")}  # a file: no cache can live there
    for program, command in (("eggbin", "dev"), ("eggscripts", "start")):
        argv = [str(bin_dir / program), command, "--help"]
        found[f"{program} {command} --help (no cache){suffix}"] = functools.partial(
            run_timed, argv, cwd=app, env=uncached
        )
    for name, (prefix, prog, argv) in UNTIL_WORK.items():
        code = launcher(prog, argv, prefix)
        found[f"{name}{suffix}"] = functools.partial(run_timed, [python, "-c", code], cwd=app, env=env)
        found[f"{name} (no cache){suffix}"] = functools.partial(
            run_timed, [python, "-c", code], cwd=app, env=uncached
        )
    return found


def instructions(subject: Subject) -> float:
    """Millions of CPU instructions of one run of `subject` under callgrind (a cache warmed beforehand)."""
    subject()
    argv = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *subject.args[0]]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600, **subject.keywords)
    return int(re.search(r"Collected : (\d+)", done.stderr).group(1)) / 1e6  # type: ignore[union-attr]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--baseline", type=Path, help="bin dir of another eggbin install to compare")
    parser.add_argument("--instructions", action="store_true", help="callgrind instruction counts")
    options = parser.parse_args()
    here = Path(sys.executable).parent
    with tempfile.TemporaryDirectory(prefix="eggbin-bench-cli-") as tmp:
        work = Path(tmp)
        env = {**os.environ, "HOME": str(work)}
        env.pop("XDG_CACHE_HOME", None)
        subprocess.run(
            [str(here / "eggbin"), "init", "hello", "--yes"],
            cwd=work,
            env=env,
            check=True,
            capture_output=True,
        )
        app = work / "hello"
        bare = work / "bare_typer.py"
        bare.write_text(BARE_TYPER)
        runs: dict[str, Subject] = {
            "python -c pass": functools.partial(run_timed, [sys.executable, "-c", "pass"], cwd=app, env=env),
            "bare typer --help": functools.partial(
                run_timed, [sys.executable, str(bare), "--help"], cwd=app, env=env
            ),
            **subjects(here, "", app, env),
        }
        if options.baseline:
            runs.update(subjects(options.baseline, " (baseline)", app, env))
        if options.instructions:
            counted = [Measurement(name, [instructions(run)], unit="M instr") for name, run in runs.items()]
            report("cli_start_instructions", counted, anchor="python -c pass")
            return
        rows = interleaved(runs, options.runs)
    helps = [m for m in rows if m.subject.endswith("--help") and "bare" not in m.subject]
    worst = max(helps, key=lambda m: m.median)
    pass_ = next(m for m in rows if m.subject == "python -c pass").median
    notes = (
        f"slowest cached --help: {worst.subject} {worst.median * 1000:.0f} ms (target <= 80 ms; "
        f"python -c pass {pass_ * 1000:.0f} ms in this run: on an idle machine it is ~10 ms)"
    )
    report("cli_start", [m for m in rows if not m.subject.endswith("[cpu]")], anchor="python -c pass")
    cpu = [m for m in rows if m.subject.endswith("[cpu]")]
    report("cli_start_cpu", cpu, anchor="python -c pass [cpu]", notes=notes)


if __name__ == "__main__":
    main()
