"""`eggscripts stop`: SIGTERM the master, wait until every process is gone and the port binds, and return
the moment that is true (egg-scripts always slept 5 s).

At `--timeout` the workers still running are killed, not the agent: the master then gives the agent
its SIGTERM and its close timeout (`before_close` runs), and only what is left after that is killed.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from eggbin import console
from eggbin.cluster.stop_sequence import MAX_DRAIN_DELAY
from eggbin.daemon.locate import (
    APP_DIR,
    Cluster,
    all_clusters,
    check_title,
    elsewhere,
    find_cluster,
    role_of,
    stale_state_file,
)
from eggbin.web.appinfo import require_app_dir

POLL = 0.02
AGENT_CLOSE_TIMEOUT = 5.0


@dataclass(frozen=True)
class StopOptions:
    base_dir: Path
    title: str | None = None
    timeout: float = 5.0
    all: bool = False


def stop(options: StopOptions) -> int:
    check_title(options.title)
    hint = ""
    if options.all:
        clusters = all_clusters()
    else:
        base = require_app_dir(options.base_dir, APP_DIR)
        found = find_cluster(base, options.title)
        clusters = [found] if found else []
        _remove_stale_state(base)
        hint = "" if options.title else elsewhere(base)
    if not clusters:
        console.info("no eggbin cluster is running" + ("" if options.all else f" for this app{hint}"))
        return 0
    for cluster in clusters:
        stop_cluster(cluster, options.timeout)
    return 0


def stop_cluster(cluster: Cluster, timeout: float) -> None:
    """Graceful first (the master stops its children in order), forceful at the deadlines."""
    started = time.monotonic()
    state = cluster.state or {}
    target = cluster.master or cluster.processes[0]
    with contextlib.suppress(psutil.NoSuchProcess):
        target.terminate()
    if cluster.master is None:  # orphans of a master killed with -9
        for proc in cluster.processes:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.terminate()
    waited = timeout + _drain_delay(cluster)
    alive = wait_gone(cluster.processes, waited)
    if alive and cluster.master is not None and cluster.master in alive:
        alive = _agents_turn(alive, waited, float(state.get("agent_close_timeout") or AGENT_CLOSE_TIMEOUT))
    for proc in alive:
        console.warn(f"pid {proc.pid} did not stop within {waited:g} s; killing it")
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.kill()
    wait_gone(alive, 5)
    _wait_address_free(str(state.get("address") or ""), deadline=time.monotonic() + timeout)
    elapsed = (time.monotonic() - started) * 1000
    console.info(
        f"[eggscripts] stopped {cluster.title} ({len(cluster.processes)} processes, {elapsed:.0f} ms)"
    )


def _agents_turn(alive: list[psutil.Process], timeout: float, agent_timeout: float) -> list[psutil.Process]:
    """Kill the workers still serving; the master then stops the agent gracefully. What is left after."""
    workers = [p for p in alive if (role_of(p) or ("", ""))[1].startswith("worker")]
    if workers:
        console.warn(
            f"{len(workers)} worker(s) did not stop within {timeout:g} s; killing them "
            f"(the agent still gets its {agent_timeout:g} s to close)"
        )
        for proc in workers:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.kill()
    return wait_gone(alive, agent_timeout + 2)


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


def _drain_delay(cluster: Cluster) -> float:
    """The cluster keeps serving this long after SIGTERM (`config.health.drain_delay`) before it stops."""
    delay = cluster.state.get("drain_delay") if cluster.state else None
    return min(float(delay), MAX_DRAIN_DELAY) if isinstance(delay, int | float) and delay > 0 else 0.0


def _wait_address_free(address: str, deadline: float) -> None:
    """Until the port binds again (or the unix socket file is gone)."""
    if address.startswith("unix:"):
        while os.path.exists(address[5:]) and time.monotonic() < deadline:
            time.sleep(POLL)
        return
    port = address.rpartition(":")[2]
    if not port.isdigit() or int(port) == 0:
        return
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("0.0.0.0", int(port)))
                return
            except OSError:
                pass
        time.sleep(POLL)
    console.warn(f"port {port} is still in use")


def _remove_stale_state(base: Path) -> None:
    stale = stale_state_file(base)
    if stale is not None:
        stale.unlink(missing_ok=True)
        console.info(f"removed the stale state file `{stale}` (no master holds it)")
