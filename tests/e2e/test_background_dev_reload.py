"""`eggbin dev`: a save replaces the worker, and a background task the old one started still finishes."""

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
    # a 3 s task outlives the reload even on a loaded machine; dev's 1 s close timeout is raised to fit it
    monkeypatch.setenv("EGG_APP_CLOSE_TIMEOUT", "8000")
    app, port = copy_app(tmp_path, "background_app"), free_port()
    log = app / "logs" / "background-app" / "background-app-web.log"  # local: logs under the app
    with eggbin(["dev", "--port", str(port)], app, tmp_path / "dev.log", port) as run:
        run.wait_text("background v0")
        started = httpx.get(f"{run.url}work", params={"tag": "dev", "seconds": 3}, timeout=10).json()
        home = app / "app" / "controller" / "home.py"
        home.write_text(home.read_text().replace("background v0", "background v1"))
        run.wait_text("background v1")  # a new worker serves; the old one was told to stop
        wait_until(lambda: "background done dev" in log.read_text(), timeout=20, what="the task's log line")
        line = next(line for line in log.read_text().splitlines() if "background done dev" in line)
        assert re.search(
            rf"INFO {started['pid']} \[.*GET /work\?tag=dev&seconds=3\] background done dev", line
        )
        assert "cancelled" not in log.read_text()
        core = (app / "logs" / "background-app" / "egg-web.log").read_text()
        assert re.search(rf"INFO {started['pid']} \[egg:background\] waiting up to \d\.\d s for 1 task", core)
        run.wait_output(r"home\.py changed: reloaded workers in \d+ ms")
