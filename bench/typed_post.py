"""A typed JSON POST: a decorated controller (pydantic body, DI) vs a classic one (`ctx.validate`), FastAPI
and bare Starlette; and what the decorated model costs a route that does not use it.

    pip install --group bench        # FastAPI, for this benchmark only (not a dependency of eggbin)
    python bench/typed_post.py [--duration 10] [--rounds 3] [--workers 2] [--in-process 5000]

Every subject validates the same body into the same pydantic model and answers the same JSON, served by
`uvicorn --workers N` with the same flags and launcher (`uvicorn_nodelay.py`, as bench/throughput.py),
loaded with `wrk -t2 -c64 -d<duration>s --latency` and a POST script (`apt-get install -y wrk`). Rounds
interleave the subjects. The eggbin app keeps its whole default middleware stack (CSRF included: wrk
sends the token). Targets (issue #14), medians in the same run:

    decorated POST  >= 0.9x the classic POST's req/s, p99 <= 1.1x
    classic GET `/` in an app full of protos, advice and decorated routes  ~ 1.0x the same route in a
    plain app (the model adds no per-request work to routes that do not use it)
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import Measurement, free_port, report, server_process, write_tree, wrk
from throughput import APPS, LAUNCHERS

WRK_TIMEOUT = 20  # seconds: on a shared, loaded machine a slow answer is a latency, not a failure
BODY = '{"name": "egg", "priority": 2, "tags": ["a", "b"]}'
ANSWER = b'{"name":"egg","priority":2,"tags":["a","b"]}'
POST_SCRIPT = f"""
wrk.method = "POST"
wrk.body = '{BODY}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["x-csrf-token"] = "bench-token"
wrk.headers["Cookie"] = "csrfToken=bench-token"
"""
MODEL = """
from pydantic import BaseModel, Field


class Task(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    priority: int = Field(default=1, ge=1, le=5)
    tags: list[str] = []
"""
HOME = (
    "from eggbin import Controller\n\n\nclass HomeController(Controller):\n"
    "    async def index(self):\n        self.ctx.type = 'text'\n        self.ctx.body = 'hi, egg'\n"
)
PLAIN_APP = {
    "pyproject.toml": '[project]\nname = "bench-plain"\nversion = "0.0.0"\n',
    "config/default.py": 'config = {"keys": "bench"}\n',
    "app/router.py": "def router(app):\n    app.router.get('/', app.controller.home.index)\n",
    "app/controller/home.py": HOME,
}
TEGG_APP = {
    "pyproject.toml": '[project]\nname = "bench-tegg"\nversion = "0.0.0"\n',
    "config/default.py": 'config = {"keys": "bench"}\n',
    "app/router.py": (
        "def router(app):\n    app.router.get('/', app.controller.home.index)\n"
        "    app.router.post('/classic/tasks', app.controller.tasks.create)\n"
    ),
    "app/controller/home.py": HOME,
    "app/module/tasks/model.py": MODEL,
    "app/module/tasks/service.py": """
from eggbin import singleton_proto


def accept(task):
    return {"name": task.name, "priority": task.priority, "tags": task.tags}


@singleton_proto()
class TaskService:
    def accept(self, task):
        return accept(task)
""",
    "app/controller/tasks.py": """
from eggbin import Controller

from ..module.tasks.model import Task
from ..module.tasks.service import accept


class TasksController(Controller):
    async def create(self):
        return accept(self.ctx.validate(Task))
""",
    "app/controller/typed.py": """
from typing import Annotated

from eggbin import Body, HTTPMethod, http_controller, http_method, inject

from ..module.tasks.model import Task
from ..module.tasks.service import TaskService


@http_controller(path="/decorated")
class TaskController:
    tasks: TaskService = inject()

    @http_method(method=HTTPMethod.POST, path="/tasks")
    async def create(self, task: Annotated[Task, Body()]):
        return self.tasks.accept(task)
""",
    # the rest of the model, which the measured routes do not use: protos, advice on every *Service
    "app/module/extra/audit.py": """
import re

from eggbin import ObjectInitType, context_proto, inject, singleton_proto
from eggbin.aop import PointcutType, advice, crosscut, pointcut


@advice()
class Audit:
    async def before_call(self, ctx):
        ctx.set("audited", True)


@crosscut(PointcutType.NAME, class_name=re.compile("Service$"), method_name=re.compile("^find"))
@advice(init_type=ObjectInitType.SINGLETON)
class FindAudit:
    async def around(self, ctx, next):
        return await next()


@singleton_proto()
class UserService:
    async def find(self, uid):
        return {"uid": uid}


@context_proto()
class Session:
    users: UserService = inject()

    @pointcut(Audit)
    async def current(self):
        return await self.users.find(1)
""",
}
SERVERS = {
    "model.py": MODEL,
    "eggbin_app.py": APPS["eggbin_app.py"],  # the Application in uvicorn, booted at lifespan start
    "gc_probe.py": APPS["gc_probe.py"],  # imported by eggbin_app.py (idle without BENCH_GC_PROBE)
    "fastapi_app.py": """
from fastapi import FastAPI

from model import Task

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)


