"""Memory of a 2-worker server tree: eggbin (foreground and `--daemon`) vs `uvicorn --workers 2` and
gunicorn + UvicornWorker, idle and after load.

    python bench/memory.py [--runs 3] [--workers 2] [--load 3]

Each subject serves the same hello handler (harness.HELLO_*) on 127.0.0.1. Once it answers and its
process tree has settled, RSS, USS and PSS (psutil's `memory_full_info`, from /proc/PID/smaps) are read
for every process of the tree: idle, then again after `wrk -t2 -c64 -d<load>s`. The tree is everything
the start command leaves running: for the foreground eggscripts start the process itself (it becomes
the master) and its descendants; for the daemon the master it detached and its descendants; for uvicorn
and gunicorn their supervisor and its descendants. USS (the pages only that process holds) is what
stopping it would free; PSS shares the common pages out; RSS counts them in every process.
Subjects are interleaved round by round; each eggbin form runs one command line (one port) every
round, after a warm-up round, so that its parse cache hits as on a deploy. Prints the tree table
(ratios to gunicorn's idle USS) and the per-process table; writes bench/results/memory.json and
memory_processes.json.
Targets (issue #16): eggbin tree USS <= 1.0x uvicorn --workers 2 and <= 1.3x gunicorn, both forms.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psutil
from harness import (
    Measurement,
    first_200,
    free_port,
    gunicorn_argv,
    report,
    stop_group,
    temporary_home,
    uvicorn_argv,
    write_hello_apps,
    wrk,
)

from eggbin.daemon.locate import role_of

BIN = Path(sys.executable).parent
MB = 1024 * 1024
TITLE = "egg-server-membench"
METRICS = ("rss", "uss", "pss")
# {process label: {metric: MB}} for one reading of one tree
Reading = dict[str, dict[str, float]]
Subject = Callable[[int], contextlib.AbstractContextManager[psutil.Process]]


def label_of(proc: psutil.Process, root: psutil.Process) -> str:
    """eggbin's role from its title; for the anchors, supervisor / worker / helper by position."""
    found = role_of(proc)
    if found is not None:
        return found[1]
    if proc.pid == root.pid:
        return "supervisor"
    cmdline = " ".join(proc.cmdline())
    return "resource tracker" if "resource_tracker" in cmdline else "worker"


def read_tree(root: psutil.Process) -> Reading:
    """Every process of the tree by label ("worker", "worker #2", ...), oldest first."""
    reading: Reading = {}
    procs = sorted([root, *root.children(recursive=True)], key=lambda p: p.create_time())
    for proc in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            info = proc.memory_full_info()
            label = label_of(proc, root)
            same = sum(key.startswith(label) for key in reading)
            values = {metric: getattr(info, metric) / MB for metric in METRICS}
            reading[f"{label} #{same + 1}" if same else label] = values
    return reading


def settled(root: psutil.Process, timeout: float = 30) -> None:
    """Wait until the tree keeps the same processes and USS within 1% for half a second."""
    deadline = time.monotonic() + timeout
    last: tuple[set[int], float] | None = None
    while time.monotonic() < deadline:
        now = tree_uss(root)
        if last and last[0] == now[0] and abs(last[1] - now[1]) <= 0.01 * now[1]:
            return
        last = now
        time.sleep(0.5)


def tree_uss(root: psutil.Process) -> tuple[set[int], float]:
    """The tree's live pids and their USS; a process that exits meanwhile (the zygote retiring at
    `egg-ready`, a short-lived helper) drops out, so the next reading differs and the wait goes on."""
    pids, uss = set(), 0.0
    for proc in [root, *root.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):
            uss += proc.memory_full_info().uss
            pids.add(proc.pid)
    return pids, uss


