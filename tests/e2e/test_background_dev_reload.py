"""`eggbin dev`: a save replaces the worker, and a background task the old one started still finishes.

The task waits for a gate file before its 1 s sleep; the test opens the gate once the old worker logs that
it waits for its tasks, so the sleep happens during the replacement however loaded the machine is (dev's
1 s close timeout is raised so that the test's own latency fits in it too).
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests.devserver.running import copy_app, eggbin
from tests.support import free_port, wait_until

pytestmark = pytest.mark.slow


def test_a_task_started_before_a_save_finishes_and_logs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EGG_APP_CLOSE_TIMEOUT", "10000")
    app, port = copy_app(tmp_path, "background_app"), free_port()
    logs = app / "logs" / "background-app"  # local: logs under the app
    with eggbin(["dev", "--port", str(port)], app, tmp_path / "dev.log", port) as run:
        run.wait_text("background v0")
        params = {"tag": "dev", "seconds": 1, "gate": "gate"}
        pid = httpx.get(f"{run.url}work", params=params, timeout=10).json()["pid"]
        home = app / "app" / "controller" / "home.py"
        home.write_text(home.read_text().replace("background v0", "background v1"))
        waiting = rf"INFO {pid} \[egg:background\] waiting up to [\d.]+ s for 1 task\(s\) to end"
        wait_until(
            lambda: re.search(waiting, (logs / "egg-web.log").read_text()), timeout=60, what="the wait"
        )
        (app / "run" / "gate").touch()
        done = rf"INFO {pid} \[.*GET /work\?tag=dev&seconds=1&gate=gate\] background done dev"
        log = logs / "background-app-web.log"
        wait_until(lambda: re.search(done, log.read_text()), timeout=30, what="the task's log line")
        assert "cancelled" not in log.read_text()
        run.wait_text("background v1")
        run.wait_output(r"home\.py changed: reloaded workers in \d+ ms")