@app.post("/tasks")
async def create(task: Task):
    return {"name": task.name, "priority": task.priority, "tags": task.tags}
""",
    "starlette_app.py": """
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from model import Task


async def create(request):
    try:
        task = Task.model_validate(await request.json())
    except ValidationError as exc:
        return JSONResponse({"errors": exc.errors(include_url=False)}, status_code=422)
    return JSONResponse({"name": task.name, "priority": task.priority, "tags": task.tags})


app = Starlette(routes=[Route("/tasks", create, methods=["POST"])])
""",
}
Served = tuple[str, str | None, str, str]  # (ASGI target, eggbin app dir or None, request path, method)
SUBJECTS: dict[str, Served] = {
    "decorated": ("eggbin_app:app", "tegg", "/decorated/tasks", "POST"),
    "classic": ("eggbin_app:app", "tegg", "/classic/tasks", "POST"),
    "fastapi": ("fastapi_app:app", None, "/tasks", "POST"),
    "starlette": ("starlette_app:app", None, "/tasks", "POST"),
    "GET / (app with DI+AOP)": ("eggbin_app:app", "tegg", "/", "GET"),
    "GET / (plain app)": ("eggbin_app:app", "plain", "/", "GET"),
}


def wait_ready(
    port: int, path: str, method: str, process: subprocess.Popen[bytes], expected: tuple[bytes, ...]
) -> None:
    deadline = time.monotonic() + 60
    argv = ["curl", "-sf", f"http://127.0.0.1:{port}{path}"]
    if method == "POST":
        argv += ["-X", "POST", "-H", "content-type: application/json", "-H", "x-csrf-token: t"]
        argv += ["-H", "cookie: csrfToken=t", "-d", BODY]
    while time.monotonic() < deadline:
        if process.poll() is not None:
            stderr = process.stderr.read().decode()  # type: ignore[union-attr]
            raise RuntimeError(f"uvicorn exited with {process.returncode}: {stderr}")
        probe = subprocess.run(argv, capture_output=True)
        if probe.returncode == 0 and probe.stdout in expected:
            return
        time.sleep(0.1)
    raise RuntimeError(f"{path} on port {port} did not answer as expected within 60 s")


def measure(
    served: Served,
    root: Path,
    workers: int,
    duration: int,
    script: Path,
    expected: tuple[bytes, ...] = (ANSWER, b"hi, egg"),
) -> tuple[float, float]:
    """(req/s, p99 ms) of one subject under `uvicorn --workers`, once its route answers `expected`."""
    target, egg_app, path, method = served
    port = free_port()
    env = {**os.environ, "EGG_HOME": str(root), "HOME": str(root)}
    if egg_app:
        env["BENCH_EGG_APP"] = str(root / egg_app)
    argv = [*LAUNCHERS["nodelay"], target, "--port", str(port), "--workers", str(workers)]
    argv += ["--no-access-log", "--log-level", "warning", "--lifespan", "on"]  # a failed boot stops it
    with server_process(argv, root, env) as server:
        wait_ready(port, path, method, server, expected)
        url = f"http://127.0.0.1:{port}{path}"
        post = script if method == "POST" else None
        wrk(url, 2, post, WRK_TIMEOUT)  # warm-up
        return wrk(url, duration, post, WRK_TIMEOUT)


def in_process(root: Path, requests: int, rounds: int) -> dict[str, list[float]]:
    """CPU µs per request of the eggbin subjects, called in-process (no server, no wrk): a loaded machine
    skews wall-clock throughput, much less the CPU time one request costs."""
    import asyncio

    from eggbin.web.application import Application
    from eggbin.web.env import ServerEnv

    async def measure_app(app: Application, path: str, method: str) -> float:
        body = BODY.encode() if method == "POST" else b""
        headers = [(b"host", b"bench"), (b"content-type", b"application/json"), (b"x-csrf-token", b"t")]
        headers += [(b"cookie", b"csrfToken=t"), (b"content-length", str(len(body)).encode())]
        scope = {
            "type": "http",
            "method": method,
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
        }
        scope |= {
            "headers": headers,
            "client": ("127.0.0.1", 1),
            "server": ("127.0.0.1", 80),
            "scheme": "http",
        }

        async def receive() -> dict[str, object]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, object]) -> None:
            pass

        started = time.process_time()
        for _ in range(requests):
            await app(scope, receive, send)
        return (time.process_time() - started) / requests * 1e6

    async def run() -> dict[str, list[float]]:
        apps = {}
        for name in ("tegg", "plain"):
            apps[name] = Application(root / name, ServerEnv("prod", "bench"))
            await apps[name].boot()
        samples: dict[str, list[float]] = {}
        for _ in range(rounds):
            for subject, (_, egg_app, path, method) in SUBJECTS.items():
                if egg_app:
                    samples.setdefault(subject, []).append(await measure_app(apps[egg_app], path, method))
        for app in apps.values():
            await app.close()
        return samples

    return asyncio.run(run())


def wrk_parser(doc: str | None) -> argparse.ArgumentParser:
    """The options of a wrk benchmark over uvicorn workers: seconds per run, interleaved rounds, workers."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    return parser


