"""Production start/stop and throughput: `eggscripts` against gunicorn+UvicornWorker and egg-scripts.

    python bench/daemon.py [--runs 5] [--duration 10] [--no-egg] [--metrics]

Per subject, with 2 workers on 127.0.0.1: time for `start --daemon` to return, time from the start
command to the first 200, time for `stop` to return (with every process gone), and `wrk -t2 -c64` req/s
and p99 for `--duration` seconds. Anchors: egg-scripts (installed from npm into bench/.work/egg when
Node is available) and gunicorn -k uvicorn.workers.UvicornWorker on a raw ASGI hello app.
Targets (issue #8): start returns <= 0.6x egg-scripts' and <= 1.0 s; stop <= 0.5 s; req/s >= egg-scripts'
and >= 0.6x gunicorn+UvicornWorker (raw ASGI). `--metrics` turns the metrics plugin on in eggbin's app
(health is on in every app): start -> ready and stop must stay within the figures without it (issue #18).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from egg_anchor import bin_path, egg_app
from harness import RAW_ASGI_APP, Measurement, free_port, report, temporary_home, wrk

BIN = Path(sys.executable).parent
WORK = Path(__file__).resolve().parent / ".work"


@dataclass
class Subject:
    name: str
    start: list[str]
    stop: list[str]
    cwd: Path
    processes: str  # a command-line fragment that every process of this subject carries


def first_200(port: int, deadline: float) -> bool:
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as response:
                if response.status == 200:
                    return True
        except OSError:
            time.sleep(0.005)
    return False


def gone(fragment: str) -> bool:
    out = subprocess.run(["pgrep", "-f", fragment], capture_output=True, text=True).stdout.split()
    return not [pid for pid in out if int(pid) != os.getpid()]


def run_once(subject: Subject, port: int) -> tuple[float, float, float]:
    started = time.monotonic()
    subprocess.run(subject.start, cwd=subject.cwd, check=True, capture_output=True)
    returned = time.monotonic() - started
    if not first_200(port, started + 60):
        logs = "\n".join(p.read_text()[-2000:] for p in subject.cwd.glob("*.log"))
        raise RuntimeError(f"{subject.name} never answered on {port}\n{logs}")
    ready = time.monotonic() - started
    stop_started = time.monotonic()
    subprocess.run(subject.stop, cwd=subject.cwd, check=True, capture_output=True)
    while not gone(subject.processes) and time.monotonic() - stop_started < 30:
        time.sleep(0.005)
    return returned, ready, time.monotonic() - stop_started


def eggbin_subject(port: int, title: str, metrics: bool = False) -> Subject:
    app = WORK / "eggbin-hello"
    if not app.exists():
        subprocess.run([BIN / "eggbin", "init", str(app), "--yes"], check=True, capture_output=True)
    # Health on, drain off: a generated app drains 5 s after SIGTERM for its load balancer (a deliberate
    # wait, tested in tests/cluster/test_health_drain.py); this measures how fast the cluster stops.
    (app / "config" / "prod.py").write_text('config = {"health": {"drain_delay": 0}}\n')
    plugins = app / "config" / "plugin_prod.py"
    plugins.unlink(missing_ok=True)
    if metrics:
        plugins.write_text('plugins = {"metrics": True}\n')
    start = [str(BIN / "eggscripts"), "start", str(app), "--daemon", "--workers", "2", "--port", str(port)]
    start += ["--title", title, "--host", "127.0.0.1"]
    name = "eggscripts (metrics on)" if metrics else "eggscripts"
    return Subject(name, start, [str(BIN / "eggscripts"), "stop", str(app)], app, f"--title={title}")


def gunicorn_subject(port: int) -> Subject | None:
    if shutil.which("gunicorn", path=str(BIN)) is None:
        return None
    app = WORK / "raw-asgi"
    app.mkdir(parents=True, exist_ok=True)
    (app / "hello.py").write_text(RAW_ASGI_APP)
    pid = app / "gunicorn.pid"
    start = [str(BIN / "gunicorn"), "-k", "uvicorn.workers.UvicornWorker", "-w", "2", "--daemon"]
    start += [
        "-b",
        f"127.0.0.1:{port}",
        "--pid",
        str(pid),
        "--error-logfile",
        str(app / "error.log"),
        "hello:app",
    ]
    stop = ["sh", "-c", f"kill -TERM $(cat {pid})"]
    return Subject(
        "gunicorn+UvicornWorker (raw ASGI)", start, stop, app, "hello:app"
    )  # its retitled processes


def egg_subject(port: int, title: str) -> Subject | None:
    app = egg_app()
    if app is None:
        return None
    scripts = bin_path(app, "egg-scripts")
    start = [scripts, "start", "--daemon", "--workers=2", f"--port={port}", f"--title={title}"]
    return Subject("egg-scripts", start, [scripts, "stop", f"--title={title}"], app, f"--title={title}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3, help="wrk runs per subject, interleaved")
    parser.add_argument("--no-egg", action="store_true")
    parser.add_argument("--metrics", action="store_true", help="eggbin's app with the metrics plugin on")
    args = parser.parse_args()
    with temporary_home():  # the daemons' ~/logs, never the real one
        measure(args)


def measure(args: argparse.Namespace) -> None:
    ports = {name: free_port() for name in ("eggbin", "gunicorn", "egg")}
    candidates = [
        eggbin_subject(ports["eggbin"], "egg-server-bench", args.metrics),
        gunicorn_subject(ports["gunicorn"]),
        None if args.no_egg else egg_subject(ports["egg"], "egg-server-bench-node"),
    ]
    subjects = [(s, port) for s, port in zip(candidates, ports.values(), strict=True) if s is not None]
    rows: list[Measurement] = []
    for subject, port in subjects:
        timings = [run_once(subject, port) for _ in range(args.runs)]
        rows += [
            Measurement(f"{subject.name}: start returns", [t[0] for t in timings]),
            Measurement(f"{subject.name}: first 200", [t[1] for t in timings]),
            Measurement(f"{subject.name}: stop returns", [t[2] for t in timings]),
        ]
    rows += throughput(subjects, args.rounds, args.duration)
    report(
        "daemon",
        rows,
        notes="targets: start <= 0.6x egg-scripts and <= 1.0 s; stop <= 0.5 s; "
        "req/s >= egg-scripts and >= 0.6x gunicorn raw ASGI",
    )


def throughput(subjects: list[tuple[Subject, int]], rounds: int, duration: int) -> list[Measurement]:
    """req/s and p99 of every subject, all started at once and loaded in turn, round after round."""
    samples: dict[str, list[tuple[float, float]]] = {s.name: [] for s, _ in subjects}
    try:
        for subject, port in subjects:
            subprocess.run(subject.start, cwd=subject.cwd, check=True, capture_output=True)
            first_200(port, time.monotonic() + 60)
            wrk(f"http://127.0.0.1:{port}/", 2)  # warm-up
        for _ in range(rounds):
            for subject, port in subjects:
                samples[subject.name].append(wrk(f"http://127.0.0.1:{port}/", duration))
    finally:
        for subject, _ in subjects:
            subprocess.run(subject.stop, cwd=subject.cwd, capture_output=True)
            while not gone(subject.processes):
                time.sleep(0.01)
    rows = []
    for name, runs in samples.items():
        rows.append(Measurement(f"{name}: req/s", [r for r, _ in runs], unit="req/s"))
        rows.append(Measurement(f"{name}: p99", [p / 1000 for _, p in runs]))
    return rows


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.default_int_handler)
    main()
