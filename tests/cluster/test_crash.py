"""Crash and health rules: respawn with backoff, agent back after 1 s, hung workers replaced."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from eggbin.cluster.respawn import CAP, RestartPolicy
from tests.cluster.running import Load, running
from tests.support import wait_until


def test_kill_9_of_a_worker_under_load_loses_only_its_in_flight_requests(tmp_path: Path) -> None:
    with running(tmp_path) as cluster, Load(cluster.url) as load:
        load.wait_for(100)
        victim = cluster.ready.pids["workers"][0]
        os.kill(victim, signal.SIGKILL)
        killed = time.monotonic()
        wait_until(
            lambda: (
                len(cluster.state()["workers"]) == 2
                and victim not in cluster.worker_pids() | {w["pid"] for w in cluster.state()["workers"]}
            ),
            timeout=5,
            interval=0.01,
            what="a new worker process",
        )
        spawned_after = time.monotonic() - killed
        wait_until(lambda: len(cluster.worker_pids()) == 2, what="the new worker to listen")
        load.wait_for(100)
    assert spawned_after < 1.0
    failures = load.failures()
    # Only requests in flight on the killed worker may fail: at most one per client, right at the kill.
    assert len(failures) <= load.clients, failures
    assert all(killed - 0.5 < at < killed + 1.0 for at, _, _ in failures), failures
    assert "died (code -9); respawning in 0.1 s" in cluster.log()
    assert cluster.state()["workers"][0]["restarts"] + cluster.state()["workers"][1]["restarts"] == 1


def test_the_agent_comes_back_after_a_second(tmp_path: Path) -> None:
    with running(tmp_path) as cluster:
        old = cluster.ready.pids["agent"]
        os.kill(old, signal.SIGKILL)
        killed = time.monotonic()
        new = wait_until(
            lambda: (cluster.state()["agent_pid"] or old) != old and cluster.state()["agent_pid"]
        )
        assert time.monotonic() - killed >= 0.9
        wait_until(
            lambda: any(r["pid"] == new for r in cluster.observed("egg-ready")), what="egg-ready in the agent"
        )
        assert "agent died (code -9); respawning in 1 s" in cluster.log()


def test_a_worker_stuck_in_a_loop_is_replaced_after_the_timeout(tmp_path: Path) -> None:
    with running(tmp_path, workers=1, worker_timeout=2) as cluster:
        stuck = cluster.ready.pids["workers"][0]
        with pytest.raises(httpx.HTTPError):
            httpx.get(cluster.url + "/loop", timeout=0.5)
        started = time.monotonic()
        wait_until(
            lambda: f"worker#1:{stuck} sent no heartbeat for 2 s; killing it" in cluster.log(), timeout=10
        )
        assert 1.0 < time.monotonic() - started < 4.5  # last beat up to 1 s before the loop
        new = wait_until(lambda: cluster.worker_pids() - {stuck}, what="a replacement worker")
        assert httpx.get(cluster.url + "/pid").json()["pid"] in new


def test_heartbeats_off_keeps_a_busy_worker(tmp_path: Path) -> None:
    """`worker_timeout=0` (debugging): a worker paused for longer than any timeout is left alone."""
    with running(tmp_path, workers=1, worker_timeout=0) as cluster:
        worker = cluster.ready.pids["workers"][0]
        os.kill(worker, signal.SIGSTOP)  # like a breakpoint
        try:
            time.sleep(1.5)  # a span of silence is the thing under test, not a wait for an event
            assert "heartbeat" not in cluster.log()
        finally:
            os.kill(worker, signal.SIGCONT)
        assert httpx.get(cluster.url + "/pid").json()["pid"] == worker


def test_restart_policy_backs_off_per_slot_and_caps_the_cluster() -> None:
    policy = RestartPolicy()
    assert [policy.worker_delay(1, 100.0 + i) for i in range(4)] == [0.1, 0.2, 0.4, 0.8]
    assert policy.worker_delay(2, 104.0) == 0.1  # another slot starts fresh
    assert policy.worker_delay(1, 200.0) == 0.1  # a minute later the slot is forgiven
    capped = RestartPolicy(cap=CAP)
    delays = [capped.worker_delay(slot, 300.0) for slot in range(CAP + 1)]
    assert delays[:CAP] == [0.1] * CAP
    assert delays[CAP] is None
    assert capped.worker_delay(0, 359.0) is None
    assert capped.worker_delay(0, 361.0) == 0.1  # the window moved on
