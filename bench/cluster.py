"""Cluster start-up: eggbin's master/agent/workers against gunicorn and uvicorn, same run, interleaved.

    python bench/cluster.py [--runs 5] [--workers 1,2,4]
    python bench/cluster.py --trace [--workers 1,2,4]    (no anchors: one start's timeline per count)
    python bench/cluster.py --trace --trace-runs 7       (median time, CPU and faults per milestone, 7 starts)
    python bench/cluster.py --before /path/to/other/checkout [--runs 9]   (eggbin against another eggbin)
    python bench/cluster.py --preload-instructions       (the zygote's imports, callgrind)

Each subject serves the same hello handler ("hi, egg") on a free 127.0.0.1 port: eggbin as an app
(router + controller), uvicorn and gunicorn + UvicornWorker as a Starlette app. Every subject's HTTP
client is made before its start, and every start is timed from spawn to the first 200:

- `eggbin Nw: egg-ready`: the master spawned directly (`ClusterProcess.start`, as `eggbin dev` and
  `eggscripts start` do) to its `egg-ready` message; also its first 200.
- `eggscripts start Nw`: the console script in the foreground (it becomes the master) to the first 200.
- `eggscripts start --daemon Nw`: to the first 200, and from `egg-ready` to the command's return.
  Both run the same command line (one port each) every round, as a deploy does: after the warm-up
  round their parse cache spares them Typer (`bench/cli_start.py` prices the first, uncached run).
- `tree CPU` (all but the daemon, whose master is not this script's descendant): user + system time of the
  whole process tree from spawn to stopped (`RUSAGE_CHILDREN`; load-independent, unlike the wall times).

`--trace` starts eggbin once per worker count (after a warm-up start) with `EGGBIN_START_TRACE=1` and
prints every process's milestones merged in time order (eggbin/cluster/start_trace.py): where the
critical path runs and where it waits, with each process's CPU time. With `--trace-runs N`, each
milestone's median time, CPU and minor page faults over N starts (the CPU and fault columns move little
with the machine's load; in a forked child the faults are mostly copy-on-write).
Every start after the first finds the settings check's verdict cached (eggbin/web/settings/verdict_cache.py),
as a user's second start does.

`--before DIR` starts eggbin alone, as `eggbin Nw: egg-ready` does, alternately from this tree and from
the tree at DIR (its `eggbin` package put first on `PYTHONPATH`), a driver process per start whose
`RUSAGE_CHILDREN` is that start's tree CPU: a before/after comparison under the same load.
`--preload-instructions` counts, under valgrind's callgrind, the CPU instructions of the zygote's imports:
what the agent needs (`preload_agent`) and what workers need (`preload_worker`), a figure load does not move.

Targets (issue #16): eggbin egg-ready <= 1.0x gunicorn's first 200 at the same worker count;
`eggscripts start` (both forms) first 200 <= 1.5x gunicorn's; `--daemon` returns <= 20 ms after egg-ready.
gunicorn is optional (`pip install gunicorn`): without it its rows are skipped and uvicorn is the anchor.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
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
)

from eggbin.cluster import start_trace
from eggbin.cluster.launch import ClusterProcess
from eggbin.cluster.options import ClusterOptions

BIN = Path(sys.executable).parent
Once = Callable[[], dict[str, float]]


def run_eggbin(app_dir: Path, workers: int) -> dict[str, float]:
    """The master spawned as `eggscripts start` spawns it (zygote on): to egg-ready and to the first 200."""
    port = free_port()
    options = ClusterOptions(
        base_dir=str(app_dir), port=port, workers=workers, env="prod", title="egg-bench", zygote=True,
        keep_zygote=False,  # as `eggscripts start` has it: the zygote leaves at egg-ready
    )  # fmt: skip
    with httpx.Client(timeout=1) as client:  # made before the start, as for every subject
        cpu = children_cpu()
        started = time.perf_counter()
        cluster = ClusterProcess.start(options, new_session=True, stderr=subprocess.DEVNULL)
        try:
            cluster.wait_ready(60)
            to_ready = time.perf_counter() - started
            to_200 = first_200(client, f"http://127.0.0.1:{port}/", started)
        finally:
            cluster.stop(15)
    return {"egg-ready": to_ready, "first 200": to_200, "tree CPU": children_cpu() - cpu}


def children_cpu() -> float:
    """User + system seconds of every reaped descendant so far (each waited for by its own parent)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def trace_eggbin(app_dir: Path, workers: int) -> list[str]:
    """One start of the master as `run_eggbin` makes it, traced: its merged `[start-trace]` lines."""
    os.environ[start_trace.ENV] = "1"
    try:
        with tempfile.TemporaryFile() as errors:
            options = ClusterOptions(
                base_dir=str(app_dir), port=free_port(), workers=workers, env="prod", title="egg-bench",
                zygote=True, keep_zygote=False,
            )  # fmt: skip
            cluster = ClusterProcess.start(options, new_session=True, stderr=errors)
            try:
                cluster.wait_ready(60)
            finally:
                cluster.stop(15)
            errors.seek(0)
            lines = [line for line in errors.read().decode().splitlines() if line.startswith("[start-trace]")]
    finally:
        del os.environ[start_trace.ENV]
    return sorted(lines, key=lambda line: float(line.split()[1]))


