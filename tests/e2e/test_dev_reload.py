"""`eggbin dev` end to end: reload on save, zero failed requests, broken saves, agent restarts, ports."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
from pathlib import Path

import pytest

from tests.devserver.running import Poller, copy_app, eggbin
from tests.support import all_gone, cluster_roles, descendants, free_port, port_accepts, wait_until

pytestmark = pytest.mark.slow


def _pids(cli_pid: int) -> dict[str, int]:
    return {role: procs[-1].pid for role, procs in cluster_roles(cli_pid).items()}  # the newest


def _edit(file: Path, old: str, new: str) -> None:
    file.write_text(file.read_text().replace(old, new))


def test_saves_reload_the_workers_without_a_failed_request(tmp_path: Path) -> None:
    app, port = copy_app(tmp_path), free_port()
    home = app / "app" / "controller" / "home.py"
    with eggbin(["dev", "--port", str(port)], app, tmp_path / "dev.log", port) as run:
        run.wait_text("hello v0")
        agent = _pids(run.popen.pid)["agent"]
        with Poller(run.url) as poller:
            wait_until(lambda: poller.texts, what="the poller's first answer")
            for n in range(1, 4):
                (app / "app" / "public" / "site.css").write_text(f"/* {n} */")  # ignored
                _edit(home, f"hello v{n - 1}", f"hello v{n}")
                run.wait_text(f"hello v{n}")
                run.wait_output(r"home\.py changed: reloaded workers in \d+ ms(.|\n)*" * n)
            wait_until(lambda: "hello v3" in poller.texts, what="the poller to see the last save")
        assert poller.failures == []
        assert {"hello v0", "hello v3"} <= set(poller.texts)
        assert port_accepts(port)
        assert _pids(run.popen.pid)["agent"] == agent  # app-side change: the agent stays
    lines = run.reload_lines()
    assert len(lines) == 3, lines  # the ignored asset writes reloaded nothing
    assert all(
        line.startswith("[eggbin] app/controller/home.py changed: reloaded workers in ") for line in lines
    )


def test_a_broken_save_keeps_the_old_code_serving_and_the_next_good_save_recovers(tmp_path: Path) -> None:
    app, port = copy_app(tmp_path), free_port()
    home = app / "app" / "controller" / "home.py"
    good = home.read_text()
    with eggbin(["dev", "--port", str(port)], app, tmp_path / "dev.log", port) as run:
        run.wait_text("hello v0")
        with Poller(run.url) as poller:
            home.write_text(good + "\ndef broken(:\n")
            run.wait_output(r"reload failed: .*syntax error in `.*home\.py:\d+`")
            assert run.popen.poll() is None
            run.wait_text("hello v0")
            home.write_text(good.replace("hello v0", "hello fixed"))
            run.wait_text("hello fixed")
        assert poller.failures == []
    assert "the previous code keeps serving" in run.output


@pytest.mark.parametrize("relative", ["agent.py", "config/default.py"])
def test_agent_side_changes_restart_the_agent_too(tmp_path: Path, relative: str) -> None:
    app, port = copy_app(tmp_path), free_port()
    with eggbin(["dev", "--port", str(port)], app, tmp_path / "dev.log", port) as run:
        run.wait_text("hello v0")
        before = _pids(run.popen.pid)
        with (app / relative).open("a") as file:
            file.write("\n# touched\n")
        run.wait_output(rf"{relative} changed: reloaded agent and workers in \d+ ms")
        after = wait_until(
            lambda: (p := _pids(run.popen.pid)) and p.get("agent") not in (None, before["agent"]) and p,
            what="a new agent",
        )
        assert after["worker 1"] != before["worker 1"]
        run.wait_text("hello v0")


def test_edits_made_during_start_up_are_not_lost(tmp_path: Path) -> None:
    app, port = copy_app(tmp_path), free_port()
    home = app / "app" / "controller" / "home.py"
    with eggbin(["dev", "--port", str(port)], app, tmp_path / "dev.log", port) as run:
        run.wait_output(r"egg started|\[master\]", timeout=30)  # the cluster is starting
        _edit(home, "hello v0", "hello during start")
        run.wait_text("hello during start")


def test_ctrl_c_stops_everything_including_the_zygote(tmp_path: Path) -> None:
    app, port = copy_app(tmp_path), free_port()
    with eggbin(["dev", "--port", str(port)], app, tmp_path / "dev.log", port) as run:
        run.wait_text("hello v0")
        tree = descendants(run.popen.pid)
        assert sorted(_pids(run.popen.pid)) == ["agent", "master", "worker 1", "zygote"]
        os.kill(run.popen.pid, signal.SIGINT)
        assert run.popen.wait(30) == 0
        wait_until(lambda: all_gone(tree), timeout=10, what="every process to exit")


def test_the_configured_port_is_used_when_no_flag_is_given(tmp_path: Path) -> None:
    app, port = copy_app(tmp_path), free_port()
    (app / "config" / "local.py").write_text(f'config = {{"cluster": {{"listen": {{"port": {port}}}}}}}\n')
    with eggbin(["dev"], app, tmp_path / "dev.log", port) as run:
        run.wait_text("hello v0")
    assert "is in use" not in run.output


def test_a_busy_7001_falls_back_to_the_next_free_port_and_says_so(tmp_path: Path) -> None:
    app = copy_app(tmp_path)
    blocker = socket.socket()
    with contextlib.suppress(OSError):  # if someone else holds 7001, it is just as busy
        blocker.bind(("127.0.0.1", 7001))
        blocker.listen()
    try:
        with eggbin(["dev"], app, tmp_path / "dev.log", None) as run:
            match = run.wait_output(r"port 7001 is in use, using (\d+)")
            run.url = f"http://127.0.0.1:{match.group(1)}/"
            run.wait_text("hello v0")
            assert int(match.group(1)) > 7001
    finally:
        blocker.close()


def test_a_local_plugins_source_is_agent_side(tmp_path: Path) -> None:
    """A plugin enabled by `path` is watched like `agent.py`: a change there restarts agent and workers."""
    app, port = copy_app(tmp_path), free_port()
    plugin = tmp_path / "greeter"
    (plugin / "config").mkdir(parents=True)
    (plugin / "__init__.py").write_text('EGG_PLUGIN = {"name": "greeter"}\n')
    (plugin / "config" / "default.py").write_text('config = {"greeter": {"word": "hi"}}\n')
    (app / "config" / "plugin.py").write_text(
        f'plugins = {{"greeter": {{"enable": True, "path": "{plugin}"}}}}\n'
    )
    with eggbin(["dev", "--port", str(port)], app, tmp_path / "dev.log", port) as run:
        run.wait_text("hello v0")
        before = _pids(run.popen.pid)
        with (plugin / "config" / "default.py").open("a") as file:
            file.write("# touched\n")
        run.wait_output(r"default\.py changed: reloaded agent and workers in \d+ ms")
        wait_until(
            lambda: (p := _pids(run.popen.pid)) and p.get("agent") not in (None, before["agent"]),
            what="a new agent",
        )