def require_wrk_and_fastapi() -> None:
    """Exit naming the install command when wrk or FastAPI is missing."""
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install -y wrk")
    try:
        import fastapi  # noqa: F401
    except ImportError:
        sys.exit("FastAPI is not installed: pip install --group bench")


def main() -> None:
    parser = wrk_parser(__doc__)
    parser.add_argument(
        "--in-process", type=int, default=0, metavar="N", help="also time N in-process requests per subject"
    )
    args = parser.parse_args()
    require_wrk_and_fastapi()
    results: dict[str, list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_tree(root, SERVERS)
        write_tree(root / "tegg", TEGG_APP)
        write_tree(root / "plain", PLAIN_APP)
        if args.in_process:
            os.environ.update({"EGG_HOME": str(root), "HOME": str(root)})
            cpu = in_process(root, args.in_process, args.rounds * 3)
            print(f"\n{'in-process, CPU per request':<26} {'median':>9} {'min':>9}")
            for subject, values in cpu.items():
                print(f"{subject:<26} {statistics.median(values):>7.1f}us {min(values):>7.1f}us")
            report(
                "typed_post_in_process", [Measurement(k, v, "us") for k, v in cpu.items()], anchor="classic"
            )
        script = root / "post.lua"
        script.write_text(POST_SCRIPT)
        for _ in range(args.rounds):
            for subject in SUBJECTS:
                results.setdefault(subject, []).append(
                    measure(SUBJECTS[subject], root, args.workers, args.duration, script)
                )
    print_table(results)
    rows = [
        Measurement(subject, [rps for rps, _ in samples], "req/s", {"p99_ms": [p for _, p in samples]})
        for subject, samples in results.items()
    ]
    notes = (
        f"wrk -t2 -c64 -d{args.duration}s, {args.workers} uvicorn workers, {args.rounds} interleaved rounds"
    )
    report("typed_post", rows, anchor="classic", notes=notes)


def print_table(results: dict[str, list[tuple[float, float]]]) -> None:
    medians = {
        subject: (statistics.median(r for r, _ in samples), statistics.median(p for _, p in samples))
        for subject, samples in results.items()
    }
    print(f"\n{'subject':<26} {'req/s':>10} {'p99 ms':>8}   rounds (req/s / p99 ms)")
    for subject, (rps, p99) in medians.items():
        rounds = " ".join(f"{r:.0f}/{p:.1f}" for r, p in results[subject])
        print(f"{subject:<26} {rps:>10.0f} {p99:>8.2f}   {rounds}")
    pairs = (
        ("decorated", "classic"),
        ("fastapi", "classic"),
        ("GET / (app with DI+AOP)", "GET / (plain app)"),
    )
    for subject, anchor in pairs:
        ratio_rps = medians[subject][0] / medians[anchor][0]
        ratio_p99 = medians[subject][1] / medians[anchor][1]
        print(f"{subject} vs {anchor}: {ratio_rps:.2f}x req/s, {ratio_p99:.2f}x p99")


if __name__ == "__main__":
    main()
