"""Children forked from the zygote: real clusters, real reloads, nothing left behind."""

from __future__ import annotations

import os
import shutil
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psutil
import pytest

from eggbin.cluster.launch import ClusterProcess
from eggbin.cluster.options import ClusterOptions
from tests.support import (
    FIXTURE_APPS,
    all_gone,
    cluster_roles,
    descendants,
    free_port,
    port_bindable,
    wait_until,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def app_dir(tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURE_APPS / "dev_hello", tmp_path / "dev_hello"))


@contextmanager
def _started(app_dir: Path) -> Iterator[tuple[ClusterProcess, int]]:
    port = free_port()
    options = ClusterOptions(
        base_dir=str(app_dir), port=port, title=f"egg-server-zy{port}", zygote=True, app_close_timeout=1
    )
    process = ClusterProcess.start(options, new_session=True)
    try:
        process.wait_ready(timeout=30)
        yield process, port
    finally:
        tree = (
            [psutil.Process(process.pid), *descendants(process.pid)] if process.popen.poll() is None else []
        )
        process.stop(timeout=10)
        wait_until(lambda: all_gone(tree), timeout=10, what="every cluster process to exit")


@pytest.fixture
def cluster(app_dir: Path) -> Iterator[tuple[ClusterProcess, int]]:
    with _started(app_dir) as started:
        yield started


def _roles(master_pid: int) -> dict[str, list[psutil.Process]]:
    return cluster_roles(master_pid)


def test_children_are_forked_by_the_zygote_and_owned_by_the_master(
    cluster: tuple[ClusterProcess, int],
) -> None:
    process, port = cluster
    roles = _roles(process.pid)
    assert sorted(roles) == ["agent", "worker 1", "zygote"]
    for role in ("agent", "worker 1", "zygote"):
        assert roles[role][0].ppid() == process.pid, role
    assert httpx.get(f"http://127.0.0.1:{port}/").text == "hello v0"


def test_a_reload_forks_a_fresh_worker_that_serves_the_new_code(
    cluster: tuple[ClusterProcess, int], app_dir: Path
) -> None:
    process, port = cluster
    old = _roles(process.pid)["worker 1"][0].pid
    home = app_dir / "app" / "controller" / "home.py"
    home.write_text(home.read_text().replace("hello v0", "hello reloaded"))
    process.reload(timeout=30)
    wait_until(lambda: not psutil.pid_exists(old), timeout=10, what="the old worker to exit")
    assert httpx.get(f"http://127.0.0.1:{port}/").text == "hello reloaded"
    assert _roles(process.pid)["worker 1"][0].pid != old


def test_without_the_zygote_children_are_spawned_again(cluster: tuple[ClusterProcess, int]) -> None:
    process, port = cluster
    zygote = _roles(process.pid)["zygote"][0]
    zygote.kill()
    wait_until(lambda: all_gone([zygote]), timeout=10, what="the zygote to die")
    process.reload(agent=True, timeout=30)
    roles = _roles(process.pid)
    assert sorted(roles) == ["agent", "worker 1"]
    assert httpx.get(f"http://127.0.0.1:{port}/").text == "hello v0"


def test_kill_9_of_the_master_takes_the_zygote_and_forked_children_down(
    cluster: tuple[ClusterProcess, int],
) -> None:
    process, port = cluster
    tree = descendants(process.pid)
    assert len(tree) == 3
    os.kill(process.pid, signal.SIGKILL)
    wait_until(lambda: all_gone(tree), timeout=5, what="every child to die with the master")
    assert port_bindable(port)


ORPHAN_CONTROLLER = """
import subprocess
import sys

from eggbin import Controller


class OrphanController(Controller):
    async def spawn(self):
        sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.5)"])
        self.ctx.body = {"pid": sleeper.pid}
"""


def test_the_master_reaps_what_a_dead_worker_left_behind(app_dir: Path) -> None:
    (app_dir / "app" / "controller" / "orphan.py").write_text(ORPHAN_CONTROLLER)
    router = app_dir / "app" / "router.py"
    router.write_text(router.read_text() + '    app.router.get("/orphan", app.controller.orphan.spawn)\n')
    with _started(app_dir) as (process, port):
        sleeper = httpx.get(f"http://127.0.0.1:{port}/orphan").json()["pid"]
        _roles(process.pid)["worker 1"][0].kill()  # the sleeper is now the master's (its subreaper)
        wait_until(lambda: not psutil.pid_exists(sleeper), timeout=10, what="the orphan to be reaped")
        wait_until(lambda: _serves(port), timeout=10, what="a new worker to serve")


def _serves(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/").text == "hello v0"
    except httpx.HTTPError:
        return False
