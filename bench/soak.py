"""Soak: a 2-worker `eggscripts` cluster under steady load while a seeded fault injector strikes.

    python bench/soak.py [--seconds 300] [--seed 7] [--clients 8] [--fault-every 5]

Clients send GET / back to back on keep-alive connections; the app answers with its pid, so each
connection knows which worker it talks to. At random times (exponential, mean `--fault-every` s,
from `--seed`) the injector SIGKILLs a worker, SIGKILLs the agent, sends SIGHUP to the master, or
runs `eggscripts reload`. A failed request is explained only if a worker was SIGKILLed while it was
in flight, on its connection (or on a new one); agent kills, SIGHUP and reloads explain nothing.
Prints requests, failures, failures not explained (must be 0), latency, and RSS growth: the
master's, each worker's over its life (those that lived at least `--rss-min-life` seconds), and each
slot's from its first worker to its last. Exit 1 on any unexplained failure. Writes
`bench/results/soak.json`.
"""

from __future__ import annotations

import argparse
import array
import contextlib
import json
import os
import platform
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
from harness import RESULTS, free_port

BIN = Path(sys.executable).parent
WORK = Path(__file__).resolve().parent / ".work"
IN_FLIGHT_SLACK = 0.05  # clock reads around a request versus the injector's
FAULTS = ("kill-worker", "kill-agent", "sighup", "reload")
APP = {
    "pyproject.toml": '[project]\nname = "soak"\nversion = "0.1.0"\n',
    "config/default.py": 'config = {"keys": "soak"}\n',
    "app/router.py": "def router(app):\n    app.router.get('/', app.controller.home.index)\n",
    "app/controller/home.py": (
        "import os\n\nfrom eggbin import Controller\n\n\nclass HomeController(Controller):\n"
        "    async def index(self):\n        self.ctx.body = str(os.getpid())\n"
    ),
}


@dataclass
class Failure:
    started: float
    ended: float
    worker: int | None  # the worker behind the connection, if it had answered on it before
    error: str


@dataclass
class Fault:
    at: float
    kind: str
    pid: int | None = None
    outcome: str = ""


@dataclass
class Tally:
    """What all clients saw (appended from their threads; list.append and array.append are atomic)."""

    latencies: array.array[float] = field(default_factory=lambda: array.array("d"))
    failures: list[Failure] = field(default_factory=list)


def make_app() -> Path:
    app = WORK / "soak-app"
    for name, text in APP.items():
        (app / name).parent.mkdir(parents=True, exist_ok=True)
        (app / name).write_text(text)
    return app


def state(app: Path) -> dict[str, Any]:
    return dict(json.loads((app / "run" / "cluster.json").read_text()))


def client(url: str, stop: threading.Event, tally: Tally) -> None:
    worker: int | None = None
    with httpx.Client(base_url=url, timeout=30) as http:
        while not stop.is_set():
            started = time.monotonic()
            try:
                response = http.get("/")
            except httpx.HTTPError as exc:
                tally.failures.append(
                    Failure(started, time.monotonic(), worker, f"{type(exc).__name__}: {exc}")
                )
                worker = None
                continue
            ended = time.monotonic()
            if response.status_code != 200:
                tally.failures.append(Failure(started, ended, worker, f"HTTP {response.status_code}"))
                worker = None
                continue
            tally.latencies.append(ended - started)
            closing = response.headers.get("connection", "").lower() == "close"
            worker = None if closing else int(response.text)


def strike(kind: str, app: Path, rng: random.Random, reloads: list[threading.Thread]) -> Fault:
    now, current = time.monotonic(), state(app)
    if kind == "kill-worker":
        ready = [w["pid"] for w in current["workers"] if w["ready"] and not w["retiring"]]
        if not ready:
            return Fault(now, kind, None, "no ready worker")
        pid = rng.choice(sorted(ready))
        os.kill(pid, signal.SIGKILL)
        return Fault(now, kind, pid)
    if kind == "kill-agent":
        if not current.get("agent_pid"):
            return Fault(now, kind, None, "no agent")
        os.kill(current["agent_pid"], signal.SIGKILL)
        return Fault(now, kind, current["agent_pid"])
    if kind == "sighup":
        os.kill(current["master_pid"], signal.SIGHUP)
        return Fault(now, kind, current["master_pid"])
    fault = Fault(now, kind, current["master_pid"], "running")
    reloads.append(threading.Thread(target=reload, args=(app, fault), daemon=True))
    reloads[-1].start()  # faults go on while it runs
    return fault


