"""kill -9 of each role, a worker frozen past its heartbeat, a crash storm: all under load.

Clusters run as `eggscripts start` runs them (workers forked from the zygote). The only failures
allowed are requests in flight on a process that was killed: each one must fall in a short window
after a kill, and there may be at most one per client for each kill.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import time
from pathlib import Path

import httpx
import psutil

from tests.cluster.running import Load, Running, running
from tests.support import all_gone, port_bindable, wait_until

AFTER_KILL = 2.0  # a client learns its connection died within this (a loaded machine included)


def unexplained(load: Load, kills: list[float], window: float = AFTER_KILL) -> list[tuple[float, bool, str]]:
    """Failures that no kill explains: outside `[kill - 0.2 s, kill + window]` of every kill."""
    return [f for f in load.failures() if not any(k - 0.2 <= f[0] <= k + window for k in kills)]


def roles(cluster: Running) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for child in psutil.Process(cluster.process.pid).children():
        role = " ".join(child.cmdline()).split(" --title=")[0].split(" ", 1)[1]
        found.setdefault(role.split()[0], []).append(child.pid)
    return found


def longest_gap(load: Load) -> float:
    served = sorted(at for at, ok, _ in load.results if ok)
    return max((b - a for a, b in itertools.pairwise(served)), default=0.0)


def test_kill_9_of_a_worker(tmp_path: Path) -> None:
    with running(tmp_path, zygote=True) as cluster, Load(cluster.url) as load:
        load.wait_for(100)
        victim = cluster.ready.pids["workers"][0]
        os.kill(victim, signal.SIGKILL)
        killed = time.monotonic()
        wait_until(lambda: len(cluster.worker_pids() - {victim}) == 2, what="both slots serving again")
        load.wait_for(100)
    assert unexplained(load, [killed]) == []
    assert len(load.failures()) <= load.clients
    assert "died: killed by SIGKILL (out of memory? see `dmesg`); respawning now" in cluster.log()


def test_kill_9_of_the_agent_fails_no_request(tmp_path: Path) -> None:
    with running(tmp_path, zygote=True) as cluster, Load(cluster.url) as load:
        load.wait_for(100)
        workers = cluster.worker_pids()
        os.kill(cluster.ready.pids["agent"], signal.SIGKILL)
        new = wait_until(
            lambda: (
                cluster.state()["agent_pid"] not in (None, cluster.ready.pids["agent"])
                and cluster.state()["agent_pid"]
            ),
            what="a new agent",
        )
        wait_until(lambda: any(r["pid"] == new for r in cluster.observed("egg-ready")), what="it to be ready")
        load.wait_for(100)
    assert load.failures() == []
    assert cluster.worker_pids() == workers


def test_kill_9_of_the_zygote_fails_no_request_and_respawns_still_work(tmp_path: Path) -> None:
    with running(tmp_path, zygote=True) as cluster, Load(cluster.url) as load:
        load.wait_for(100)
        os.kill(roles(cluster)["zygote"][0], signal.SIGKILL)
        load.wait_for(50)
        assert load.failures() == []
        victim = cluster.ready.pids["workers"][0]
        os.kill(victim, signal.SIGKILL)  # its replacement must come from somewhere else now
        killed = time.monotonic()
        wait_until(lambda: len(cluster.worker_pids() - {victim}) == 2, what="a spawned replacement")
        load.wait_for(100)
    assert unexplained(load, [killed]) == []


def test_kill_9_of_the_master_takes_everything_down_at_once(tmp_path: Path) -> None:
    with running(tmp_path, zygote=True) as cluster, Load(cluster.url) as load:
        load.wait_for(100)
        tree = [psutil.Process(cluster.process.pid), *psutil.Process(cluster.process.pid).children()]
        cluster.process.signal(signal.SIGKILL)
        killed = time.monotonic()
        wait_until(lambda: all_gone(tree), timeout=5, interval=0.01, what="every child to die with it")
        gone_after = time.monotonic() - killed
    assert gone_after < 1.0
    assert [f for f in load.failures() if f[0] < killed - 0.2] == []  # nothing failed before the kill
    assert port_bindable(cluster.ready.port)  # no orphan kept the port


def test_a_worker_frozen_past_its_heartbeat_is_replaced(tmp_path: Path) -> None:
    with running(tmp_path, zygote=True, worker_timeout=2) as cluster, Load(cluster.url) as load:
        load.wait_for(100)
        frozen = cluster.ready.pids["workers"][0]
        os.kill(frozen, signal.SIGSTOP)  # alive, holding its connections, answering nothing
        stopped = time.monotonic()
        wait_until(lambda: f"worker#1:{frozen} sent no heartbeat for 2 s" in cluster.log(), timeout=15)
        served_meanwhile = [r for r in load.results if r[1] and r[0] > stopped]
        wait_until(lambda: len(cluster.worker_pids() - {frozen}) == 2, what="a replacement worker")
        load.wait_for(100)
    assert served_meanwhile  # the other worker kept serving through the freeze
    assert unexplained(load, [stopped], window=time.monotonic() - stopped) == []
    assert len(load.failures()) <= load.clients


def test_a_crash_storm_under_load_never_empties_the_cluster(tmp_path: Path) -> None:
    """A request that kills its worker every 0.3 s for 8 s, while four clients keep asking."""
    with running(tmp_path, zygote=True) as cluster, Load(cluster.url, path="/pid") as load:
        load.wait_for(100)
        crashes: list[float] = []
        storm_end = time.monotonic() + 8
        while time.monotonic() < storm_end:
            crashes.append(time.monotonic())
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(cluster.url + "/crash", timeout=5)
            time.sleep(0.3)  # the storm's own pace
        wait_until(lambda: len(cluster.worker_pids()) == 2, timeout=30, what="both slots serving again")
        load.wait_for(100)
    assert unexplained(load, crashes) == []
    assert longest_gap(load) < 2.0, cluster.log()
    assert "the app cannot boot" not in cluster.log()
