"""Cluster start-up and memory: eggbin's master/agent/workers against uvicorn and gunicorn, same run.

    python bench/cluster.py [--runs 5]

Each subject serves the same hello handler ("hi, egg") on a free 127.0.0.1 port: eggbin as an app
(router + controller), uvicorn and gunicorn as a Starlette app. Timed from spawn to the first 200;
for eggbin also to `egg-ready`. RSS is read once per subject after start (idle).
Targets (issue #4): eggbin ready <= 1.0x uvicorn's first 200 at the same worker count; master RSS <= 30 MB.
gunicorn is optional (`pip install gunicorn` into the venv): without it its rows are skipped.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import psutil
from harness import Measurement, report

from eggbin.cluster.launch import ClusterProcess
from eggbin.cluster.options import ClusterOptions

HELLO_STARLETTE = """
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

async def index(request):
    return PlainTextResponse("hi, egg")

app = Starlette(routes=[Route("/", index)])
"""
HELLO_EGG = {
    "pyproject.toml": '[project]\nname = "hello"\nversion = "0.1.0"\n',
    "config/default.py": 'def config(app_info):\n    return {"keys": "bench"}\n',
    "app/router.py": "def router(app):\n    app.router.get('/', app.controller.home.index)\n",
    "app/controller/home.py": (
        "from eggbin import Controller\n\n\nclass HomeController(Controller):\n"
        "    async def index(self):\n        self.ctx.body = 'hi, egg'\n"
    ),
}
MB = 1024 * 1024


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def first_200(port: int, started: float, timeout: float = 60) -> float:
    """Seconds from `started` to the first 200 on `port`."""
    deadline = started + timeout
    with httpx.Client(timeout=1) as client:
        while time.perf_counter() < deadline:
            try:
                if client.get(f"http://127.0.0.1:{port}/").status_code == 200:
                    return time.perf_counter() - started
            except httpx.HTTPError:
                time.sleep(0.003)
    raise TimeoutError(f"no 200 on port {port} after {timeout} s")


def rss(pids: list[int]) -> list[float]:
    return [psutil.Process(pid).memory_info().rss / MB for pid in pids]


def stop_group(popen: subprocess.Popen[bytes]) -> None:
    with_children = [psutil.Process(popen.pid), *psutil.Process(popen.pid).children(recursive=True)]
    os.killpg(popen.pid, signal.SIGTERM)
    try:
        popen.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(popen.pid, signal.SIGKILL)
        popen.wait()
    psutil.wait_procs(with_children, timeout=5)


def run_eggbin(app_dir: Path, workers: int, zygote: bool) -> tuple[float, float, dict[str, list[float]]]:
    """(to egg-ready, to first 200, RSS by role)."""
    port = free_port()
    options = ClusterOptions(
        base_dir=str(app_dir), port=port, workers=workers, env="prod", title="egg-bench", zygote=zygote
    )
    started = time.perf_counter()
    cluster = ClusterProcess.start(options, new_session=True, stderr=subprocess.DEVNULL)
    try:
        ready = cluster.wait_ready(60)
        to_ready = time.perf_counter() - started
        to_200 = first_200(port, started)
        memory = {
            "master": rss([ready.pids["master"]]),
            "agent": rss([ready.pids["agent"]]),
            "worker": rss(ready.pids["workers"][:1]),
        }
    finally:
        cluster.stop(15)
    return to_ready, to_200, memory


def run_server(argv: list[str], cwd: Path, port: int) -> tuple[float, dict[str, list[float]]]:
    """(to first 200, RSS of the supervisor and one worker) of a uvicorn or gunicorn command."""
    started = time.perf_counter()
    popen = subprocess.Popen(
        argv, cwd=cwd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        to_200 = first_200(port, started)
        children = psutil.Process(popen.pid).children()
        workers = [c.pid for c in children if "multiprocessing.resource_tracker" not in " ".join(c.cmdline())]
        memory = {"supervisor": rss([popen.pid]), "worker": rss(workers[:1]) if workers else []}
    finally:
        stop_group(popen)
    return to_200, memory


def uvicorn_argv(workers: int, port: int) -> list[str]:
    server = [sys.executable, "-m", "uvicorn", "hello_starlette:app", "--port", str(port)]
    return [*server, "--workers", str(workers), "--log-level", "warning"]


def gunicorn_argv(workers: int, port: int) -> list[str]:
    return [sys.executable, "-m", "gunicorn", "hello_starlette:app", "-k", "uvicorn.workers.UvicornWorker",
            "-w", str(workers), "-b", f"127.0.0.1:{port}", "--log-level", "warning"]  # fmt: skip


def write_apps(tmp: Path) -> Path:
    (tmp / "hello_starlette.py").write_text(HELLO_STARLETTE)
    app_dir = tmp / "hello"
    for name, text in HELLO_EGG.items():
        (app_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (app_dir / name).write_text(text)
    return app_dir


Once = Callable[[], tuple[dict[str, float], dict[str, list[float]]]]


def interleaved(runs: int, subjects: list[Once]) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Each subject once per round, `runs` rounds after a warm-up round (page cache, bytecode), so that
    a change of load on the machine hits every subject alike. (samples by row, RSS by role)."""
    samples: dict[str, list[float]] = {}
    memory: dict[str, list[float]] = {}
    for round_number in range(runs + 1):
        for once in subjects:
            rows, rss_by_role = once()
            memory.update(rss_by_role)
            if round_number:
                for row, seconds in rows.items():
                    samples.setdefault(row, []).append(seconds)
    return samples, memory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    has_gunicorn = importlib.util.find_spec("gunicorn") is not None
    skipped = "" if has_gunicorn else "; gunicorn rows skipped: not installed (pip install gunicorn)"
    target = "target: eggbin egg-ready <= 1.0x uvicorn first 200 at the same worker count"
    memory: list[Measurement] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        app_dir = write_apps(tmp)
        for workers in (1, 2):
            uvicorn = f"uvicorn --workers {workers}"

            def server(argv: Callable[[int, int], list[str]], name: str, workers: int = workers) -> Once:
                def once() -> tuple[dict[str, float], dict[str, list[float]]]:
                    port = free_port()
                    to_200, rss_by_role = run_server(argv(workers, port), tmp, port)
                    return {f"{name}: first 200": to_200}, {f"{name} {r}": v for r, v in rss_by_role.items()}

                return once

            def eggbin(zygote: bool, workers: int = workers) -> Once:
                name = f"eggbin{'+zygote' if zygote else ''} {workers}w"

                def once() -> tuple[dict[str, float], dict[str, list[float]]]:
                    to_ready, to_200, rss_by_role = run_eggbin(app_dir, workers, zygote)
                    rows = {f"{name}: egg-ready": to_ready, f"{name}: first 200": to_200}
                    return rows, {f"eggbin {r}": v for r, v in rss_by_role.items()} if zygote else {}

                return once

            subjects = [server(uvicorn_argv, uvicorn), eggbin(zygote=False), eggbin(zygote=True)]
            if has_gunicorn:
                subjects.append(server(gunicorn_argv, f"gunicorn+UvicornWorker -w {workers}"))
            samples, rss = interleaved(runs, subjects)
            timing = [Measurement(row, values) for row, values in samples.items()]
            report(
                f"cluster_start_{workers}w", timing, anchor=f"{uvicorn}: first 200", notes=target + skipped
            )
            if workers == 2:
                memory = [
                    Measurement(name.replace(" --workers 2", "").replace(" -w 2", ""), values, unit="MB")
                    for name, values in rss.items()
                ]
    report(
        "cluster_rss", memory, anchor="uvicorn supervisor", notes="target: eggbin master <= 30 MB" + skipped
    )


if __name__ == "__main__":
    main()
