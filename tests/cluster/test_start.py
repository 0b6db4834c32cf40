"""Start order, `egg-ready` in every process, titles, the state file, and failures to start."""

from __future__ import annotations

import json
import re
import socket
import time
from pathlib import Path

import httpx
import psutil
import pytest

from eggbin.cluster.state import is_locked
from eggbin.errors import ClusterStartError
from tests.cluster.running import START_TIMEOUT, cmdline, copy_app, running, start, stop, with_title
from tests.support import wait_until


def test_agent_first_then_workers_then_egg_ready_everywhere(tmp_path: Path) -> None:
    with running(tmp_path) as cluster:
        pids = cluster.ready.pids
        assert len(pids["workers"]) == 2
        loads = cluster.observed("did_load")
        assert loads[0]["role"] == "agent"
        assert {r["pid"] for r in loads[1:]} == set(pids["workers"])
        everyone = {pids["agent"], *pids["workers"]}
        wait_until(lambda: {r["pid"] for r in cluster.observed("server_did_ready")} == everyone)
        wait_until(lambda: {r["pid"] for r in cluster.observed("egg-ready")} == everyone)
        assert all(r["data"]["pids"] == pids for r in cluster.observed("egg-ready"))
        servers = cluster.observed("server")  # egg's `server` event, once per worker, with uvicorn's server
        assert {r["pid"] for r in servers} == set(pids["workers"])
        assert {r["data"] for r in servers} == {"WorkerServer"}
        assert cluster.ready.port > 0
        assert cluster.ready.address == f"http://127.0.0.1:{cluster.ready.port}"
        assert httpx.get(cluster.url + "/").text == "hi, cluster"
        assert re.search(rf"\[master\] egg started on {cluster.url} \(\d+ ms\)", cluster.log())


def test_every_child_writes_its_run_files_once_it_has_started(tmp_path: Path) -> None:
    with running(tmp_path) as cluster:
        run = cluster.app_dir / "run"
        names = ["agent_config.json", "agent_timing.json", "application_config.json", "router.json"]
        wait_until(lambda: all((run / name).exists() for name in names), what="run/ files")
        timings = [
            json.loads((run / name).read_text()) for name in ("agent_timing.json", "application_timing.json")
        ]
        assert all(item["name"] and item["duration"] >= 0 for timing in timings for item in timing)


def test_one_worker_writes_the_run_files_every_worker_would_write_alike(tmp_path: Path) -> None:
    """Worker slot 1 dumps `run/application_*.json` (the same config and router in every worker), so
    the others boot without that work; here the config holds the pid of the process it was built in."""
    (tmp_path / "cluster_basic" / "config").mkdir(parents=True)
    (tmp_path / "cluster_basic" / "config" / "unittest.py").write_text(
        "import os\n\n\ndef config(app_info):\n    return {'built_in': os.getpid()}\n"
    )
    with running(tmp_path, workers=3) as cluster:
        slots = {w["id"]: w["pid"] for w in cluster.state()["workers"]}
        served: set[int] = set()
        with httpx.Client(base_url=cluster.url, headers={"connection": "close"}) as client:
            # a worker serves only after its startup, where it would have dumped its config
            wait_until(lambda: served.add(client.get("/pid").json()["pid"]) or served == set(slots.values()))
        dump = cluster.app_dir / "run" / "application_config.json"
        wait_until(dump.exists, what="the config dump")
        assert json.loads(dump.read_text())["config"]["built_in"] == slots[1]


def test_titles_name_every_role_with_a_unique_token(tmp_path: Path) -> None:
    with running(tmp_path) as cluster:
        token = f"--title={cluster.title}"
        master = cmdline(psutil.Process(cluster.process.pid))
        children = sorted(cmdline(p) for p in cluster.children())
        assert master == f"{cluster.title} master {token}"
        assert children == sorted(
            [
                f"{cluster.title} agent {token}",
                f"{cluster.title} worker 1 {token}",
                f"{cluster.title} worker 2 {token}",
            ]
        )


