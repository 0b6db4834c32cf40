"""Start a fixture app as a real cluster on 127.0.0.1, observe it, and always kill it."""

from __future__ import annotations

import json
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

from eggbin.cluster.launch import ClusterProcess, Ready
from eggbin.cluster.options import ClusterOptions
from tests.support import FIXTURE_APPS, kill_tree, wait_until

START_TIMEOUT = 30.0


@dataclass
class Running:
    """A started cluster and where to look at it."""

    process: ClusterProcess
    ready: Ready
    app_dir: Path
    log_file: Path
    title: str

    @property
    def url(self) -> str:
        return self.ready.address

    def log(self) -> str:
        return self.log_file.read_text(errors="replace")

    def observed(self, event: str | None = None) -> list[dict[str, Any]]:
        """What the processes recorded in run/observed.jsonl (see the fixture's app.py)."""
        path = self.app_dir / "run" / "observed.jsonl"
        # Only complete lines: another process may be halfway through appending the last one.
        lines = path.read_text().split("\n")[:-1] if path.exists() else []
        records = [json.loads(line) for line in lines if line]
        return [r for r in records if event is None or r["event"] == event]

    def state(self) -> dict[str, Any]:
        return dict(json.loads((self.app_dir / "run" / "cluster.json").read_text()))

    def worker_pids(self) -> set[int]:
        """Ready workers that are not being retired."""
        return {w["pid"] for w in self.state()["workers"] if w["ready"] and not w["retiring"]}

    def children(self) -> list[psutil.Process]:
        return psutil.Process(self.process.pid).children()


def cmdline(process: psutil.Process) -> str:
    """The whole command line as one string (a set title may leave padding behind)."""
    return " ".join(" ".join(process.cmdline()).split())


def with_title(title: str) -> list[psutil.Process]:
    """Live processes whose command line carries `--title=<title>`."""
    token = f"--title={title}"
    found = []
    for process in psutil.process_iter():
        try:
            if token in cmdline(process) and process.status() != psutil.STATUS_ZOMBIE:
                found.append(process)
        except psutil.Error:
            continue
    return found


def copy_app(tmp_path: Path, fixture: str) -> Path:
    """The fixture app in `tmp_path` (files a test put there first stay, unless the fixture has them)."""
    app_dir = tmp_path / fixture
    shutil.copytree(FIXTURE_APPS / fixture, app_dir, dirs_exist_ok=True)
    return app_dir


def start(app_dir: Path, log_file: Path, **options: Any) -> tuple[ClusterProcess, str]:
    title = f"egg-test-{uuid.uuid4().hex[:10]}"
    settings: dict[str, Any] = {"port": 0, "env": "unittest", "title": title, "workers": 2, **options}
    with log_file.open("ab") as log:
        process = ClusterProcess.start(
            ClusterOptions(base_dir=str(app_dir), **settings),
            new_session=True,
            stdout=log.fileno(),
            stderr=log.fileno(),
        )
    return process, title


@contextmanager
def running(tmp_path: Path, fixture: str = "cluster_basic", **options: Any) -> Iterator[Running]:
    app_dir = copy_app(tmp_path, fixture)
    log_file = tmp_path / "master.log"
    process, title = start(app_dir, log_file, **options)
    try:
        ready = process.wait_ready(START_TIMEOUT)
        yield Running(process, ready, app_dir, log_file, title)
    except BaseException:
        print(f"--- master log ({log_file}) ---\n{log_file.read_text(errors='replace')}")  # shown on failure
        raise
    finally:
        stop(process)


def stop(process: ClusterProcess) -> None:
    kill_tree(process.popen)
    process.channel.close()


@dataclass
class Load:
    """`clients` threads sending GET `path` back to back with keep-alive until stopped."""

    url: str
    clients: int = 4
    path: str = "/"
    results: list[tuple[float, bool, str]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def __enter__(self) -> Load:
        for _ in range(self.clients):
            thread = threading.Thread(target=self._client, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(15)

    def _client(self) -> None:
        with httpx.Client(base_url=self.url, timeout=10) as client:
            while not self._stop.is_set():
                try:
                    response = client.get(self.path)
                    ok, detail = response.status_code == 200, str(response.status_code)
                except httpx.HTTPError as exc:
                    ok, detail = False, f"{type(exc).__name__}: {exc}"
                self.results.append((time.monotonic(), ok, detail))

    def failures(self) -> list[tuple[float, bool, str]]:
        return [r for r in self.results if not r[1]]

    def wait_for(self, count: int) -> None:
        """Until `count` more requests succeeded (the load really runs)."""
        target = len(self.results) + count
        wait_until(lambda: len(self.results) >= target, what=f"{count} requests under load")