@contextlib.contextmanager
def foreground(argv: list[str], cwd: Path, port: int) -> Iterator[psutil.Process]:
    with httpx.Client(timeout=1) as client:
        popen = subprocess.Popen(
            argv, cwd=cwd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            first_200(client, f"http://127.0.0.1:{port}/", time.perf_counter())
            yield psutil.Process(popen.pid)
        finally:
            stop_group(popen)


def eggscripts_argv(app_dir: Path, workers: int, port: int) -> list[str]:
    argv = [str(BIN / "eggscripts"), "start", str(app_dir), "--workers", str(workers), "--port", str(port)]
    return [*argv, "--host", "127.0.0.1", "--title", TITLE]


@contextlib.contextmanager
def daemon(app_dir: Path, workers: int, port: int) -> Iterator[psutil.Process]:
    done = subprocess.run([*eggscripts_argv(app_dir, workers, port), "--daemon"], capture_output=True)
    try:
        if done.returncode != 0:
            raise RuntimeError(f"eggscripts start --daemon failed: {done.stderr.decode()}")
        yield next(p for p in psutil.process_iter() if role_of(p) == (TITLE, "master"))
    finally:
        subprocess.run([BIN / "eggscripts", "stop", str(app_dir)], capture_output=True, check=False)


def subjects(tmp: Path, app_dir: Path, workers: int) -> dict[str, Subject]:
    hello = "hello_starlette:app"
    return {
        "eggbin foreground": lambda port: foreground(eggscripts_argv(app_dir, workers, port), tmp, port),
        "eggbin --daemon": lambda port: daemon(app_dir, workers, port),  # (cwd: the bench's own)
        f"uvicorn --workers {workers}": lambda port: foreground(
            uvicorn_argv(hello, workers, port), tmp, port
        ),
        f"gunicorn -w {workers}": lambda port: foreground(gunicorn_argv(hello, workers, port), tmp, port),
    }


def measure(subject: Subject, load: int, port: int | None = None) -> tuple[Reading, Reading]:
    port = port or free_port()
    with subject(port) as root:
        settled(root)
        idle = read_tree(root)
        wrk(f"http://127.0.0.1:{port}/", load)
        settled(root)
        return idle, read_tree(root)


def tree_rows(samples: dict[str, list[tuple[Reading, Reading]]]) -> list[Measurement]:
    rows = []
    for metric in ("uss", "pss", "rss"):
        for phase, index in (("idle", 0), ("after load", 1)):
            for name, readings in samples.items():
                values = [sum(p[metric] for p in reading[index].values()) for reading in readings]
                rows.append(Measurement(f"{name}: tree {metric.upper()} {phase}", values, unit="MB"))
    return rows


def process_rows(samples: dict[str, list[tuple[Reading, Reading]]]) -> list[Measurement]:
    rows = []
    for name, readings in samples.items():
        for label in readings[0][0]:
            for phase, index in (("idle", 0), ("after load", 1)):
                for metric in METRICS:
                    values = [r[index][label][metric] for r in readings if label in r[index]]
                    rows.append(Measurement(f"{name} {label}: {metric.upper()} {phase}", values, unit="MB"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--load", type=int, default=3, help="seconds of wrk between the two readings")
    args = parser.parse_args()
    samples: dict[str, list[tuple[Reading, Reading]]] = {}
    with tempfile.TemporaryDirectory() as tmp_name, temporary_home():
        tmp = Path(tmp_name)
        app_dir = write_hello_apps(tmp)
        eggbin = {n: s for n, s in subjects(tmp, app_dir, args.workers).items() if n.startswith("eggbin")}
        # eggbin runs one command line per form every round, as a deploy does, so its parse cache hits
        # (as in bench/cluster.py); the warm-up round, not counted, is the one that parses with typer
        ports = {name: free_port() for name in eggbin}
        for name, subject in eggbin.items():
            with subject(ports[name]):
                pass
        for _ in range(args.runs):
            for name, subject in subjects(tmp, app_dir, args.workers).items():
                samples.setdefault(name, []).append(measure(subject, args.load, ports.get(name)))
    rows = tree_rows(samples)
    gunicorn, uvicorn = f"gunicorn -w {args.workers}", f"uvicorn --workers {args.workers}"
    medians = {m.subject: m.median for m in rows}
    ratios = []
    for egg in ("eggbin foreground", "eggbin --daemon"):
        for phase in ("idle", "after load"):
            uss = medians[f"{egg}: tree USS {phase}"]
            to_uvicorn = uss / medians[f"{uvicorn}: tree USS {phase}"]
            to_gunicorn = uss / medians[f"{gunicorn}: tree USS {phase}"]
            ratios.append(f"{egg} tree USS {phase}: {to_uvicorn:.2f}x uvicorn, {to_gunicorn:.2f}x gunicorn")
    notes = "targets: tree USS <= 1.0x uvicorn and <= 1.3x gunicorn\n" + "\n".join(ratios)
    report("memory", rows, anchor=f"{gunicorn}: tree USS idle", notes=notes)
    per_process = process_rows(samples)
    report("memory_processes", per_process)
    print_summary(per_process)


def print_summary(rows: list[Measurement]) -> None:
    """USS idle / after load per process, one line each (the detailed rows are in the JSON)."""
    print("\nper process, USS MB idle -> after load (medians)")
    for row in rows:
        if row.subject.endswith("USS idle"):
            loaded = next(r for r in rows if r.subject == row.subject.replace(" idle", " after load"))
            name = row.subject.removesuffix(": USS idle")
            print(f"  {name:<40} {statistics.median(row.samples):6.1f} -> {loaded.median:6.1f}")


if __name__ == "__main__":
    main()