AB_DRIVER = """
import json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[3])
import cluster
print(json.dumps(cluster.run_eggbin(Path(sys.argv[1]), int(sys.argv[2]))))
"""


def compare_trees(app_dir: Path, workers: int, runs: int, before: Path) -> list[Measurement]:
    """eggbin from this tree and from `before`, alternately (after one warm-up start of each)."""
    trees = {"before": str(before), "after": str(Path(__file__).resolve().parent.parent)}
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
    for run in range(runs + 1):
        for name, tree in trees.items():
            env = {**os.environ, "PYTHONPATH": tree}
            argv = [sys.executable, "-c", AB_DRIVER, str(app_dir), str(workers), str(Path(__file__).parent)]
            # not this checkout's cwd: `python -c` and the master's `python -m` put the cwd first on
            # sys.path, where an `eggbin/` package would shadow PYTHONPATH's (both trees ran this one)
            done = subprocess.run(
                argv, env=env, cwd=app_dir.parent, capture_output=True, text=True, check=True
            )
            if run:
                samples[name].append(json.loads(done.stdout.splitlines()[-1]))
    return [
        Measurement(f"{name} {workers}w: {figure}", [sample[figure] for sample in rows])
        for figure in ("egg-ready", "tree CPU")
        for name, rows in samples.items()
    ]


PRELOAD_STAGES = """
import sys
from eggbin.cluster import zygote_process  # in stage 0 of every tree: the zygote imports it first
try:
    from eggbin.cluster import zygote_preload as zygote
except ImportError:  # an older tree (`PYTHONPATH=<its checkout>`): the preloads were in zygote_process
    zygote = zygote_process
stage = int(sys.argv[1])
if stage >= 1:
    if hasattr(zygote, "preload_agent"):
        zygote.preload_agent()
    else:  # an older tree (`PYTHONPATH=<its checkout>`)
        zygote.preload(zygote.AGENT_PRELOAD)
if stage >= 2:
    zygote.preload_worker()
"""


def preload_instructions() -> list[Measurement]:
    """Callgrind's instruction counts of the zygote's two preloads (each stage minus the one before)."""
    counts = []
    for stage in range(3):
        argv = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable]
        done = subprocess.run([*argv, "-c", PRELOAD_STAGES, str(stage)], capture_output=True, text=True)
        found = re.search(r"Collected : (\d+)", done.stderr)
        if done.returncode or not found:
            raise RuntimeError(f"callgrind failed: {done.stderr[-2000:]}")
        counts.append(int(found[1]))
    agent, worker = (counts[1] - counts[0]) / 1e6, (counts[2] - counts[1]) / 1e6
    return [
        Measurement("agent preload (preload_agent)", [agent], unit="M instructions"),
        Measurement("worker preload (preload_worker)", [worker], unit="M instructions"),
    ]


