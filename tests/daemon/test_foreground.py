"""`eggscripts start` in the foreground becomes the master: no CLI process stays resident beside the cluster.

The container test (tests/e2e/test_container.py) runs the same as PID 1 of a namespace and checks orphan
reaping; this one checks the exec itself, signals and exit codes, without namespaces.
"""

from __future__ import annotations

import signal
import socket
import subprocess
from pathlib import Path

import httpx
import psutil
import pytest

from eggbin.daemon.locate import role_of
from tests.daemon.conftest import MakeApp
from tests.support import free_port, kill_tree, wait_until

pytestmark = pytest.mark.slow


def foreground(base: Path, title: str, port: int) -> subprocess.Popen[bytes]:
    """The foreground start, its output in `<base>/run.log`."""
    argv = ["eggscripts", "start", str(base), "--title", title, "--port", str(port), "--workers", "1"]
    with (base / "run.log").open("wb") as log:
        return subprocess.Popen(
            [*argv, "--host", "127.0.0.1"], stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )


def answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def roles(master: int) -> list[str]:
    return sorted(str(found[1]) for p in psutil.Process(master).children() if (found := role_of(p)))


def worker_pids(master: int) -> list[int]:
    return [p.pid for p in psutil.Process(master).children() if "worker" in str(role_of(p))]


def test_the_foreground_start_is_the_master_and_respawns_without_its_zygote(make_app: MakeApp) -> None:
    base, title = make_app("daemon_hello")
    port = free_port()
    started = foreground(base, title, port)
    try:
        wait_until(lambda: answers(port), timeout=60, what="the foreground cluster to answer")
        # the pid the shell started is the master itself, and nothing of the CLI runs in the tree
        assert role_of(psutil.Process(started.pid)) == (title, "master")
        wait_until(lambda: roles(started.pid) == ["agent", "worker 1"], what="the zygote to leave at ready")
        tree = psutil.Process(started.pid).children(recursive=True)
        assert not [p for p in tree if "eggscripts" in " ".join(p.cmdline())]
        # without the zygote a crashed worker is spawned afresh, and serves
        worker = next(p for p in tree if role_of(p) == (title, "worker 1"))
        worker.kill()
        wait_until(lambda: worker.pid not in worker_pids(started.pid), what="the killed worker to be reaped")
        wait_until(lambda: len(worker_pids(started.pid)) == 1 and answers(port), timeout=60, what="a respawn")
        tree = psutil.Process(started.pid).children(recursive=True)
        started.send_signal(signal.SIGTERM)
        assert started.wait(30) == 0
        assert "received SIGTERM, stopping" in (base / "run.log").read_text()
        assert not [p for p in tree if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    finally:
        kill_tree(started)


def test_a_foreground_start_that_cannot_listen_exits_1_naming_the_port(make_app: MakeApp) -> None:
    base, title = make_app("daemon_hello")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = foreground(base, title, port)
        try:
            assert started.wait(60) == 1
            assert f"cannot listen on 127.0.0.1:{port}" in (base / "run.log").read_text()
        finally:
            kill_tree(started)
