"""The shared benchmark harness: run things N times, take medians, print a table, write JSON.

Every benchmark compares eggbin against its anchor in the same run and reports the ratio.
Results go to `bench/results/<name>.json` (git-ignored); the README quotes the latest table.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

RESULTS = Path(__file__).resolve().parent / "results"
# Measure what users run: pip compiles bytecode at install and a checkout writes `__pycache__` on first
# import, but some shells (this CI's included) export PYTHONDONTWRITEBYTECODE=1, which would make every
# process started here recompile eggbin from source (the anchors' site-packages are precompiled).
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
# The raw ASGI anchor of the throughput benchmarks: the least a server can be asked to do.
RAW_ASGI_APP = """
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", b"7")]})
    await send({"type": "http.response.body", "body": b"hi, egg"})
"""


# The hello app every start-up and memory benchmark serves: as a Starlette app for uvicorn and gunicorn,
# as an egg app (router + controller) for eggbin.
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


@dataclass
class Measurement:
    """One subject's samples (seconds, or any unit named in `unit`)."""

    subject: str
    samples: list[float]
    unit: str = "s"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)


def time_call(fn: Callable[[], object], runs: int, warmup: int = 1) -> list[float]:
    """Wall time of `fn()`, `runs` times after `warmup` discarded runs."""
    samples = []
    for i in range(warmup + runs):
        start = time.perf_counter()
        fn()
        if i >= warmup:
            samples.append(time.perf_counter() - start)
    return samples