def median_trace(app_dir: Path, workers: int, runs: int) -> list[str]:
    """Each milestone of `runs` traced starts (those in every run): its median time and CPU, in time order."""
    seen: dict[str, list[tuple[float, float, int]]] = {}
    for _ in range(runs):
        for line in trace_eggbin(app_dir, workers):
            found = TRACE_LINE.match(line)
            if found:
                name = re.sub(r"\b\d{3,}\b", "<pid>", found["what"])
                seen.setdefault(name, []).append(
                    (float(found["at"]), float(found["cpu"]), int(found["faults"]))
                )
    rows = [
        (*(statistics.median(mark[column] for mark in marks) for column in range(3)), name)
        for name, marks in seen.items()
        if len(marks) >= runs
    ]
    return [
        f"{at:+8.1f} ms  {name}  (cpu {cpu:.1f} ms, {faults:.0f} faults)"
        for at, cpu, faults, name in sorted(rows)
    ]


TRACE_LINE = re.compile(
    r"\[start-trace\]\s+(?P<at>[-+\d.]+) ms  (?P<what>.*?)  "
    r"\(cpu (?P<cpu>[\d.]+) ms, (?P<faults>\d+) faults\)"
)


def run_server(argv: list[str], cwd: Path, port: int) -> dict[str, float]:
    """A foreground server command (uvicorn, gunicorn, `eggscripts start`): spawn to the first 200."""
    with httpx.Client(timeout=1) as client, tempfile.TemporaryFile() as errors:
        cpu = children_cpu()
        started = time.perf_counter()
        popen = subprocess.Popen(
            argv, cwd=cwd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=errors
        )
        try:
            to_200 = first_200(client, f"http://127.0.0.1:{port}/", started, timeout=180)
            stop_group(popen)
            return {"first 200": to_200, "tree CPU": children_cpu() - cpu}
        except TimeoutError:
            errors.seek(0)
            raise RuntimeError(
                f"{argv[:3]} exited {popen.poll()}: {errors.read().decode()[-2000:]}"
            ) from None
        finally:
            if popen.poll() is None:
                stop_group(popen)


def eggscripts_start(app_dir: Path, workers: int, port: int, *extra: str) -> list[str]:
    argv = [str(BIN / "eggscripts"), "start", str(app_dir), "--workers", str(workers), "--port", str(port)]
    return [*argv, "--host", "127.0.0.1", "--title", "egg-server-bench", *extra]