def test_state_file_is_locked_while_alive_and_removed_on_stop(tmp_path: Path) -> None:
    with running(tmp_path) as cluster:
        state = cluster.state()
        assert state["master_pid"] == cluster.process.pid
        assert state["agent_pid"] == cluster.ready.pids["agent"]
        assert [w["pid"] for w in state["workers"]] == cluster.ready.pids["workers"]
        assert state["port"] == cluster.ready.port
        assert state["title"] == cluster.title
        assert state["env"] == "unittest"
        assert state["base_dir"] == str(cluster.app_dir)
        assert is_locked(cluster.app_dir)
        assert cluster.process.stop(15) == 0
        assert not (cluster.app_dir / "run" / "cluster.json").exists()
        assert not is_locked(cluster.app_dir)


def test_stop_runs_before_close_everywhere_and_exits_zero(tmp_path: Path) -> None:
    with running(tmp_path) as cluster:
        processes = [psutil.Process(cluster.process.pid), *cluster.children()]
        assert cluster.process.stop(15) == 0
        closed = {r["pid"] for r in cluster.observed("before_close")}
        assert closed == {cluster.ready.pids["agent"], *cluster.ready.pids["workers"]}
        assert not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in processes)


def test_unix_socket_path(tmp_path: Path) -> None:
    path = tmp_path / "egg.sock"
    with running(tmp_path, path=str(path)) as cluster:
        assert cluster.ready.address == f"unix:{path}"
        with httpx.Client(transport=httpx.HTTPTransport(uds=str(path))) as client:
            assert client.get("http://egg/").text == "hi, cluster"
        cluster.process.stop(15)
        assert not path.exists()


def test_a_worker_raising_in_boot_fails_the_start_with_its_message(tmp_path: Path) -> None:
    app_dir = copy_app(tmp_path, "cluster_basic")
    (app_dir / "run").mkdir()
    (app_dir / "run" / "fail-boot").touch()
    process, title = start(app_dir, tmp_path / "master.log")
    try:
        with pytest.raises(ClusterStartError) as error:
            process.wait_ready(START_TIMEOUT)
        assert re.fullmatch(
            r"worker#\d:\d+ failed to start: .*`.*app\.py:\d+`: RuntimeError: the database is unreachable",
            str(error.value),
        )
        assert process.wait(15) == 1
        wait_until(lambda: not with_title(title), what="every process of the failed cluster to exit")
    finally:
        stop(process)


def test_a_port_in_use_fails_the_start(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process, _ = start(copy_app(tmp_path, "cluster_basic"), tmp_path / "master.log", port=port)
        try:
            with pytest.raises(
                ClusterStartError, match=rf"cannot listen on 127\.0\.0\.1:{port}: Address already in use"
            ):
                process.wait_ready(START_TIMEOUT)
            assert process.wait(10) == 1
        finally:
            stop(process)


def test_a_second_cluster_of_the_same_app_is_refused(tmp_path: Path) -> None:
    with running(tmp_path) as cluster:
        second, _ = start(cluster.app_dir, tmp_path / "second.log")
        try:
            with pytest.raises(
                ClusterStartError, match=r"a cluster of this app is already running \(master pid \d+"
            ):
                second.wait_ready(START_TIMEOUT)
            assert second.wait(10) == 1
            assert cluster.state()["master_pid"] == cluster.process.pid  # the first one's file is untouched
        finally:
            stop(second)


def test_bad_close_timeout_env_fails_the_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EGG_APP_CLOSE_TIMEOUT", "soon")
    process, _ = start(copy_app(tmp_path, "cluster_basic"), tmp_path / "master.log")
    try:
        with pytest.raises(ClusterStartError, match=r"`EGG_APP_CLOSE_TIMEOUT=soon` is not a duration"):
            process.wait_ready(START_TIMEOUT)
        assert process.wait(10) == 1
    finally:
        stop(process)


def test_kill_9_of_the_master_takes_every_child_down_within_a_second(tmp_path: Path) -> None:
    with running(tmp_path) as cluster:
        children = cluster.children()
        assert len(children) == 3
        cluster.process.signal(9)
        killed_at = time.monotonic()
        wait_until(
            lambda: not any(c.is_running() and c.status() != psutil.STATUS_ZOMBIE for c in children),
            timeout=5,
            what="children to die with the master",
        )
        assert time.monotonic() - killed_at < 1.0
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", cluster.ready.port))  # no orphan keeps the port
