"""Hello-world throughput: eggbin (default middleware stack) vs bare Starlette vs a raw ASGI callable.

`eggbin` is the hello app as every app is: security, session, i18n, jsonp and multipart on, untouched by
the handler. `eggbin+plugs` is the same app whose handler reads `ctx.session` and answers `ctx.__(...)`
(a new visitor each request: the locale is detected and its cookie written every time).

    python bench/throughput.py [--duration 10] [--rounds 1] [--workers 1,2] [--compare-protocol]

eggbin is served as its workers serve it: through `DrainingApp`, on `LimitedHttpProtocol` (httptools with
Node's head limits) and without uvicorn's forwarded-header rewrite. `--compare-protocol` adds the same app
on uvicorn's plain httptools protocol, interleaved in the same rounds, to price the limits.

Each subject is served by `uvicorn --workers N` (same flags and launcher for all; by default with the
TCP_NODELAY fix of `uvicorn_nodelay.py`, `--socket as-is` for plain uvicorn) on a free port, loaded
with `wrk -t2 -c64 -d<duration>s --latency` (Debian: `apt-get install wrk`). Rounds interleave the
subjects so a noisy neighbour hurts all of them alike. Prints req/s and p99 side by side with ratios
to Starlette. Target (issue #3): eggbin >= 0.8x Starlette req/s and p99 <= 1.5x, in the same run.

It also prints the CPU each request served cost: the server's (user + system time of its whole process
tree, from psutil, read before and after the wrk run) and wrk's own (its rusage), in µs. On a saturated
machine req/s follows the sum of the two, and CPU time is what a shared machine's load moves least.
`--pin` (one worker; Linux `taskset`) runs the server on CPU 0 and wrk on CPU 1: neither waits for the
other's core, so the CPU a request costs moves less between rounds than with 2 workers on 2 cores.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, NamedTuple

import psutil
from harness import RAW_ASGI_APP, Measurement, free_port, report, server_process, write_tree, wrk

# `--gc`: imported first by every app; each worker counts its collections and the time they take, and
# writes them to `$BENCH_GC_PROBE/<pid>.json` on SIGUSR1 (the parent asks before and after a wrk run).
GC_PROBE = """
import gc, json, os, signal, time

_out = os.environ.get("BENCH_GC_PROBE")
if _out:
    _stats = {"collections": [0, 0, 0], "seconds": [0.0, 0.0, 0.0], "collected": [0, 0, 0]}
    _began = [0.0]

    def _on_gc(phase, info):
        if phase == "start":
            _began[0] = time.perf_counter()
            return
        generation = info["generation"]
        _stats["collections"][generation] += 1
        _stats["seconds"][generation] += time.perf_counter() - _began[0]
        _stats["collected"][generation] += info["collected"]

    def _dump(signum, frame):
        path = os.path.join(_out, f"{os.getpid()}.json")
        with open(path + ".tmp", "w") as file:
            json.dump({**_stats, "tracked": len(gc.get_objects())}, file)
        os.replace(path + ".tmp", path)

    gc.callbacks.append(_on_gc)
    signal.signal(signal.SIGUSR1, _dump)
"""
APPS = {
    "gc_probe.py": GC_PROBE,
    "raw_app.py": "import gc_probe\n" + RAW_ASGI_APP,
    "starlette_app.py": """
import gc_probe
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

async def home(request):
    return PlainTextResponse("hi, egg")

app = Starlette(routes=[Route("/", home)])
""",
    "eggbin_plugs_app.py": """
import os
os.environ["BENCH_EGG_APP"] = os.environ["BENCH_EGG_PLUGS_APP"]
from eggbin_app import app, workers_app
""",
    "eggbin_app.py": """
import gc_probe
import os
from pathlib import Path

from eggbin.web.application import Application
from eggbin.web.env import ServerEnv

from eggbin.cluster.worker import DrainingApp

egg = Application(Path(os.environ["BENCH_EGG_APP"]), ServerEnv("prod", "bench"))
served = DrainingApp(egg)  # as eggbin's workers serve the app

async def lifespan(receive, send):  # boot inside the worker's own loop, then hand over
    await receive()
    await egg.boot()
    await send({"type": "lifespan.startup.complete"})
    await receive()
    await egg.close()
    await send({"type": "lifespan.shutdown.complete"})