def run_daemon(app_dir: Path, workers: int, port: int) -> dict[str, float]:
    """`eggscripts start --daemon`: to the first 200, and from `egg-ready` (the "is ready" line it
    prints the moment the message arrives) to the command's exit (the end of its output, seen by the
    thread reading it: the first 200 may come after the exit, and `Popen.wait` with a timeout polls)."""
    with httpx.Client(timeout=1) as client:
        started = time.perf_counter()
        command = subprocess.Popen(
            eggscripts_start(app_dir, workers, port, "--daemon"),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        seen: list[float] = []  # the "is ready" line, then the end of the output
        reader = threading.Thread(target=_note_ready_and_exit, args=(command, seen))
        reader.start()
        try:
            to_200 = first_200(client, f"http://127.0.0.1:{port}/", started)
            code = command.wait(60)
            reader.join(10)
            if code != 0 or len(seen) != 2:
                raise RuntimeError(
                    f"eggscripts start --daemon exited {code} (ready line, end of output: {len(seen)} of 2)"
                )
        finally:
            subprocess.run([BIN / "eggscripts", "stop", str(app_dir)], capture_output=True, check=False)
            command.wait(10)
    return {"first 200": to_200, "returns after egg-ready": seen[1] - seen[0]}


def _note_ready_and_exit(command: subprocess.Popen[bytes], seen: list[float]) -> None:
    """When the "is ready" line comes, then when the output ends (the command exited: the daemon it
    started writes elsewhere)."""
    assert command.stdout is not None
    for line in command.stdout:
        if b" is ready on " in line and not seen:
            seen.append(time.perf_counter())
    if seen:
        seen.append(time.perf_counter())


def interleaved(runs: int, subjects: dict[str, Once]) -> dict[str, list[float]]:
    """Each subject once per round, `runs` rounds after a warm-up round (page cache, bytecode), so that
    a change of load on the machine hits every subject alike."""
    samples: dict[str, list[float]] = {}
    for round_number in range(runs + 1):
        for name, once in subjects.items():
            for row, seconds in once().items():
                if round_number:
                    samples.setdefault(f"{name}: {row}", []).append(seconds)
    return samples


def subjects_for(workers: int, tmp: Path, app_dir: Path, has_gunicorn: bool) -> dict[str, Once]:
    def server(argv: Callable[[str, int, int], list[str]]) -> Once:
        def once() -> dict[str, float]:
            port = free_port()
            return run_server(argv("hello_starlette:app", workers, port), tmp, port)

        return once

    # `eggscripts start` runs the same command line every time, as a user's deploy does (one port each,
    # free again after every stop): its parse cache, filled by the warm-up round, then spares it Typer.
    foreground_port, daemon_port = free_port(), free_port()

    def foreground() -> dict[str, float]:
        return run_server(eggscripts_start(app_dir, workers, foreground_port), tmp, foreground_port)

    subjects = {f"uvicorn --workers {workers}": server(uvicorn_argv)}
    if has_gunicorn:
        subjects[f"gunicorn -w {workers}"] = server(gunicorn_argv)
    subjects[f"eggbin {workers}w"] = lambda: run_eggbin(app_dir, workers)
    subjects[f"eggscripts start {workers}w"] = foreground
    subjects[f"eggscripts start --daemon {workers}w"] = lambda: run_daemon(app_dir, workers, daemon_port)
    return subjects


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workers", default="1,2,4", help="worker counts, comma-separated")
    parser.add_argument("--trace", action="store_true", help="print one traced start per worker count")
    parser.add_argument("--trace-runs", type=int, default=1, help="with --trace: medians of this many starts")
    parser.add_argument("--before", type=Path, help="compare eggbin with the eggbin of this checkout")
    parser.add_argument("--preload-instructions", action="store_true", help="the zygote's imports, callgrind")
    args = parser.parse_args()
    if args.preload_instructions:
        report("zygote_preload_instructions", preload_instructions())
        return
    if args.before:
        with tempfile.TemporaryDirectory() as tmp_name, temporary_home():
            app_dir = write_hello_apps(Path(tmp_name))
            for workers in (int(n) for n in args.workers.split(",")):
                rows = compare_trees(app_dir, workers, args.runs, args.before.resolve())
                for figure, pair in (("egg_ready", rows[:2]), ("tree_cpu", rows[2:])):
                    report(f"cluster_{figure}_before_after_{workers}w", pair, anchor=pair[0].subject)
        return
    if args.trace:
        with tempfile.TemporaryDirectory() as tmp_name, temporary_home():
            app_dir = write_hello_apps(Path(tmp_name))
            for workers in (int(n) for n in args.workers.split(",")):
                trace_eggbin(app_dir, workers)  # warm-up: bytecode, page cache, the settings verdict
                lines = median_trace(app_dir, workers, args.trace_runs) if args.trace_runs > 1 else None
                print(f"--- {workers} worker(s) ---", *(lines or trace_eggbin(app_dir, workers)), sep="\n")
        return
    has_gunicorn = importlib.util.find_spec("gunicorn") is not None
    skipped = "" if has_gunicorn else "; gunicorn rows skipped: not installed (pip install gunicorn)"
    with tempfile.TemporaryDirectory() as tmp_name, temporary_home():
        tmp = Path(tmp_name)
        app_dir = write_hello_apps(tmp)
        for workers in (int(n) for n in args.workers.split(",")):
            samples = interleaved(args.runs, subjects_for(workers, tmp, app_dir, has_gunicorn))
            anchor = f"gunicorn -w {workers}" if has_gunicorn else f"uvicorn --workers {workers}"
            timing = [Measurement(row, values) for row, values in samples.items()]
            report(
                f"cluster_start_{workers}w",
                timing,
                anchor=f"{anchor}: first 200",
                notes="targets: egg-ready <= 1.0x gunicorn first 200; eggscripts start first 200 <= 1.5x; "
                "--daemon returns <= 20 ms after egg-ready" + skipped,
            )


if __name__ == "__main__":
    main()
