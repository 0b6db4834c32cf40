"""Dev reload: `eggbin dev` against `uvicorn --reload` on the same hello handler, same run.

    python bench/reload.py [--reloads 15] [--starts 5]

For each server: time from launch to the first 200 (polling every 10 ms; the servers take turns, one
start each per round, so a passing load falls on all alike); then, `--reloads` times,
the latency from a file write to the first response with the new text (polling every 10 ms), while a
second client requests continuously on fresh connections and counts failed and hung (> 1 s) requests.
egg-bin dev runs on the equivalent egg app (bench/egg_anchor.py) when Node/npm can provide it.
Targets (issue #6): eggbin reload median <= 0.5x uvicorn's and <= 150 ms, zero failed requests,
first 200 <= 1.0 s; (issue #16) first 200 <= 1.0x uvicorn's, reload <= 0.3x.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from egg_anchor import CONTROLLER, bin_path, controller, egg_app
from harness import Measurement, free_port, report

POLL = 0.01
HUNG = 1.0
BIN = Path(sys.executable).parent

UVICORN_APP = """TEXT = "{text}"


async def app(scope, receive, send):
    assert scope["type"] == "http"
    start = {{"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]}}
    await send(start)
    await send({{"type": "http.response.body", "body": TEXT.encode()}})
"""
EGGBIN_CONTROLLER = """from eggbin import Controller


class HomeController(Controller):
    async def index(self):
        self.ctx.body = "{text}"
"""


@dataclass
class Subject:
    """One dev server: how to launch it and which file holds the text it serves."""

    name: str
    argv: list[str]
    cwd: Path
    source: Path
    template: str


def make_uvicorn(root: Path, port: int) -> Subject:
    root.mkdir()
    (root / "hello.py").write_text(UVICORN_APP.format(text="hello 0"))
    argv = [str(BIN / "uvicorn"), "hello:app", "--reload", "--reload-dir", str(root), "--port", str(port)]
    return Subject(
        "uvicorn --reload", [*argv, "--log-level", "warning"], root, root / "hello.py", UVICORN_APP
    )


def make_eggbin(root: Path, port: int) -> Subject:
    for directory in ("app/controller", "config"):
        (root / directory).mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "bench-hello"\nversion = "0"\n')
    (root / "app" / "router.py").write_text(
        'def router(app):\n    app.router.get("/", app.controller.home.index)\n'
    )
    (root / "config" / "default.py").write_text('config = {"keys": "bench"}\n')
    source = root / "app" / "controller" / "home.py"
    source.write_text(EGGBIN_CONTROLLER.format(text="hello 0"))
    return Subject(
        "eggbin dev", [str(BIN / "eggbin"), "dev", "--port", str(port)], root, source, EGGBIN_CONTROLLER
    )


def make_egg(root: Path, port: int) -> Subject | None:
    app = egg_app("hello 0")
    if app is None:
        return None
    argv = [bin_path(app, "egg-bin"), "dev", f"--port={port}"]
    return Subject("egg-bin dev", argv, app, controller(app), CONTROLLER)


def get(client: httpx.Client, url: str) -> str | None:
    try:
        response = client.get(url, headers={"connection": "close"})
    except httpx.HTTPError:
        return None
    return response.text if response.status_code == 200 else None


def wait_for(client: httpx.Client, url: str, text: str, timeout: float = 30) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if get(client, url) == text:
            return time.perf_counter() - start
        time.sleep(POLL)
    raise RuntimeError(f"{url} did not serve {text!r} within {timeout} s")


@dataclass
class Background:
    """A second client requesting continuously: failed and hung requests during reloads."""

    url: str
    requests: int = 0
    failed: int = 0
    hung: int = 0
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        with httpx.Client(timeout=10) as client:
            while not self.stop.is_set():
                start = time.perf_counter()
                ok = get(client, self.url) is not None
                self.requests += 1
                self.failed += not ok
                self.hung += time.perf_counter() - start > HUNG


def launch(subject: Subject) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        subject.argv,
        cwd=subject.cwd,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop(popen: subprocess.Popen[bytes]) -> None:
    os.killpg(popen.pid, signal.SIGINT)
    try:
        popen.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(popen.pid, signal.SIGKILL)
        popen.wait()


def first_200(subjects: list[tuple[Subject, str]], starts: int) -> list[list[float]]:
    """Each subject's launch -> first 200, `starts` times, the subjects interleaved round by round (a load
    that comes and goes during the run falls on all of them alike)."""
    samples: list[list[float]] = [[] for _ in subjects]
    with httpx.Client(timeout=5) as client:
        for _ in range(starts):
            for (subject, url), times in zip(subjects, samples, strict=True):
                start = time.perf_counter()
                popen = launch(subject)
                try:
                    wait_for(client, url, "hello 0")
                    times.append(time.perf_counter() - start)
                finally:
                    stop(popen)
    return samples


def reloads(subject: Subject, url: str, count: int) -> tuple[list[float], Background]:
    popen = launch(subject)
    background = Background(url)
    samples = []
    try:
        with httpx.Client(timeout=5) as client:
            wait_for(client, url, "hello 0")
            thread = threading.Thread(target=background.run, daemon=True)
            thread.start()
            for n in range(1, count + 1):
                time.sleep(0.3)  # let the previous reload settle, as between two real saves
                text = f"hello {n} " + "x" * n  # a new size each time, like a real edit
                start = time.perf_counter()
                subject.source.write_text(subject.template.format(text=text))
                wait_for(client, url, text)
                samples.append(time.perf_counter() - start)
            background.stop.set()
            thread.join(15)
    finally:
        stop(popen)
    return samples, background


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reloads", type=int, default=15)
    parser.add_argument("--starts", type=int, default=5)
    args = parser.parse_args()
    latencies, notes = [], []
    with tempfile.TemporaryDirectory() as tmp:
        subjects = []
        for make in (make_uvicorn, make_eggbin, make_egg):
            port = free_port()
            made = make(Path(tmp) / make.__name__, port)
            if made is None:
                notes.append("egg-bin dev: not measured (no npm, or the install failed)")
                continue
            subjects.append((made, f"http://127.0.0.1:{port}/"))
        samples = first_200(subjects, args.starts)
        starts = [
            Measurement(f"{subject.name}: first 200", times)
            for (subject, _), times in zip(subjects, samples, strict=True)
        ]
        for subject, url in subjects:
            latencies_of, background = reloads(subject, url, args.reloads)
            extra = {"requests": background.requests, "failed": background.failed, "hung": background.hung}
            latencies.append(Measurement(f"{subject.name}: reload", latencies_of, extra=extra))
            notes.append(f"{subject.name}: {background.requests} requests during reloads, "
                         f"{background.failed} failed, {background.hung} hung > {HUNG:g} s")  # fmt: skip
    report(
        "dev_start",
        starts,
        anchor="uvicorn --reload: first 200",
        notes="targets: eggbin dev first 200 <= 1.0 s (issue #6) and <= 1.0x uvicorn --reload (issue #16)",
    )
    report(
        "reload",
        latencies,
        anchor="uvicorn --reload: reload",
        notes="\n".join([*notes, "targets: eggbin reload median <= 0.5x uvicorn and <= 150 ms; 0 failed"]),
    )


if __name__ == "__main__":
    main()
