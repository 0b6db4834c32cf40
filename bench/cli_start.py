"""CLI start-up: every `--help`, and `eggbin dev`'s time in the CLI before it launches the master.

    python bench/cli_start.py [--runs 20] [--baseline BIN_DIR]

Targets (issue #16): every `--help` (eggbin, its commands, eggscripts, its commands) <= 80 ms; `eggbin dev`
spends as little as possible before it launches the master. Rounds are interleaved (one run of every
subject per round) and CPU time is reported beside wall time: on a loaded machine compare the ratios to
`python -c pass` of one run. `--baseline` adds the same rows for another install's `eggbin` (e.g. a
venv of the previous commit) to compare before/after in one run.
"""

from __future__ import annotations

import argparse
import functools
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from harness import interleaved, report, run_timed

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
# Runs `eggbin dev` up to the moment it launches the master (the first subprocess), then exits: the
# CLI's share of `eggbin dev` → first 200, the cluster's is bench/reload.py's and bench/cluster.py's.
UNTIL_MASTER = """
import os, subprocess, sys
def launched(*args, **kwargs):
    os._exit(0)
subprocess.Popen.__init__ = launched
sys.argv = ["eggbin", "dev", "--port", "7391"]
from eggbin.cli import eggbin_main
eggbin_main()
"""
HELPS = {
    "eggbin": ([], ["init"], ["dev"], ["debug"], ["test"], ["cov"]),
    "eggscripts": ([], ["start"], ["stop"], ["status"], ["reload"]),
}


def subjects(
    bin_dir: Path, suffix: str, app: Path, env: dict[str, str]
) -> dict[str, functools.partial[tuple[float, float]]]:
    found = {}
    for program, commands in HELPS.items():
        for command in commands:
            argv = [str(bin_dir / program), *command, "--help"]
            found[f"{' '.join([program, *command])} --help{suffix}"] = functools.partial(
                run_timed, argv, env=env
            )
    python = str(bin_dir / "python")
    until = functools.partial(run_timed, [python, "-c", UNTIL_MASTER], cwd=app, env=env)
    found[f"eggbin dev: CLI until the master's launch{suffix}"] = until
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--baseline", type=Path, help="bin dir of another eggbin install to compare")
    options = parser.parse_args()
    here = Path(sys.executable).parent
    with tempfile.TemporaryDirectory(prefix="eggbin-bench-cli-") as tmp:
        work = Path(tmp)
        env = {**os.environ, "HOME": str(work)}
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
        runs = {
            "python -c pass": functools.partial(run_timed, [sys.executable, "-c", "pass"], env=env),
            "bare typer --help": functools.partial(run_timed, [sys.executable, str(bare), "--help"], env=env),
            **subjects(here, "", app, env),
        }
        if options.baseline:
            runs.update(subjects(options.baseline, " (baseline)", app, env))
        rows = interleaved(
            {name: functools.partial(fn, cwd=app) if "help" in name else fn for name, fn in runs.items()},
            options.runs,
        )
    helps = [
        m
        for m in rows
        if m.subject.endswith("--help") and "[cpu]" not in m.subject and "bare" not in m.subject
    ]
    worst = max(helps, key=lambda m: m.median)
    pass_ = next(m for m in rows if m.subject == "python -c pass").median
    notes = (
        f"slowest --help: {worst.subject} {worst.median * 1000:.0f} ms (target <= 80 ms; "
        f"python -c pass {pass_ * 1000:.0f} ms in this run: on an idle machine it is ~10 ms)"
    )
    report("cli_start", [m for m in rows if not m.subject.endswith("[cpu]")], anchor="python -c pass")
    cpu = [m for m in rows if m.subject.endswith("[cpu]")]
    report("cli_start_cpu", cpu, anchor="python -c pass [cpu]", notes=notes)


if __name__ == "__main__":
    main()