def reload(app: Path, fault: Fault) -> None:
    done = subprocess.run([str(BIN / "eggscripts"), "reload", str(app)], capture_output=True, text=True)
    fault.outcome = "ok" if done.returncode == 0 else (done.stderr.strip().splitlines() or ["?"])[-1]


def unexplained(failures: list[Failure], faults: list[Fault]) -> list[Failure]:
    kills = [f for f in faults if f.kind == "kill-worker" and f.pid is not None]
    return [
        failure
        for failure in failures
        if not any(
            failure.started - IN_FLIGHT_SLACK <= kill.at <= failure.ended + IN_FLIGHT_SLACK
            and failure.worker in (None, kill.pid)
            for kill in kills
        )
    ]


class RssWatch:
    """RSS of the master and of every worker, sampled every few seconds.

    Workers are replaced all the time here (kills, reloads), so growth is read two ways: within one
    worker's life (those that lived long enough), and per slot, from the slot's first worker at the
    start to its last worker at the end (a fork that inherits a grown zygote would show there).
    """

    def __init__(self) -> None:
        self.first: dict[int, tuple[float, float]] = {}  # pid -> (when, MB)
        self.last: dict[int, tuple[float, float]] = {}
        self.names: dict[int, str] = {}  # pid -> "master" | "worker <slot>"

    def sample(self, current: dict[str, Any]) -> None:
        names = {current["master_pid"]: "master"} | {
            w["pid"]: f"worker {w['id']}" for w in current["workers"]
        }
        for pid, name in names.items():
            with contextlib.suppress(psutil.Error):
                mb = psutil.Process(pid).memory_info().rss / 2**20
                self.first.setdefault(pid, (time.monotonic(), mb))
                self.last[pid] = (time.monotonic(), mb)
                self.names[pid] = name

    def within_life(self, prefix: str, min_life: float) -> list[float]:
        return [
            self.last[pid][1] - self.first[pid][1]
            for pid, name in self.names.items()
            if name.startswith(prefix) and self.last[pid][0] - self.first[pid][0] >= min_life
        ]

    def per_slot(self) -> dict[str, tuple[float, float]]:
        """`worker N` -> (MB of its first worker when first seen, MB of its last worker when last seen)."""
        slots: dict[str, tuple[float, float]] = {}
        for pid in sorted(self.first, key=lambda p: self.first[p][0]):
            name = self.names[pid]
            if name.startswith("worker"):
                start = slots[name][0] if name in slots else self.first[pid][1]
                slots[name] = (start, self.last[pid][1])
        return dict(sorted(slots.items()))


def soak(args: argparse.Namespace) -> dict[str, Any]:
    app, port = make_app(), free_port()
    title = f"egg-server-soak-{os.getpid()}"
    env = {**os.environ, "HOME": str(WORK)}
    start = [str(BIN / "eggscripts"), "start", str(app), "--daemon", "--workers", "2", "--title", title]
    subprocess.run(
        [*start, "--port", str(port), "--host", "127.0.0.1"], check=True, env=env, capture_output=True
    )
    rng, stop, tally, faults, rss = random.Random(args.seed), threading.Event(), Tally(), [], RssWatch()
    reloads: list[threading.Thread] = []
    clients = [
        threading.Thread(target=client, args=(f"http://127.0.0.1:{port}", stop, tally), daemon=True)
        for _ in range(args.clients)
    ]
    try:
        for thread in clients:
            thread.start()
        began = time.monotonic()
        end, next_fault, next_sample = (
            began + args.seconds,
            began + rng.expovariate(1 / args.fault_every),
            began,
        )
        while (now := time.monotonic()) < end:
            if now >= next_sample:
                rss.sample(state(app))
                next_sample = now + 5
            if now >= next_fault:
                faults.append(strike(rng.choice(FAULTS), app, rng, reloads))
                next_fault = time.monotonic() + rng.expovariate(1 / args.fault_every)
            time.sleep(0.05)  # the injector's tick
        took = time.monotonic() - began
        rss.sample(state(app))
        for thread in reloads:
            thread.join(120)
    finally:
        stop.set()
        for thread in clients:
            thread.join(30)
        subprocess.run([str(BIN / "eggscripts"), "stop", str(app)], env=env, capture_output=True)
    return summarize(args, tally, faults, rss, took)


