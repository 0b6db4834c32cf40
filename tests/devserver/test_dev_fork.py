"""`eggbin dev` on the parse cache's fast path forks its master (eggbin/cluster/become.py) instead of
spawning a new interpreter: the app still loads fresh, reloads on save, and Ctrl-C stops everything."""

from __future__ import annotations

import signal
from pathlib import Path

import psutil
import pytest

from tests.devserver.running import DevRun, copy_app, eggbin
from tests.support import all_gone, free_port, wait_until

pytestmark = pytest.mark.slow

FORKED = "cli       forked the master"


def serve_then_ctrl_c(app: Path, port: int, log: Path, edit: str | None = None) -> DevRun:
    """`eggbin dev` to its first answer (and the edit served, if any), then Ctrl-C: it exits 0, all gone."""
    with eggbin(["dev", "--port", str(port)], app, log, port) as dev:
        dev.wait_text("hello v0", timeout=60)
        if edit is not None:
            controller = app / "app" / "controller" / "home.py"
            controller.write_text(controller.read_text().replace("hello v0", edit))
            dev.wait_text(edit, timeout=30)
            dev.wait_output(r"app/controller/home\.py changed: reloaded workers")
        tree = [psutil.Process(dev.popen.pid), *psutil.Process(dev.popen.pid).children(recursive=True)]
        dev.popen.send_signal(signal.SIGINT)
        assert dev.popen.wait(30) == 0, dev.output
        wait_until(lambda: all_gone(tree), timeout=15, what="every process of the dev cluster to exit")
        return dev


def test_a_replayed_dev_forks_the_master_which_loads_the_app_fresh_and_reloads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EGGBIN_START_TRACE", "1")  # `[start-trace]` lines name how the master came to be
    app = copy_app(tmp_path)
    port = free_port()
    first = serve_then_ctrl_c(app, port, tmp_path / "first.log")
    assert FORKED not in first.output  # typer parsed it: the master was spawned, as ever
    # the config the CLI previews (imported in the CLI process) is the agent's and workers' to import again:
    config = app / "config" / "default.py"
    config.write_text(config.read_text() + "\nimport os\nprint('config imported by', os.getpid())\n")
    second = serve_then_ctrl_c(app, port, tmp_path / "second.log", edit="hello v1")
    assert FORKED in second.output, second.output
    pids = {line.split()[-1] for line in second.output.splitlines() if line.startswith("config imported by")}
    assert len(pids) >= 3, second.output  # the CLI's preview, the agent, the worker (and its reload)
