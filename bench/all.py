"""Every figure of issue #16's table in one run, each against its anchors: run this on an idle machine.

    python bench/all.py [--quick] [--only cluster,memory]

Runs, one after the other (each interleaves its own subjects and prints its own table):

    cli_start   `eggbin --help` and subcommands' `--help` vs a bare Typer app
    reload      `eggbin dev` -> first 200 and a reload vs `uvicorn --reload` (0 failed requests)
    cluster     spawn -> egg-ready (1, 2, 4 workers), `eggscripts start` foreground and `--daemon`
                -> first 200 and the daemon's return after egg-ready, vs gunicorn + UvicornWorker
    memory      RSS / USS / PSS per process and per tree, 2 workers, idle and after load, eggbin
                foreground and daemon vs `uvicorn --workers 2` and gunicorn + UvicornWorker
    testrun     `eggbin test` vs bare pytest (and egg-bin test on egg's boilerplate)
    testrun_overhead  the same with one trivial test: `eggbin test`'s overhead alone (issue #16's figure)
    init        `eggbin init` vs bare cookiecutter
    throughput  hello world req/s and p99 vs Starlette (2 workers)
    jsonapi     JSON POST (pydantic body) and a 20-item JSON list vs FastAPI and Starlette

`--quick` cuts the repetitions (a smoke run, not figures to quote). The JSON of every script lands in
bench/results/; this script adds bench/results/all.json naming each step, its command and exit code.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from harness import RESULTS

HERE = Path(__file__).resolve().parent
# step -> (script, arguments of a full run, arguments of a quick run)
STEPS: dict[str, tuple[str, list[str], list[str]]] = {
    "cli_start": ("cli_start.py", [], ["--runs", "5"]),
    "reload": ("reload.py", ["--starts", "9"], ["--reloads", "3", "--starts", "2"]),
    "cluster": ("cluster.py", ["--runs", "7"], ["--runs", "1", "--workers", "2"]),
    "memory": ("memory.py", ["--runs", "3"], ["--runs", "1", "--load", "1"]),
    "testrun": ("testrun.py", [], ["--runs", "3", "--no-egg"]),
    "testrun_overhead": ("testrun.py", ["--trivial", "--no-egg"], ["--trivial", "--runs", "3", "--no-egg"]),
    "init": ("init.py", [], ["--runs", "3"]),
    "throughput": (
        "throughput.py",
        ["--workers", "2", "--rounds", "3"],
        ["--workers", "2", "--duration", "2"],
    ),
    "jsonapi": ("jsonapi.py", [], ["--rounds", "1", "--duration", "2"]),
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer repetitions: a smoke run")
    parser.add_argument("--only", default=",".join(STEPS), help="comma-separated steps (default: all)")
    args = parser.parse_args()
    chosen = [step.strip() for step in args.only.split(",") if step.strip()]
    unknown = [step for step in chosen if step not in STEPS]
    if unknown:
        sys.exit(f"unknown step(s) {', '.join(unknown)}; steps: {', '.join(STEPS)}")
    summary = []
    for step in chosen:
        script, full, quick = STEPS[step]
        argv = [sys.executable, str(HERE / script), *(quick if args.quick else full)]
        print(f"\n=== {step}: {' '.join(argv[1:])}", flush=True)
        started = time.monotonic()
        code = subprocess.run(argv, cwd=HERE).returncode
        summary.append({"step": step, "argv": argv[1:], "exit": code, "seconds": time.monotonic() - started})
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "all.json").write_text(json.dumps({"quick": args.quick, "steps": summary}, indent=2))
    print("\nstep              exit  seconds")
    for item in summary:
        print(f"{item['step']:<17} {item['exit']:>4}  {item['seconds']:7.0f}")
    if any(item["exit"] for item in summary):
        sys.exit(1)


if __name__ == "__main__":
    main()