def workers_app(scope, receive, send):  # the request's coroutine is the app's own: --interface asgi3
    return lifespan(receive, send) if scope["type"] == "lifespan" else served(scope, receive, send)

async def app(scope, receive, send):  # for benches that let uvicorn tell the interface
    await workers_app(scope, receive, send)
""",
}
EGG_APP = {
    "pyproject.toml": '[project]\nname = "bench-hello"\nversion = "0.0.0"\n',
    "config/default.py": 'config = {"keys": "bench"}\n',
    "app/router.py": "def router(app):\n    app.router.get('/', app.controller.home.index)\n",
    "app/controller/home.py": (
        "from eggbin import Controller\n\n\nclass HomeController(Controller):\n"
        "    async def index(self):\n        self.ctx.type = 'text'\n        self.ctx.body = 'hi, egg'\n"
    ),
}
EGG_PLUGS_APP = {
    **EGG_APP,
    "app/controller/home.py": (
        "from eggbin import Controller\n\n\nclass HomeController(Controller):\n"
        "    async def index(self):\n        self.ctx.session.get('count', 0)\n"
        "        self.ctx.type = 'text'\n        self.ctx.body = self.ctx.__('hi, egg')\n"
    ),
}
LAUNCHERS = {
    "nodelay": [sys.executable, str(Path(__file__).resolve().parent / "uvicorn_nodelay.py")],
    "as-is": [sys.executable, "-m", "uvicorn"],
}
EGGBIN_PROTOCOL = [
    *("--http", "eggbin.cluster.http_protocol:LimitedHttpProtocol", "--no-proxy-headers"),
    *("--interface", "asgi3"),
]
# subject: (app, uvicorn flags of its own)
SUBJECTS = {
    "eggbin": ("eggbin_app:workers_app", EGGBIN_PROTOCOL),
    "eggbin+plugs": ("eggbin_plugs_app:workers_app", EGGBIN_PROTOCOL),
    "starlette": ("starlette_app:app", []),
    "raw asgi": ("raw_app:app", []),
}
PLAIN_PROTOCOL = {"eggbin plain": ("eggbin_app:workers_app", ["--http", "httptools", "--interface", "asgi3"])}
PINNED = {"server": ("taskset", "-c", "0"), "wrk": ("taskset", "-c", "1")}  # `--pin`


def wait_ready(port: int, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"uvicorn exited with {process.returncode}: {process.stderr.read().decode()}")  # type: ignore[union-attr]
        probe = subprocess.run(["curl", "-sf", f"http://127.0.0.1:{port}/"], capture_output=True)
        if probe.returncode == 0 and probe.stdout == b"hi, egg":
            return
        time.sleep(0.1)
    raise RuntimeError(f"uvicorn on port {port} not ready after {timeout} s")


class Served(NamedTuple):
    """One wrk run: req/s, p99 (ms), and CPU µs per request served by the server's tree and by wrk;
    with `--gc`, the workers' collections per 1000 requests by generation, the µs a request spent in
    the collector and the objects the collector tracks (a worker's mean) after the run."""

    rps: float
    p99: float
    server_us: float
    wrk_us: float
    gen0: float = 0.0
    gen1: float = 0.0
    gen2: float = 0.0
    gc_us: float = 0.0
    tracked: float = 0.0


def gc_counters(root: psutil.Process, probe: Path) -> list[dict[str, Any]]:
    """Each worker's `gc_probe` counters, asked with SIGUSR1 (the workers: `root`, or its spawned ones)."""
    workers = [child for child in root.children() if "spawn_main" in " ".join(child.cmdline())] or [root]
    for worker in workers:
        (probe / f"{worker.pid}.json").unlink(missing_ok=True)
        worker.send_signal(signal.SIGUSR1)
    deadline = time.monotonic() + 10
    paths = [probe / f"{worker.pid}.json" for worker in workers]
    while not all(path.exists() for path in paths):
        if time.monotonic() > deadline:
            raise RuntimeError(f"no gc counters from {[w.pid for w in workers]} in 10 s")
        time.sleep(0.01)
    return [json.loads(path.read_text()) for path in paths]


def gc_per_request(
    before: list[dict[str, Any]], after: list[dict[str, Any]], served: float
) -> tuple[float, float, float, float, float]:
    """(gen0, gen1, gen2 collections per 1000 requests, gc µs a request, tracked objects a worker)."""
    count = [
        sum(a["collections"][g] - b["collections"][g] for a, b in zip(after, before, strict=True))
        for g in range(3)
    ]
    seconds = sum(sum(a["seconds"]) - sum(b["seconds"]) for a, b in zip(after, before, strict=True))
    tracked = statistics.mean(a["tracked"] for a in after)
    return (*(n / served * 1000 for n in count), seconds / served * 1e6, tracked)  # type: ignore[return-value]


def tree_cpu(root: psutil.Process) -> float:
    """User + system seconds of `root` and its living descendants."""
    total = 0.0
    for process in [root, *root.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):
            times = process.cpu_times()
            total += times.user + times.system
    return total


def children_cpu() -> float:
    """User + system seconds of this process's waited-for children (wrk, once it has exited)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(
    subject: tuple[str, list[str]],
    workers: int,
    duration: int,
    cwd: Path,
    env: dict[str, str],
    launcher: str,
    pin: bool = False,
    connections: int = 64,
    probe: Path | None = None,
) -> Served:
    port = free_port()
    target, flags = subject
    argv = [*PINNED["server"]] if pin else []
    argv += [*LAUNCHERS[launcher], target, *flags, "--port", str(port), "--workers", str(workers)]
    argv += ["--no-access-log", "--log-level", "warning"]  # uvloop + httptools, as eggbin's workers
    client = PINNED["wrk"] if pin else ()
    with server_process(argv, cwd, env) as server:
        wait_ready(port, server)
        url = f"http://127.0.0.1:{port}/"
        wrk(url, 2, prefix=client, connections=connections)  # warm-up
        root = psutil.Process(server.pid)
        gc_before = gc_counters(root, probe) if probe else []
        server_before, wrk_before = tree_cpu(root), children_cpu()
        rps, p99 = wrk(url, duration, prefix=client, connections=connections)
        served = rps * duration  # requests served (wrk's req/s is over its own run's length)
        server_us = (tree_cpu(root) - server_before) / served * 1e6
        wrk_us = (children_cpu() - wrk_before) / served * 1e6
        if not probe:
            return Served(rps, p99, server_us, wrk_us)
        return Served(
            rps, p99, server_us, wrk_us, *gc_per_request(gc_before, gc_counters(root, probe), served)
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument(
        "--socket",
        choices=sorted(LAUNCHERS),
        default="nodelay",
        help="as-is: plain `python -m uvicorn` (its --workers socket lacks TCP_NODELAY)",
    )
    parser.add_argument(
        "--compare-protocol",
        action="store_true",
        help="also serve eggbin on uvicorn's plain httptools protocol (`eggbin plain`)",
    )
    parser.add_argument(
        "--pin", action="store_true", help="one worker on CPU 0, wrk on CPU 1 (Linux taskset; 2 CPUs or more)"
    )
    parser.add_argument("--connections", type=int, default=64, help="wrk's -c (default 64)")
    parser.add_argument(
        "--gc", action="store_true", help="count the workers' garbage collections and their time a request"
    )
    args = parser.parse_args()
    subjects = {**SUBJECTS, **(PLAIN_PROTOCOL if args.compare_protocol else {})}
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install -y wrk")
    workers = [int(n) for n in args.workers.split(",")]
    if args.pin and (workers != [1] or shutil.which("taskset") is None or (os.cpu_count() or 1) < 2):
        sys.exit("--pin serves one worker (--workers 1) with taskset, on a machine of 2 CPUs or more")
    results: dict[tuple[str, int], list[Served]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_tree(root, APPS)
        write_tree(root / "egg", EGG_APP)
        write_tree(root / "egg_plugs", EGG_PLUGS_APP)
        env = {**os.environ, "BENCH_EGG_APP": str(root / "egg"), "EGG_HOME": str(root), "HOME": str(root)}
        env["BENCH_EGG_PLUGS_APP"] = str(root / "egg_plugs")
        probe = root / "gc" if args.gc else None
        if probe:
            probe.mkdir()
            env["BENCH_GC_PROBE"] = str(probe)
        for round_ in range(args.rounds):
            # each round starts with the next subject: a load that rises or falls within a round does
            # not always favour the same one
            shift = round_ % len(subjects)
            ordered = [*subjects.items()][shift:] + [*subjects.items()][:shift]
            for count in workers:
                for subject, served in ordered:
                    results.setdefault((subject, count), []).append(
                        measure(
                            served,
                            count,
                            args.duration,
                            root,
                            env,
                            args.socket,
                            args.pin,
                            args.connections,
                            probe,
                        )
                    )
    print_table(results, workers, list(subjects))
    if args.gc:
        print_gc(results, workers, list(subjects))
    rows = [
        Measurement(
            f"{subject} x{count}",
            [run.rps for run in samples],
            "req/s",
            {
                "p99_ms": [run.p99 for run in samples],
                "server_cpu_us": [run.server_us for run in samples],
                "wrk_cpu_us": [run.wrk_us for run in samples],
                **(
                    {field: [getattr(run, field) for run in samples] for field in GC_FIELDS}
                    if args.gc
                    else {}
                ),
            },
        )
        for (subject, count), samples in results.items()
    ]
    pinned = ", server on CPU 0, wrk on CPU 1" if args.pin else ""
    notes = f"wrk -t2 -c{args.connections} -d{args.duration}s, uvicorn launcher: {args.socket}{pinned}"
    name = "throughput" if args.socket == "nodelay" else f"throughput_{args.socket.replace('-', '_')}"
    name += "_pinned" if args.pin else ""  # its own results file, beside the unpinned one
    report(name, rows, anchor=f"starlette x{workers[0]}", notes=notes)


def print_table(
    results: dict[tuple[str, int], list[Served]], workers: list[int], subjects: list[str]
) -> None:
    header = f"{'subject':<13} {'procs':>5} {'req/s':>10} {'p99 ms':>8} {'x rps':>7} {'x p99':>7}"
    header += f" {'cpu µs':>7} {'wrk µs':>7} {'x cpu':>7}"
    print(f"\n{header}   (x = ratio to starlette with the same process count; cpu = server tree, a request)")
    for count in workers:
        base = _medians(results[("starlette", count)])
        for subject in subjects:
            runs = results[(subject, count)]
            rps, p99, server_us, wrk_us = _medians(runs)[:4]
            ratios = f"{rps / base.rps:>7.2f} {p99 / base.p99:>7.2f}"
            cpu_ratio = (server_us + wrk_us) / (base.server_us + base.wrk_us)
            cpu = f"{server_us:>7.1f} {wrk_us:>7.1f} {cpu_ratio:>7.2f}"
            rounds = " ".join(f"{run.rps:.0f}/{run.p99:.1f}/{run.server_us:.0f}" for run in runs)
            print(f"{subject:<13} {count:>5} {rps:>10.0f} {p99:>8.2f} {ratios} {cpu}   rounds: {rounds}")
    print("x cpu: (server + wrk) CPU a request, as a ratio; rounds: req/s / p99 ms / server µs")


GC_FIELDS = ("gen0", "gen1", "gen2", "gc_us", "tracked")


def print_gc(results: dict[tuple[str, int], list[Served]], workers: list[int], subjects: list[str]) -> None:
    print(
        f"\n{'subject':<13} {'procs':>5} {'gen0/1k':>8} {'gen1/1k':>8} {'gen2/1k':>8}"
        f" {'gc µs':>6} {'tracked':>8}"
    )
    for count in workers:
        for subject in subjects:
            run = _medians(results[(subject, count)])
            print(
                f"{subject:<13} {count:>5} {run.gen0:>8.2f} {run.gen1:>8.3f} {run.gen2:>8.3f}"
                f" {run.gc_us:>6.2f} {run.tracked:>8.0f}"
            )
    print(
        "collections per 1000 requests by generation; gc µs: in the collector a request; tracked: a worker's"
    )


def _medians(runs: list[Served]) -> Served:
    return Served(*(statistics.median(values) for values in zip(*runs, strict=True)))


if __name__ == "__main__":
    main()
