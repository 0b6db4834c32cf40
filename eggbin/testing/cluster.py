"""The `cluster` fixture: a real master, agent and workers of an app on a free port, for one test."""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import os
import signal
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from eggbin.web.appinfo import load_app_info

if TYPE_CHECKING:
    import httpx

    from eggbin.cluster.launch import ClusterProcess
    from eggbin.cluster.options import ClusterOptions

START_TIMEOUT = 60.0
LOCK_TIMEOUT = 300.0
STOP_TIMEOUT = 10.0
_serial = itertools.count(1)


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now (the master binds it a moment later)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class AppDirLock:
    """One cluster per app directory at a time (the master owns `run/cluster.json`): under xdist, a
    worker that wants a cluster of an app another worker is running waits for it, with a deadline."""

    def __init__(self, base: Path) -> None:
        from eggbin.private_files import open_private, private_dir

        self.base = base
        run = private_dir(base / "run", tighten=True)
        self._file = os.fdopen(open_private(run / "eggbin-test-cluster.lock", os.O_WRONLY | os.O_APPEND), "a")

    def acquire(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    self.release()
                    pytest.fail(
                        f"another test process kept a cluster of `{self._file.name}`'s app for {timeout:g} s"
                    )
                time.sleep(0.05)  # polling a lock held by another process; there is nothing to wait on

    def release(self) -> None:
        self._file.close()  # closing drops the flock


@dataclass
class RunningCluster:
    """What a test gets: where the cluster listens, its pids and a ready `httpx.Client`."""

    url: str
    port: int
    pids: dict[str, Any]
    http: httpx.Client
    process: ClusterProcess = field(repr=False)
    lock: AppDirLock = field(repr=False)
    process_base: str = ""

    @property
    def master_pid(self) -> int:
        return int(self.process.pid)

    def close(self) -> int:
        """Stop gracefully (workers and agent save coverage on SIGTERM), then kill any leftover."""
        self.http.close()
        try:
            code = int(self.process.stop(STOP_TIMEOUT))
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)
        finally:
            self.lock.release()
        return code


class ClusterFactory:
    """`cluster(base_dir=None, workers=1, framework=None, env="unittest")`; each ends with its test."""

    def __init__(self, rootdir: Path) -> None:
        self.rootdir = rootdir
        self.running: list[RunningCluster] = []

    def __call__(
        self,
        base_dir: str | Path | None = None,
        *,
        workers: int = 1,
        framework: str | None = None,
        env: str = "unittest",
        timeout: float = START_TIMEOUT,
    ) -> RunningCluster:
        import httpx

        from eggbin.cluster.launch import ClusterProcess

        base = self._base(base_dir)
        if any(Path(r.process_base) == base for r in self.running):
            pytest.fail(f"a cluster of `{base}` is already running in this test; reuse it")
        options = self._options(base, workers, framework, env)
        lock = AppDirLock(base)
        lock.acquire(LOCK_TIMEOUT)
        try:
            process = ClusterProcess.start(options, new_session=True)
            try:
                ready = process.wait_ready(timeout)
            except BaseException:
                process.stop(STOP_TIMEOUT)
                raise
        except BaseException:
            lock.release()
            raise
        url = f"http://{options.host}:{ready.port}"
        client = httpx.Client(base_url=url, timeout=30)
        running = RunningCluster(url, ready.port, ready.pids, client, process, lock, str(base))
        self.running.append(running)
        return running

    def _base(self, base_dir: str | Path | None) -> Path:
        from eggbin.testing.apps import resolve_test_base

        return resolve_test_base(self.rootdir, base_dir, "cluster")

    def _options(self, base: Path, workers: int, framework: str | None, env: str) -> ClusterOptions:
        from eggbin.cluster.options import ClusterOptions

        name = load_app_info(base).name
        return ClusterOptions(
            base_dir=str(base),
            port=free_port(),
            workers=workers,
            env=env,
            framework=framework,
            title=f"egg-test-{name}-{os.getpid()}-{next(_serial)}",
        )

    def close(self) -> None:
        while self.running:
            self.running.pop().close()
