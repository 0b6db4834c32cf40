"""Graceful stop and rolling replacement, under load: no request that started is lost."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from eggbin.cluster.launch import ReloadError
from tests.cluster.running import Load, running
from tests.support import wait_until


def slow_request(url: str, seconds: float, out: dict[str, Any]) -> threading.Thread:
    def run() -> None:
        try:
            response = httpx.get(f"{url}/slow", params={"s": seconds}, timeout=30)
            out["status"], out["body"] = response.status_code, response.text
        except httpx.HTTPError as exc:
            out["error"] = repr(exc)
        out["at"] = time.monotonic()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_sigterm_lets_the_slow_request_in_flight_finish(tmp_path: Path) -> None:
    with running(tmp_path, app_close_timeout=10) as cluster:
        result: dict[str, Any] = {}
        thread = slow_request(cluster.url, 1.5, result)
        wait_until(lambda: cluster.observed("slow-start"), what="the slow request to start")
        cluster.process.signal(signal.SIGTERM)
        assert cluster.process.wait(20) == 0
        exited = time.monotonic()
        thread.join(10)
        assert result.get("status") == 200, result
        assert result["at"] <= exited
        assert "received SIGTERM, stopping" in cluster.log()
        closed = {r["pid"] for r in cluster.observed("before_close")}
        assert closed == {cluster.ready.pids["agent"], *cluster.ready.pids["workers"]}


def test_egg_app_close_timeout_cuts_a_request_that_runs_too_long(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EGG_APP_CLOSE_TIMEOUT", "1000")
    with running(tmp_path, workers=1, app_close_timeout=30) as cluster:
        result: dict[str, Any] = {}
        thread = slow_request(cluster.url, 20, result)
        wait_until(lambda: cluster.observed("slow-start"), what="the slow request to start")
        sent = time.monotonic()
        cluster.process.signal(signal.SIGTERM)
        assert cluster.process.wait(20) == 0
        assert time.monotonic() - sent < 5
        thread.join(10)
        assert "status" not in result or result["status"] != 200


@pytest.mark.parametrize("how", ["sighup", "api"])
def test_rolling_replacement_under_load_fails_no_request(tmp_path: Path, how: str) -> None:
    with running(tmp_path) as cluster, Load(cluster.url) as load:
        old = set(cluster.ready.pids["workers"])
        load.wait_for(100)
        if how == "sighup":
            cluster.process.signal(signal.SIGHUP)
            done = wait_until(
                lambda: [m for m in cluster.process.messages(0.5) if m["action"] == "reload-done"], timeout=60
            )[0]["data"]
        else:
            reloaded = cluster.process.reload(timeout=60)
            done = {"ms": reloaded.ms, "workers": reloaded.workers}
        load.wait_for(100)
    assert load.failures() == []
    assert set(done["workers"]).isdisjoint(old)
    assert len(done["workers"]) == 2
    assert done["ms"] > 0
    assert len({r["pid"] for r in cluster.observed("server_did_ready")} & set(done["workers"])) == 2


def test_reload_with_the_agent_replaces_it_first(tmp_path: Path) -> None:
    with running(tmp_path) as cluster:
        old_agent = cluster.ready.pids["agent"]
        cluster.process.reload(agent=True, timeout=60)
        new_agent = cluster.state()["agent_pid"]
        assert new_agent != old_agent
        wait_until(lambda: any(r["pid"] == new_agent for r in cluster.observed("egg-ready")))
        assert "reloading agent and workers" in cluster.log()


def test_a_reload_whose_new_worker_fails_keeps_the_old_ones(tmp_path: Path) -> None:
    with running(tmp_path) as cluster:
        old = set(cluster.ready.pids["workers"])
        (cluster.app_dir / "run" / "fail-boot").touch()
        with pytest.raises(
            ReloadError, match=r"reload failed: worker#1:\d+: .*RuntimeError: the database is"
        ):
            cluster.process.reload(timeout=60)
        assert cluster.worker_pids() == old
        assert httpx.get(cluster.url + "/pid").json()["pid"] in old
        (cluster.app_dir / "run" / "fail-boot").unlink()
        new = set(cluster.process.reload(timeout=60).workers)
        assert new.isdisjoint(old)
        wait_until(lambda: cluster.worker_pids() == new, what="the old workers to be gone from the state")


def test_the_master_close_timeout_kills_workers_but_the_agent_still_closes(tmp_path: Path) -> None:
    with running(tmp_path, workers=1, app_close_timeout=30, master_close_timeout=1) as cluster:
        result: dict[str, Any] = {}
        thread = slow_request(cluster.url, 20, result)
        wait_until(lambda: cluster.observed("slow-start"), what="the slow request to start")
        cluster.process.signal(signal.SIGTERM)
        assert cluster.process.wait(20) == 0
        thread.join(10)
        assert "workers did not stop in time; killing worker#1" in cluster.log()
        closed = [r for r in cluster.observed("before_close") if r["role"] == "agent"]
        assert [r["pid"] for r in closed] == [cluster.ready.pids["agent"]]
