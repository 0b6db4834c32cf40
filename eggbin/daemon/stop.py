"""`eggscripts stop`: SIGTERM the master, wait until every process is gone and the port binds, SIGKILL after
the timeout, and return the moment that is true (egg-scripts always slept 5 s)."""

from __future__ import annotations

import contextlib
import socket
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from eggbin import console
from eggbin.cluster.master import MAX_DRAIN_DELAY
from eggbin.daemon.locate import Cluster, by_title, find_cluster, stale_state_file
from eggbin.web.appinfo import require_app_dir

POLL = 0.02


@dataclass(frozen=True)
class StopOptions:
    base_dir: Path
    title: str | None = None
    timeout: float = 5.0
    all: bool = False


def stop(options: StopOptions) -> int:
    if options.all:
        clusters = list(by_title().values())
    else:
        base = require_app_dir(options.base_dir)
        found = find_cluster(base, options.title)
        clusters = [found] if found else []
        _remove_stale_state(base)
    if not clusters:
        console.info("no eggbin cluster is running" + ("" if options.all else " for this app"))
        return 0
    for cluster in clusters:
        stop_cluster(cluster, options.timeout)
    return 0


def stop_cluster(cluster: Cluster, timeout: float) -> None:
    """Graceful first (the master stops its children in order), forceful at the deadline."""
    started = time.monotonic()
    port = _port(cluster)
    target = cluster.master or cluster.processes[0]
    with contextlib.suppress(psutil.NoSuchProcess):
        target.terminate()
    if cluster.master is None:  # orphans of a master killed with -9
        for proc in cluster.processes:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.terminate()
    waited = timeout + _drain_delay(cluster)
    alive = wait_gone(cluster.processes, waited)
    for proc in alive:
        console.warn(f"pid {proc.pid} did not stop within {waited:g} s; killing it")
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.kill()
    wait_gone(alive, 5)
    if port:
        _wait_port_free(port, deadline=time.monotonic() + timeout)
    elapsed = (time.monotonic() - started) * 1000
    console.info(
        f"[eggscripts] stopped {cluster.title} ({len(cluster.processes)} processes, {elapsed:.0f} ms)"
    )


def wait_gone(processes: list[psutil.Process], timeout: float) -> list[psutil.Process]:
    """Poll until every process has exited (zombies count as gone); those still alive at the deadline."""
    deadline = time.monotonic() + timeout
    alive = list(processes)
    while alive:
        alive = [p for p in alive if _running(p)]
        if not alive or time.monotonic() >= deadline:
            break
        time.sleep(POLL)
    return alive


def _running(proc: psutil.Process) -> bool:
    try:
        return proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _port(cluster: Cluster) -> int | None:
    port = cluster.state.get("port") if cluster.state else None
    return port if isinstance(port, int) and port > 0 else None


def _drain_delay(cluster: Cluster) -> float:
    """The cluster keeps serving this long after SIGTERM (`config.health.drain_delay`) before it stops."""
    delay = cluster.state.get("drain_delay") if cluster.state else None
    return min(float(delay), MAX_DRAIN_DELAY) if isinstance(delay, int | float) and delay > 0 else 0.0


def _wait_port_free(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("0.0.0.0", port))
                return
            except OSError:
                pass
        time.sleep(POLL)
    console.warn(f"port {port} is still in use")


def _remove_stale_state(base: Path) -> None:
    stale = stale_state_file(base)
    if stale is not None:
        stale.unlink(missing_ok=True)
        console.info(f"removed the stale state file `{stale}` (its master is gone)")
