"""Background tasks across `eggscripts stop` and `eggscripts reload`: they finish within the close timeout,
and what outlives it is cancelled and logged. Real daemons, the installed console scripts, a temp HOME."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.daemon.conftest import eggscripts, processes_titled
from tests.support import free_port, wait_until

pytestmark = pytest.mark.slow
MakeApp = Callable[[str], tuple[Path, str]]


def app_log(home: Path) -> str:
    path = home / "logs" / "background-app" / "background-app-web.log"  # prod: logs under HOME
    return path.read_text() if path.exists() else ""


def start(base: Path, title: str, port: int, close_timeout_ms: int) -> None:
    argv = ["start", str(base), "--daemon", "--title", title, "--port", str(port), "--workers", "1"]
    done = eggscripts(*argv, env={"EGG_APP_CLOSE_TIMEOUT": str(close_timeout_ms)})
    assert done.returncode == 0, done.stdout + done.stderr


def work(port: int, tag: str, seconds: float) -> int:
    response = httpx.get(f"http://127.0.0.1:{port}/work", params={"tag": tag, "seconds": seconds}, timeout=10)
    assert response.json()["tag"] == tag
    return int(response.json()["pid"])


def test_stop_lets_a_task_finish_and_cancels_one_past_the_close_timeout(
    make_app: MakeApp, isolated: Path
) -> None:
    base, title = make_app("background_app")
    port = free_port()
    start(base, title, port, close_timeout_ms=4000)
    try:
        pid = work(port, "short", 2)  # long enough to be running when the stop arrives
        work(port, "long", 60)
        started = time.monotonic()
        stopped = eggscripts("stop", str(base), "--timeout", "20")
        assert stopped.returncode == 0, stopped.stderr
        assert time.monotonic() - started < 15  # the close timeout (4 s) bounds the wait, not the 60 s task
    finally:
        for proc in processes_titled(title):
            proc.kill()
    log = app_log(isolated)
    assert re.search(
        rf"INFO {pid} \[-/127\.0\.0\.1/-/\d+ms GET /work\?tag=short&seconds=2\] background done short", log
    )
    assert "background done long" not in log
    core = (isolated / "logs" / "background-app" / "egg-web.log").read_text()
    assert re.search(rf"INFO {pid} \[egg:background\] waiting up to \d\.\d s for 2 task\(s\) to end", core)
    cancelled = re.search(
        rf"ERROR {pid} \[-/127\.0\.0\.1/-/\d+ms GET /work\?tag=long&seconds=60\] \[egg:background\] task "
        r"job was still running when the process stopped \(waited \d\.\d s\): cancelled",
        log,
    )
    assert cancelled, log


def test_reload_lets_the_old_workers_task_finish(make_app: MakeApp, isolated: Path) -> None:
    base, title = make_app("background_app")
    port = free_port()
    start(base, title, port, close_timeout_ms=8000)
    try:
        old = work(port, "reload", 3)  # still running when the new worker is up
        done = eggscripts("reload", str(base))
        assert done.returncode == 0, done.stderr
        assert work(port, "after", 0) != old  # served by the new worker
        wait_until(lambda: "background done reload" in app_log(isolated), timeout=20, what="the task's line")
        assert re.search(
            rf"INFO {old} \[.*GET /work\?tag=reload&seconds=3\] background done reload", app_log(isolated)
        )
    finally:
        eggscripts("stop", str(base), "--timeout", "20")
        for proc in processes_titled(title):
            proc.kill()
    assert "cancelled" not in app_log(isolated)
    core = (isolated / "logs" / "background-app" / "egg-web.log").read_text()
    assert re.search(rf"INFO {old} \[egg:background\] waiting up to \d\.\d s for 1 task", core)


def test_stop_lets_the_agents_task_finish(make_app: MakeApp, isolated: Path) -> None:
    base, title = make_app("background_app")
    port = free_port()
    start(base, title, port, close_timeout_ms=4000)
    agent_log = isolated / "logs" / "background-app" / "egg-agent.log"
    try:
        sent = httpx.get(
            f"http://127.0.0.1:{port}/agent-work", params={"tag": "ag", "seconds": 2}, timeout=10
        )
        assert sent.json() == {"sent": "ag"}
        wait_until(
            lambda: agent_log.exists() and "agent background started ag" in agent_log.read_text(),
            what="the agent to start the task",
        )
        stopped = eggscripts("stop", str(base), "--timeout", "20")
        assert stopped.returncode == 0, stopped.stderr
    finally:
        for proc in processes_titled(title):
            proc.kill()
    log = agent_log.read_text()
    assert re.search(r"INFO \d+ \[egg:background\] waiting up to \d\.\d s for 1 task\(s\) to end", log), log
    assert "agent background done ag" in log
