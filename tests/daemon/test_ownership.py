"""What eggscripts may touch: its own app dir's cluster, its own pid file; never a pid a file names."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from tests.daemon.conftest import MakeApp, eggscripts, named, processes_titled, start_daemon, state_of
from tests.support import free_port, wait_until

pytestmark = pytest.mark.slow


@pytest.fixture
def sleeper() -> Iterator[psutil.Process]:
    """A live process that is not ours: any signal eggscripts sends it by mistake kills it."""
    popen = subprocess.Popen(["sleep", "300"])
    try:
        yield psutil.Process(popen.pid)
    finally:
        popen.kill()
        popen.wait(10)


def alive(proc: psutil.Process) -> bool:
    return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE


def test_a_same_named_app_elsewhere_is_not_this_apps_cluster(make_app: MakeApp, tmp_path: Path) -> None:
    first, _ = make_app("daemon_hello")
    title = named(first)
    second = tmp_path / "elsewhere"
    shutil.copytree(first, second)
    port = free_port()
    done = eggscripts("start", str(first), "--daemon", "--port", str(port), "--workers", "1")
    try:
        assert done.returncode == 0, done.stderr
        for command in ("status", "stop"):
            other = eggscripts(command, str(second))
            assert other.returncode == 0, other.stderr
            assert other.stderr.strip() == (
                f"no eggbin cluster is running for this app (`{title}` runs from `{first}`: "
                f"pass `--title {title}` to reach it)"
            )
        assert json.loads(eggscripts("status", str(second), "--json").stdout) == []
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=5).status_code == 200
        refused = eggscripts("start", str(second), "--daemon", "--port", str(free_port()))
        assert refused.returncode == 1
        assert f"the title `{title}` is taken by the app in `{first}`" in refused.stderr
        assert "start this app with another --title" in refused.stderr
        assert [c["title"] for c in json.loads(eggscripts("status", str(first), "--json").stdout)] == [title]
        assert eggscripts("stop", str(first)).returncode == 0
        assert processes_titled(title) == []
    finally:
        for proc in processes_titled(title):
            proc.kill()


def test_a_corrupt_state_file_falls_back_to_the_processes(make_app: MakeApp) -> None:
    base, title = make_app("daemon_hello")
    start_daemon(base, title, free_port())
    (base / "run" / "cluster.json").write_text("{ not json")
    status = eggscripts("status", str(base), "--json")
    assert status.returncode == 0, status.stderr
    assert [p["role"] for p in json.loads(status.stdout)[0]["processes"]][:3] == ["master", "zygote", "agent"]
    done = eggscripts("stop", str(base))
    assert done.returncode == 0, done.stderr
    assert processes_titled(title) == []


def test_a_forged_state_file_gets_no_pid_signalled(make_app: MakeApp, sleeper: psutil.Process) -> None:
    base, title = make_app("daemon_hello")
    port = free_port()
    start_daemon(base, title, port)
    real = state_of(base)
    forged = {**real, "master_pid": sleeper.pid, "started_at": sleeper.create_time()}
    (base / "run" / "cluster.json").write_text(json.dumps(forged))
    done = eggscripts("reload", str(base))
    assert done.returncode == 1
    assert f"does not describe the running master (pid {real['master_pid']}); not signalling" in done.stderr
    assert alive(sleeper)
    assert {w["pid"] for w in state_of(base)["workers"]} == {w["pid"] for w in real["workers"]}
    stopped = eggscripts("stop", str(base))
    assert stopped.returncode == 0, stopped.stderr
    assert processes_titled(title) == []
    assert alive(sleeper)


def test_a_stale_state_file_naming_a_live_process_is_removed_not_obeyed(
    make_app: MakeApp, sleeper: psutil.Process
) -> None:
    base, title = make_app("daemon_hello")
    (base / "run").mkdir()
    stale = {
        "master_pid": sleeper.pid,
        "agent_pid": None,
        "workers": [{"id": 1, "pid": sleeper.pid, "restarts": 0, "ready": True, "retiring": False}],
        "port": 7001,
        "title": title,
        "base_dir": str(base),
        "started_at": sleeper.create_time(),
        "reload_requests": 0,
    }
    (base / "run" / "cluster.json").write_text(json.dumps(stale))
    reload = eggscripts("reload", str(base))
    assert reload.returncode == 1
    assert "no cluster of this app is running" in reload.stderr
    stop = eggscripts("stop", str(base))
    assert stop.returncode == 0
    assert "removed the stale state file" in stop.stderr
    assert not (base / "run" / "cluster.json").exists()
    assert alive(sleeper)


def test_a_lock_held_by_a_stranger_with_a_forged_file_is_no_cluster(
    make_app: MakeApp, sleeper: psutil.Process
) -> None:
    base, _ = make_app("daemon_hello")
    (base / "run").mkdir()
    (base / "run" / "cluster.json").write_text(
        json.dumps({"master_pid": sleeper.pid, "port": 1, "title": "x", "base_dir": str(base),
                    "started_at": sleeper.create_time(), "workers": []})
    )  # fmt: skip
    holder = subprocess.Popen(["flock", str(base / "run" / "cluster.lock"), "sleep", "300"])
    try:
        wait_until(lambda: holder.poll() is None and _locked(base), what="the stranger to hold the lock")
        for command in ("reload", "stop", "status"):
            done = eggscripts(command, str(base))
            assert "no cluster of this app is running" in done.stderr or "no eggbin cluster" in done.stderr
        assert alive(sleeper)
    finally:
        holder.kill()
        holder.wait(10)


def _locked(base: Path) -> bool:
    from eggbin.cluster.state import is_locked

    return is_locked(base)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("start", "--title", "egg server"), "--title `egg server` is not one word"),
        (("stop", "--title", "a\tb"), "is not one word (no spaces or control characters)"),
        (
            ("start", "--port", "70000"),
            "Invalid value for '--port' / '-p': Input should be less than or equal to 65535",
        ),
        (("start", "--timeout", "-1"), "Invalid value for '--timeout'"),
        (("start", "--timeout", "0"), "--timeout must be more than 0 seconds, got `0`"),
        (("stop", "--timeout", "-1"), "Invalid value for '--timeout'"),
        (("reload", "--timeout", "0"), "--timeout must be more than 0 seconds, got `0`"),
        (("start", "--worker-timeout", "-2"), "Invalid value for '--worker-timeout'"),
        (("start", "--path", "/tmp/x.sock", "--port", "80"), "--path listens on a unix socket"),
    ],
)
def test_usage_errors_are_one_line_exit_2_and_start_nothing(
    make_app: MakeApp, args: tuple[str, ...], message: str
) -> None:
    base, title = make_app("daemon_hello")
    command, *rest = args
    done = eggscripts(command, str(base), *rest)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert processes_titled(title) == []


def test_not_an_app_says_how_eggscripts_takes_a_directory(tmp_path: Path) -> None:
    for command in ("start", "stop", "status", "reload"):
        done = eggscripts(command, str(tmp_path))
        assert done.returncode == 1
        assert "pass its directory as the argument" in done.stderr
        assert "--base" not in done.stderr


def test_pid_file_only_ever_replaces_a_stale_pid_file(make_app: MakeApp, tmp_path: Path) -> None:
    base, title = make_app("daemon_hello")
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n")
    running = tmp_path / "other.pid"
    running.write_text(f"{os.getpid()}\n")
    link = tmp_path / "link.pid"
    link.symlink_to(notes)
    for path, why in (
        (notes, "it does not hold a pid"),
        (running, f"it names pid {os.getpid()}, which is running"),
        (link, "it is not a regular file"),
    ):
        done = eggscripts("start", str(base), "--daemon", "--title", title, "--pid-file", str(path))
        assert done.returncode == 1
        assert f"refusing to overwrite --pid-file `{path}`: {why}" in done.stderr
        assert processes_titled(title) == []
    assert notes.read_text() == "my notes\n"
    assert running.read_text() == f"{os.getpid()}\n"
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    stale = tmp_path / "stale.pid"
    stale.write_text(dead.stdout)
    start_daemon(base, title, free_port(), "--pid-file", str(stale))
    master = int(stale.read_text())
    assert master == state_of(base)["master_pid"]
    assert eggscripts("stop", str(base)).returncode == 0
    assert not stale.exists()


def test_a_pid_file_replaced_meanwhile_is_left_alone(make_app: MakeApp, tmp_path: Path) -> None:
    base, title = make_app("daemon_hello")
    pid_file = tmp_path / "shop.pid"
    start_daemon(base, title, free_port(), "--pid-file", str(pid_file))
    pid_file.write_text("12345\n")  # another tool took the path over
    assert eggscripts("stop", str(base)).returncode == 0
    assert pid_file.read_text() == "12345\n"