def time_command(
    argv: Sequence[str],
    runs: int,
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    warmup: int = 1,
    check: bool = True,
) -> list[float]:
    """Wall time of a command (output discarded); fails loudly on a non-zero exit unless `check` is off."""

    def once() -> None:
        subprocess.run(argv, cwd=cwd, env=env, check=check, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    return time_call(once, runs, warmup)


def run_timed(
    argv: Sequence[str], *, cwd: Path | None = None, env: dict[str, str] | None = None, check: bool = True
) -> tuple[float, float]:
    """(wall, CPU) seconds of one run; CPU is the process's own user + system time, which a loaded
    machine's waiting does not inflate as it does the wall time."""
    start = time.perf_counter()
    child = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert child.stderr is not None
    stderr = child.stderr.read()
    child.stderr.close()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if check and child.returncode:
        raise RuntimeError(f"{' '.join(argv)} exited {child.returncode}:\n{stderr.decode(errors='replace')}")
    return wall, usage.ru_utime + usage.ru_stime


def interleaved(
    subjects: dict[str, Callable[[], tuple[float, float]]], runs: int, warmup: int = 1, cpu: bool = True
) -> list[Measurement]:
    """Every subject once per round, `runs` rounds (after `warmup`): a shared machine's load drifts, and
    each subject sees the same drift. Rows: wall time per subject, then (with `cpu`) CPU time as `… [cpu]`."""
    walls: dict[str, list[float]] = {name: [] for name in subjects}
    cpus: dict[str, list[float]] = {name: [] for name in subjects}
    for round_ in range(warmup + runs):
        for name, once in subjects.items():
            wall, used = once()
            if round_ >= warmup:
                walls[name].append(wall)
                cpus[name].append(used)
    rows = [Measurement(name, samples) for name, samples in walls.items()]
    return rows + ([Measurement(f"{name} [cpu]", samples) for name, samples in cpus.items()] if cpu else [])


def wrk(
    url: str,
    duration: int,
    script: Path | None = None,
    timeout: int = 2,
    prefix: Sequence[str] = (),
    connections: int = 64,
) -> tuple[float, float]:
    """(req/s, p99 in ms) of `wrk -t2 -c64 --latency` (Debian: `apt-get install wrk`); errors fail it.

    `script` is a wrk Lua script (a POST's method, body and headers); `timeout` (seconds) is wrk's, past
    which a request counts as failed; `prefix` runs wrk under another command (`taskset -c 1`);
    `connections` is wrk's `-c`.
    """
    argv = [*prefix, "wrk", "-t2", f"-c{connections}", f"-d{duration}s", f"--timeout={timeout}s", "--latency"]
    argv += [*(["-s", str(script)] if script else []), url]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: .*", out)
    if failed:
        raise RuntimeError(f"wrk saw failed requests on {url}:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    return rps, float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def stop_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM a server started with `start_new_session=True` and its whole group; SIGKILL after 10 s."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@contextlib.contextmanager
def server_process(argv: Sequence[str], cwd: Path, env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """A server (e.g. `uvicorn --workers N`) in its own session, stopped with `stop_group` at the end."""
    server = subprocess.Popen(list(argv), cwd=cwd, env=env, stderr=subprocess.PIPE, start_new_session=True)
    try:
        yield server
    finally:
        stop_group(server)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_tree(root: Path, files: dict[str, str]) -> None:
    """Write `{relative path: text}` under `root`."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def write_hello_apps(root: Path) -> Path:
    """`hello_starlette.py` in `root` (for uvicorn / gunicorn) and the egg hello app; its directory."""
    (root / "hello_starlette.py").write_text(HELLO_STARLETTE)
    write_tree(root / "hello", HELLO_EGG)
    return root / "hello"


def uvicorn_argv(target: str, workers: int, port: int) -> list[str]:
    """`uvicorn --workers N` on 127.0.0.1:`port`, as a user would type it."""
    server = [sys.executable, "-m", "uvicorn", target, "--host", "127.0.0.1", "--port", str(port)]
    return [*server, "--workers", str(workers), "--log-level", "warning"]


def gunicorn_argv(target: str, workers: int, port: int) -> list[str]:
    """gunicorn with uvicorn's worker class, `workers` workers, on 127.0.0.1:`port`."""
    return [sys.executable, "-m", "gunicorn", target, "-k", "uvicorn.workers.UvicornWorker",
            "-w", str(workers), "-b", f"127.0.0.1:{port}", "--log-level", "warning"]  # fmt: skip


@contextlib.contextmanager
def temporary_home() -> Iterator[Path]:
    """HOME (and EGG_HOME) in a temporary directory for the processes started inside: a benchmark never
    writes to the real `~/logs` (the daemon's output, the apps' logs) nor reads the user's settings."""
    saved = {key: os.environ.get(key) for key in ("HOME", "EGG_HOME")}
    with tempfile.TemporaryDirectory(prefix="eggbin-bench-home-") as home:
        os.environ["HOME"] = os.environ["EGG_HOME"] = home
        try:
            yield Path(home)
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def first_200(client: httpx.Client, url: str, started: float, timeout: float = 60) -> float:
    """Seconds from `started` (perf_counter) to the first 200 of `url`, polled with `client`.

    The caller makes `client` before it starts the subject, whichever the subject:
    creating one costs ~17 ms, which must not be charged to one subject only.
    """
    deadline = started + timeout
    while time.perf_counter() < deadline:
        try:
            if client.get(url).status_code == 200:
                return time.perf_counter() - started
        except httpx.HTTPError:  # not listening yet
            time.sleep(0.002)
    raise TimeoutError(f"no 200 from {url} after {timeout} s")


def ratio(value: float, anchor: float) -> float:
    return value / anchor if anchor else float("inf")


def report(
    name: str, rows: Sequence[Measurement], anchor: str | None = None, notes: str = ""
) -> dict[str, Any]:
    """Print a table of medians (and ratios to `anchor`), write `bench/results/<name>.json`."""
    by_subject = {m.subject: m for m in rows}
    base = by_subject[anchor].median if anchor else None
    width = max(len(m.subject) for m in rows)
    print(f"\n{name} (medians; n = {', '.join(sorted({str(len(m.samples)) for m in rows}))})")
    header = f"{'subject':<{width}}  {'median':>10}  {'min':>10}  {'max':>10}"
    print(header + (f"  {'x ' + anchor:>14}" if anchor else ""))
    for m in rows:
        line = f"{m.subject:<{width}}  {_fmt(m.median, m.unit):>10}  {_fmt(min(m.samples), m.unit):>10}"
        line += f"  {_fmt(max(m.samples), m.unit):>10}"
        if base is not None:
            line += f"  {ratio(m.median, base):>14.2f}"
        print(line)
    if notes:
        print(notes)
    result = {
        "name": name,
        "anchor": anchor,
        "machine": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "rows": [{**asdict(m), "median": m.median} for m in rows],
        "notes": notes,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2))
    return result


def _fmt(value: float, unit: str) -> str:
    if unit == "s":
        return f"{value * 1000:.1f} ms"
    return f"{value:.1f} {unit}"
