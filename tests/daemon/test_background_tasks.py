"""Background tasks across `eggscripts stop` and `eggscripts reload`: they finish within the close timeout,
and what outlives it is cancelled and logged. Real daemons, the installed console scripts, a temp HOME.

A task waits for a gate file before its 1 s sleep; the test opens the gate once the stopping process logs
that it waits for its tasks, so the sleep always happens during the stop, however loaded the machine is.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.daemon.conftest import eggscripts, processes_titled
from tests.support import free_port, wait_until

pytestmark = pytest.mark.slow
MakeApp = Callable[[str], tuple[Path, str]]
CLOSE_TIMEOUT_MS = "10000"
TIMEOUTS = {
    "EGG_APP_CLOSE_TIMEOUT": CLOSE_TIMEOUT_MS,
    "EGG_AGENT_CLOSE_TIMEOUT": CLOSE_TIMEOUT_MS,
    "EGG_MASTER_CLOSE_TIMEOUT": "60000",  # the workers' and the agent's own timeouts bound the stop
}


def logs(home: Path, name: str) -> str:
    path = home / "logs" / "background-app" / name  # prod: logs under HOME
    return path.read_text() if path.exists() else ""


def start(base: Path, title: str, port: int) -> None:
    argv = ["start", str(base), "--daemon", "--title", title, "--port", str(port), "--workers", "1"]
    done = eggscripts(*argv, env=TIMEOUTS)
    assert done.returncode == 0, done.stdout + done.stderr


def get(port: int, path: str, **params: object) -> dict[str, object]:
    response = httpx.get(f"http://127.0.0.1:{port}{path}", params=params, timeout=10)  # type: ignore[arg-type]
    assert response.status_code == 200, response.text
    return dict(response.json())


def in_background(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(["eggscripts", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def open_gate_when_waiting(home: Path, base: Path, log: str, pid: int | str, tasks: int) -> None:
    waiting = rf"INFO {pid} \[egg:background\] waiting up to [\d.]+ s for {tasks} task\(s\) to end"
    wait_until(lambda: re.search(waiting, logs(home, log)), timeout=60, what="the stopping process to wait")
    (base / "run" / "gate").touch()


def test_stop_lets_a_task_finish_and_cancels_one_past_the_close_timeout(
    make_app: MakeApp, isolated: Path
) -> None:
    base, title = make_app("background_app")
    port = free_port()
    start(base, title, port)
    try:
        pid = get(port, "/work", tag="short", seconds=1, gate="gate")["pid"]
        get(port, "/work", tag="long", seconds=60)
        stopping = in_background("stop", str(base), "--timeout", "40")
        open_gate_when_waiting(isolated, base, "egg-web.log", pid, tasks=2)
        _, stderr = stopping.communicate(timeout=60)
        assert stopping.returncode == 0, stderr
    finally:
        for proc in processes_titled(title):
            proc.kill()
    log = logs(isolated, "background-app-web.log")
    request = r"\[-/127\.0\.0\.1/[0-9a-f]{32}/\d+ms GET /work\?tag=short&seconds=1&gate=gate\]"
    done = rf"INFO {pid} {request} background done short"
    assert re.search(done, log), log
    assert "background done long" not in log
    cancelled = re.search(
        rf"ERROR {pid} \[-/127\.0\.0\.1/[0-9a-f]{{32}}/\d+ms GET /work\?tag=long&seconds=60\] "
        r"\[egg:background\] task "
        r"job was still running when the process stopped \(waited [\d.]+ s\): cancelled",
        log,
    )
    assert cancelled, log


def test_reload_lets_the_old_workers_task_finish(make_app: MakeApp, isolated: Path) -> None:
    base, title = make_app("background_app")
    port = free_port()
    start(base, title, port)
    try:
        old = get(port, "/work", tag="reload", seconds=1, gate="gate")["pid"]
        reloading = in_background("reload", str(base))
        open_gate_when_waiting(isolated, base, "egg-web.log", old, tasks=1)
        _, stderr = reloading.communicate(timeout=60)
        assert reloading.returncode == 0, stderr
        assert get(port, "/work", tag="after", seconds=0)["pid"] != old  # served by the new worker
        line = rf"INFO {old} \[.*GET /work\?tag=reload&seconds=1&gate=gate\] background done reload"
        wait_until(lambda: re.search(line, logs(isolated, "background-app-web.log")), what="the task's line")
    finally:
        eggscripts("stop", str(base), "--timeout", "40")
        for proc in processes_titled(title):
            proc.kill()
    assert "cancelled" not in logs(isolated, "background-app-web.log")


def test_stop_lets_the_agents_task_finish(make_app: MakeApp, isolated: Path) -> None:
    base, title = make_app("background_app")
    port = free_port()
    start(base, title, port)
    try:
        assert get(port, "/agent-work", tag="ag", seconds=1, gate="gate") == {"sent": "ag"}
        wait_until(lambda: "agent background started ag" in logs(isolated, "egg-agent.log"), what="the task")
        started = time.monotonic()
        stopping = in_background("stop", str(base), "--timeout", "40")
        open_gate_when_waiting(isolated, base, "egg-agent.log", r"\d+", tasks=1)
        _, stderr = stopping.communicate(timeout=60)
        assert stopping.returncode == 0, stderr
        assert time.monotonic() - started < 40
    finally:
        for proc in processes_titled(title):
            proc.kill()
    assert "agent background done ag" in logs(isolated, "egg-agent.log")
