"""Stale, corrupt and forged `run/cluster.json`: no pid signalled because of one, no real cluster missed."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from tests.daemon.conftest import MakeApp, eggscripts, processes_titled, start_daemon, state_of
from tests.support import free_port, wait_until


@pytest.fixture
def sleeper() -> Iterator[psutil.Process]:
    """A live process that is not ours: any signal eggscripts sends it by mistake kills it."""
    popen = subprocess.Popen(["sleep", "300"])
    try:
        yield psutil.Process(popen.pid)
    finally:
        popen.kill()
        popen.wait(10)


def alive(proc: psutil.Process) -> bool:
    return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE


def test_a_corrupt_state_file_falls_back_to_the_processes(make_app: MakeApp) -> None:
    base, title = make_app("daemon_hello")
    start_daemon(base, title, free_port())
    (base / "run" / "cluster.json").write_text("{ not json")
    status = eggscripts("status", str(base), "--json")
    assert status.returncode == 0, status.stderr
    # the zygote leaves once the cluster is ready (it may be on its way out still)
    roles = [p["role"] for p in json.loads(status.stdout)[0]["processes"] if p["role"] != "zygote"]
    assert roles == ["master", "agent", "worker 1", "worker 2"]
    done = eggscripts("stop", str(base))
    assert done.returncode == 0, done.stderr
    assert processes_titled(title) == []


def test_a_forged_state_file_gets_no_pid_signalled(make_app: MakeApp, sleeper: psutil.Process) -> None:
    base, title = make_app("daemon_hello")
    port = free_port()
    start_daemon(base, title, port)
    real = state_of(base)
    forged = {**real, "master_pid": sleeper.pid, "started_at": sleeper.create_time()}
    (base / "run" / "cluster.json").write_text(json.dumps(forged))
    done = eggscripts("reload", str(base))
    assert done.returncode == 1
    assert f"does not describe the running master (pid {real['master_pid']}); not signalling" in done.stderr
    assert alive(sleeper)
    assert {w["pid"] for w in state_of(base)["workers"]} == {w["pid"] for w in real["workers"]}
    stopped = eggscripts("stop", str(base))
    assert stopped.returncode == 0, stopped.stderr
    assert processes_titled(title) == []
    assert alive(sleeper)


def test_a_stale_state_file_naming_a_live_process_is_removed_not_obeyed(
    make_app: MakeApp, sleeper: psutil.Process
) -> None:
    base, title = make_app("daemon_hello")
    (base / "run").mkdir()
    stale = {
        "master_pid": sleeper.pid,
        "agent_pid": None,
        "workers": [{"id": 1, "pid": sleeper.pid, "restarts": 0, "ready": True, "retiring": False}],
        "port": 7001,
        "title": title,
        "base_dir": str(base),
        "started_at": sleeper.create_time(),
        "reload_requests": 0,
    }
    (base / "run" / "cluster.json").write_text(json.dumps(stale))
    reload = eggscripts("reload", str(base))
    assert reload.returncode == 1
    assert "no cluster of this app is running" in reload.stderr
    stop = eggscripts("stop", str(base))
    assert stop.returncode == 0
    assert "removed the stale state file" in stop.stderr
    assert not (base / "run" / "cluster.json").exists()
    assert alive(sleeper)


def test_a_lock_held_by_a_stranger_with_a_forged_file_is_no_cluster(
    make_app: MakeApp, sleeper: psutil.Process
) -> None:
    base, _ = make_app("daemon_hello")
    (base / "run").mkdir()
    (base / "run" / "cluster.json").write_text(
        json.dumps({"master_pid": sleeper.pid, "port": 1, "title": "x", "base_dir": str(base),
                    "started_at": sleeper.create_time(), "workers": []})
    )  # fmt: skip
    holder = subprocess.Popen(["flock", str(base / "run" / "cluster.lock"), "sleep", "300"])
    try:
        wait_until(lambda: holder.poll() is None and _locked(base), what="the stranger to hold the lock")
        for command in ("reload", "stop", "status"):
            done = eggscripts(command, str(base))
            assert "no cluster of this app is running" in done.stderr or "no eggbin cluster" in done.stderr
        assert alive(sleeper)
    finally:
        holder.kill()
        holder.wait(10)


def _locked(base: Path) -> bool:
    from eggbin.cluster.state import is_locked

    return is_locked(base)
