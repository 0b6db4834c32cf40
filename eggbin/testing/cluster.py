"""The `cluster` fixture: a real master, agent and workers of an app on a free port, for one test."""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from eggbin.web.appinfo import is_app_dir, load_app_info

START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
_serial = itertools.count(1)


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now (the master binds it a moment later)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningCluster:
    """What a test gets: where the cluster listens, its pids and a ready `httpx.Client`."""

    url: str
    port: int
    pids: dict[str, Any]
    http: Any
    process: Any = field(repr=False)

    @property
    def master_pid(self) -> int:
        return int(self.process.pid)

    def close(self) -> int:
        """Stop gracefully (workers and agent save coverage on SIGTERM), then kill any leftover."""
        self.http.close()
        code = int(self.process.stop(STOP_TIMEOUT))
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
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

        options = self._options(self._base(base_dir), workers, framework, env)
        process = ClusterProcess.start(options, new_session=True)
        try:
            ready = process.wait_ready(timeout)
        except BaseException:
            process.stop(STOP_TIMEOUT)
            raise
        url = f"http://{options.host}:{ready.port}"
        running = RunningCluster(url, ready.port, ready.pids, httpx.Client(base_url=url, timeout=30), process)
        self.running.append(running)
        return running

    def _base(self, base_dir: str | Path | None) -> Path:
        base = (self.rootdir / (base_dir or ".")).resolve()
        if not is_app_dir(base):
            pytest.fail(f"`{base}` has no app/router.py; pass cluster(base_dir=...) an app directory")
        return base

    def _options(self, base: Path, workers: int, framework: str | None, env: str) -> Any:
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