def summarize(
    args: argparse.Namespace, tally: Tally, faults: list[Fault], rss: RssWatch, took: float
) -> dict[str, Any]:
    latencies = sorted(tally.latencies)
    workers = rss.within_life("worker", args.rss_min_life)
    master = rss.within_life("master", 0)
    return {
        "seconds": round(took, 1),
        "seed": args.seed,
        "clients": args.clients,
        "requests": len(latencies) + len(tally.failures),
        "failures": len(tally.failures),
        "unexplained": [asdict(f) for f in unexplained(tally.failures, faults)],
        "faults": {kind: sum(f.kind == kind for f in faults) for kind in FAULTS},
        "reloads_refused": [f.outcome for f in faults if f.kind == "reload" and f.outcome != "ok"],
        "latency_ms": {
            "p50": round(latencies[len(latencies) // 2] * 1000, 2),
            "p99": round(latencies[int(len(latencies) * 0.99)] * 1000, 2),
            "max": round(latencies[-1] * 1000, 1),
        },
        "master_rss_growth_mb": round(master[0], 2) if master else None,
        "worker_rss_growth_mb": {
            "workers": len(workers),
            "median": round(statistics.median(workers), 2) if workers else None,
            "max": round(max(workers), 2) if workers else None,
        },
        "worker_rss_by_slot_mb": {
            slot: [round(a, 1), round(b, 1)] for slot, (a, b) in rss.per_slot().items()
        },
        "machine": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
    }


def print_table(result: dict[str, Any], min_life: float) -> None:
    rows = [
        (
            "duration",
            f"{result['seconds']} s (seed {result['seed']}, 2 workers, {result['clients']} clients)",
        ),
        ("requests", f"{result['requests']}"),
        ("failures", f"{result['failures']} (each in flight on a SIGKILLed worker)"),
        ("failures unexplained", f"{len(result['unexplained'])} (must be 0)"),
        ("faults", ", ".join(f"{kind} {n}" for kind, n in result["faults"].items())),
        (
            "reloads failed",
            f"{len(result['reloads_refused'])} (each names its cause: a new worker killed mid-reload)",
        ),
        ("latency", "p50 {p50} ms, p99 {p99} ms, max {max} ms".format(**result["latency_ms"])),
        ("master RSS growth", f"{result['master_rss_growth_mb']} MB"),
        (
            "worker RSS growth",
            "median {median} MB, max {max} MB ({workers} workers alive >= ".format(
                **result["worker_rss_growth_mb"]
            )
            + f"{min_life:g} s)",
        ),
        *(
            (f"{slot} RSS", f"{start} MB (its first worker) -> {end} MB (its last)")
            for slot, (start, end) in result["worker_rss_by_slot_mb"].items()
        ),
    ]
    width = max(len(name) for name, _ in rows)
    print("\nsoak")
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--fault-every", type=float, default=5, help="mean seconds between faults")
    parser.add_argument("--rss-min-life", type=float, default=20, help="seconds a worker must live to count")
    args = parser.parse_args()
    result = soak(args)
    print_table(result, args.rss_min_life)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "soak.json").write_text(json.dumps({"name": "soak", **result}, indent=2))
    return 1 if result["unexplained"] else 0


if __name__ == "__main__":
    sys.exit(main())
