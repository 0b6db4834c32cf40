"""Crash and health rules: respawn with backoff, agent back after 1 s, hung workers replaced."""

from __future__ import annotations

import itertools
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from eggbin.cluster.process import describe_exit
from eggbin.cluster.respawn import LOOP_CRASHES, RestartPolicy
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
    assert "died: killed by SIGKILL (out of memory? see `dmesg`); respawning now" in cluster.log()
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
        oom = "agent died: killed by SIGKILL (out of memory? see `dmesg`); respawning in 1 s"
        assert oom in cluster.log()


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
        # the master's own SIGKILL is no out-of-memory suspect
        assert f"worker#1:{stuck} died: killed by SIGKILL; respawning" in cluster.log()


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


def test_restart_policy() -> None:
    policy = RestartPolicy()
    # a worker that served: back at once, until its slot loops (3 crashes within 10 s)
    assert [policy.worker_delay(1, True, 100.0 + i) for i in range(5)] == [0, 0, 0.1, 0.2, 0.4]
    assert policy.worker_delay(2, True, 104.0) == 0  # another slot starts fresh
    assert policy.worker_delay(1, True, 120.0) == 0  # 10 s later the slot is forgiven
    # a worker that never got ready: backoff from the first failure, per slot, up to 30 s
    assert [policy.worker_delay(3, False, 0) for _ in range(4)] == [0.1, 0.2, 0.4, 0.8]
    assert [policy.worker_delay(3, False, 0) for _ in range(9)][-1] == 30
    policy.booted(3)
    assert policy.worker_delay(3, False, 0) == 0.1
    # the agent: egg's 1 s after a crash, backoff only when it fails to boot
    assert [policy.agent_delay(False) for _ in range(3)] == [1, 2, 4]
    assert policy.agent_delay(True) == 1
    assert policy.agent_delay(False) == 1


def gaps(successes: list[float]) -> float:
    """The longest stretch without a served request."""
    return max((b - a for a, b in itertools.pairwise(successes)), default=0.0)


def test_a_request_of_death_every_half_second_never_empties_the_cluster(tmp_path: Path) -> None:
    """Both workers crash again and again (a crash loop) and still one serves within a second or two.

    Forked from the zygote, as `eggscripts start` runs them: a respawn costs a fork, not an interpreter.
    """
    with running(tmp_path, zygote=True) as cluster, httpx.Client(base_url=cluster.url, timeout=5) as client:
        served: list[float] = []
        storm_end = time.monotonic() + 12
        next_crash = time.monotonic()
        while time.monotonic() < storm_end:
            if time.monotonic() >= next_crash:
                with pytest.raises(httpx.HTTPError):  # the worker dies mid-request
                    httpx.get(cluster.url + "/crash", timeout=5)
                next_crash += 0.5
            try:
                if client.get("/pid", headers={"connection": "close"}).status_code == 200:
                    served.append(time.monotonic())
            except httpx.HTTPError:
                pass
            time.sleep(0.02)  # pacing the probe, not waiting for an event
        assert served
        assert storm_end - served[-1] < 2.0
        assert gaps(served) < 2.0, cluster.log()
        log = cluster.log()
        assert "respawning now" in log
        assert f"(crash loop: {LOOP_CRASHES} crashes within 10 s)" in log
        assert "the app cannot boot" not in log
        wait_until(lambda: len(cluster.worker_pids()) == 2, timeout=20, what="both slots to serve again")


def test_an_app_that_cannot_boot_any_more_is_retried_and_named(tmp_path: Path) -> None:
    with running(tmp_path, workers=1) as cluster:
        worker = cluster.ready.pids["workers"][0]
        (cluster.app_dir / "run" / "fail-boot").touch()  # a broken deploy: the next boot fails
        os.kill(worker, signal.SIGKILL)
        wait_until(lambda: "no worker is serving: the app cannot boot" in cluster.log(), timeout=10)
        failed = r"worker#1:\d+ failed to boot: .*RuntimeError: the database is unreachable"
        assert re.search(failed, cluster.log())
        wait_until(lambda: "respawning in 0.2 s" in cluster.log(), timeout=10, what="a second, later attempt")
        (cluster.app_dir / "run" / "fail-boot").unlink()
        new = wait_until(lambda: cluster.worker_pids() - {worker}, timeout=20, what="a worker serving again")
        assert httpx.get(cluster.url + "/pid", timeout=5).json()["pid"] in new


@pytest.mark.parametrize(
    ("signum", "killed_by_master", "expected"),
    [
        (signal.SIGSEGV, False, "killed by SIGSEGV"),
        (signal.SIGKILL, False, "killed by SIGKILL (out of memory? see `dmesg`)"),
        (signal.SIGKILL, True, "killed by SIGKILL"),
        (signal.SIGABRT, False, "killed by SIGABRT"),
    ],
)
def test_a_death_by_signal_is_named_by_the_signal(signum: int, killed_by_master: bool, expected: str) -> None:
    child = subprocess.run(
        [sys.executable, "-c", f"import os; os.kill(os.getpid(), {int(signum)})"], check=False, timeout=30
    )
    assert child.returncode == -signum
    assert describe_exit(child.returncode, killed_by_master=killed_by_master) == expected


def test_an_exit_code_and_an_unknown_signal_are_described() -> None:
    assert describe_exit(3) == "exited with code 3"
    assert describe_exit(0) == "exited with code 0"
    assert describe_exit(-200) == "killed by signal 200"


def test_a_worker_paused_in_pdb_is_not_taken_for_a_hung_one() -> None:
    """`debugger-paused` (eggbin/cluster/breakpoints.py) holds the heartbeat check until it speaks again."""
    from eggbin.cluster.options import ClusterOptions
    from eggbin.cluster.process import Child
    from eggbin.cluster.respawn import Respawner

    class Gone:  # a process that is already gone: `signal()` sends nothing
        pid = 2**22 + 1

        def poll(self) -> int:
            return 0

    class Host:
        options = ClusterOptions("/app", 7001, worker_timeout=2)
        workers = [Child("worker", 1, Gone(), None, ready=True), Child("worker", 2, Gone(), None, ready=True)]  # type: ignore[arg-type]

    host = Host()
    paused, hung = host.workers
    paused.paused = True
    paused.last_seen = hung.last_seen = time.monotonic() - 60
    Respawner(host).check_heartbeats()  # type: ignore[arg-type]
    assert (paused.killed, hung.killed) == (False, True)
