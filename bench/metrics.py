"""What the metrics plugin costs: hello req/s of real clusters with it off and on, and CPU instructions
per request off, on, and before the plugin existed.

    python bench/metrics.py [--duration 10] [--rounds 5] [--requests 3000] [--before REF] [--no-instructions]

Throughput: two `eggscripts start --daemon --workers 2` clusters of throughput.py's hello app on
127.0.0.1, one with `plugins = {"metrics": True}` (multiprocess mode, as in production), loaded in turn
with `wrk -t2 -c64` round after round: a noisy neighbour hurts both alike, and each round's on/off
ratio is reported with the median of the ratios. Target (issue #18): on >= 0.95x off.

Instructions (valgrind's callgrind, a number a loaded machine does not move): the in-process server of
request_instructions.py serving the same app: `off`, `on` (the plugin in multiprocess mode, its files
in the app's run/), and `before` (eggbin exported from git `REF`, default the merge base with `main`,
the code before this plugin existed). Target: off == before (zero cost when off).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from daemon import BIN, WORK, Subject, first_200, free_port, gone
from harness import Measurement, report, wrk
from throughput import EGG_APP, write_tree

ROOT = Path(__file__).resolve().parent.parent
METRICS_ON = 'plugins = {"metrics": True}\n'
CONFIG = 'config = {"keys": "bench", "logger": {"console": False}}\n'


def cluster_subject(name: str, metrics: bool) -> tuple[Subject, int]:
    app = WORK / f"metrics-{name}"
    shutil.rmtree(app, ignore_errors=True)
    write_tree(
        app, {**EGG_APP, "config/default.py": CONFIG, **({"config/plugin.py": METRICS_ON} if metrics else {})}
    )
    port, title = free_port(), f"egg-server-bench-metrics-{name}"
    start = [str(BIN / "eggscripts"), "start", str(app), "--daemon", "--workers", "2", "--port", str(port)]
    start += ["--title", title, "--host", "127.0.0.1"]
    stop = [str(BIN / "eggscripts"), "stop", str(app)]
    return Subject(f"metrics {name}", start, stop, app, f"--title={title}"), port


def throughput(rounds: int, duration: int) -> list[Measurement]:
    subjects = [cluster_subject("off", False), cluster_subject("on", True)]
    samples: dict[str, list[tuple[float, float]]] = {s.name: [] for s, _ in subjects}
    try:
        for subject, port in subjects:
            subprocess.run(subject.start, cwd=subject.cwd, check=True, capture_output=True)
            if not first_200(port, time.monotonic() + 60):
                raise RuntimeError(f"{subject.name} never answered on {port}")
            wrk(f"http://127.0.0.1:{port}/", 2)  # warm-up
        for _ in range(rounds):
            for subject, port in subjects:
                samples[subject.name].append(wrk(f"http://127.0.0.1:{port}/", duration))
        on_port = subjects[1][1]
        scrape = subprocess.run(["curl", "-sf", f"http://127.0.0.1:{on_port}/metrics"], capture_output=True)
        counted = re.search(
            rb'eggbin_http_requests_total\{method="GET",route="/",status="200"\} (\S+)', scrape.stdout
        )
        print(f"metrics on: the scrape counted {float(counted.group(1)) if counted else '?'} GET / requests")
    finally:
        for subject, _ in subjects:
            subprocess.run(subject.stop, cwd=subject.cwd, capture_output=True)
            while not gone(subject.processes):
                time.sleep(0.01)
    ratios = [on[0] / off[0] for off, on in zip(samples["metrics off"], samples["metrics on"], strict=True)]
    rows = []
    for name, runs in samples.items():
        rows.append(Measurement(f"{name}: req/s", [r for r, _ in runs], unit="req/s"))
        rows.append(Measurement(f"{name}: p99", [p / 1000 for _, p in runs]))
    rows.append(Measurement("on/off req/s, per round", ratios, unit="x"))
    return rows


def serve(app_dir: str, requests: int, metrics: bool) -> None:
    """Run in the child: request_instructions.py's server; the app boots as a cluster worker if `metrics`."""
    from request_instructions import serve as serve_in_process

    def as_worker(app: Any) -> None:
        app.cluster_key = "bench"  # what the cluster sets: the plugin takes multiprocess mode

    serve_in_process("workers", app_dir, requests, as_worker if metrics else None)


def instructions(app_dir: Path, requests: int, metrics: bool, pythonpath: str | None) -> int:
    argv = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, __file__]
    argv += ["--serve", str(app_dir), str(requests), "on" if metrics else "off"]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    out = subprocess.run(argv, capture_output=True, text=True, check=True, env=env).stderr
    return int(re.search(r"Collected : (\d+)", out).group(1))  # type: ignore[union-attr]


def per_request(requests: int, tmp: Path, name: str, metrics: bool, pythonpath: str | None = None) -> float:
    app_dir = tmp / name
    write_tree(
        app_dir,
        {**EGG_APP, "config/default.py": CONFIG, **({"config/plugin.py": METRICS_ON} if metrics else {})},
    )
    (app_dir / "run").mkdir(mode=0o700, exist_ok=True)
    return (
        instructions(app_dir, requests, metrics, pythonpath) - instructions(app_dir, 0, metrics, pythonpath)
    ) / requests


def export(ref: str, into: Path) -> str:
    """eggbin's package as of git `ref`, for PYTHONPATH."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref, "eggbin"], capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    # compiled now: otherwise the first measured run would compile it and the second would not
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(into / "eggbin")], check=True)
    return str(into)


def instruction_rows(requests: int, before: str) -> list[Measurement]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "before").mkdir()
        old = export(before, root / "before")
        rows = [
            Measurement(
                f"before ({before[:12]})",
                [per_request(requests, root, "before-app", False, old)],
                "instr/request",
            ),
            Measurement("metrics off", [per_request(requests, root, "off", False)], "instr/request"),
            Measurement("metrics on", [per_request(requests, root, "on", True)], "instr/request"),
        ]
    return rows


def main() -> None:
    if sys.argv[1:2] == ["--serve"]:
        serve(sys.argv[2], int(sys.argv[3]), sys.argv[4] == "on")
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument(
        "--before", default="", help="git ref of eggbin before the plugin (default: merge base with main)"
    )
    parser.add_argument("--no-instructions", action="store_true")
    parser.add_argument("--no-throughput", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("HOME", str(WORK))
    rows: list[Measurement] = []
    if not args.no_instructions:
        before = (
            args.before
            or subprocess.run(
                ["git", "-C", str(ROOT), "merge-base", "HEAD", "main"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        )
        rows += instruction_rows(args.requests, before)
    if not args.no_throughput:
        rows += throughput(args.rounds, args.duration)
    report("metrics", rows, notes="targets: on >= 0.95x off req/s; off == before instr/request")


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.default_int_handler)
    main()
