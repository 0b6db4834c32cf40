"""`eggscripts` end to end: the installed console scripts, real clusters, a temp HOME."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from tests.daemon.conftest import MakeApp, eggscripts, processes_titled, start_daemon
from tests.support import free_port, port_bindable, wait_until

pytestmark = pytest.mark.slow


def start(base: Path, title: str, port: int, *extra: str) -> None:
    done = start_daemon(base, title, port, *extra)
    assert f"{title} is ready on http://0.0.0.0:{port}" in done.stdout
    assert "warning" not in done.stderr  # the master's own progress lines go to stdout


def settled_status(base: Path) -> list[dict[str, Any]] | None:
    """`eggscripts status --json` once it lists master, agent and two workers (nothing else), else None."""
    status: list[dict[str, Any]] = json.loads(eggscripts("status", str(base), "--json").stdout)
    roles = [p["role"] for p in status[0]["processes"]] if status else []
    return status if roles == ["master", "agent", "worker 1", "worker 2"] else None


def test_start_serve_status_stop_three_times(make_app: MakeApp, isolated: Path) -> None:
    base, title = make_app("daemon_hello")
    port = free_port()
    for _ in range(3):
        start(base, title, port)
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=5).text.startswith("hello from ")
        # the zygote leaves right after egg-ready (ClusterOptions.keep_zygote is off for eggscripts)
        status = wait_until(lambda: settled_status(base), what="the zygote to leave after egg-ready")
        assert [c["title"] for c in status] == [title]
        assert status[0]["env"] == "prod"
        stopped = eggscripts("stop", str(base))
        assert stopped.returncode == 0, stopped.stderr
        assert processes_titled(title) == []
        assert port_bindable(port)
        assert not (base / "run" / "cluster.json").exists()
    assert (isolated / "logs" / "master-stdout.log").is_file()


def test_stopping_one_app_leaves_the_other_serving(make_app: MakeApp) -> None:
    (first, first_title), (second, second_title) = make_app("daemon_hello"), make_app("daemon_hello")
    first_port, second_port = free_port(), free_port()
    start(first, first_title, first_port)
    start(second, second_title, second_port)
    assert eggscripts("stop", str(first)).returncode == 0
    assert processes_titled(first_title) == []
    assert httpx.get(f"http://127.0.0.1:{second_port}/", timeout=5).status_code == 200
    # master, agent, 2 workers (the zygote left at ready)
    wait_until(lambda: len(processes_titled(second_title)) == 4, what="the second app's four processes")


def test_a_second_start_is_refused_naming_the_master(make_app: MakeApp) -> None:
    base, title = make_app("daemon_hello")
    port = free_port()
    start(base, title, port)
    again = eggscripts("start", str(base), "--daemon", "--title", title, "--port", str(free_port()))
    assert again.returncode == 1
    master = next(p for p in processes_titled(title) if p.cmdline()[0].startswith(f"{title} master"))
    assert f"is already running (master pid {master.pid})" in again.stderr


def test_boot_failure_names_the_exception_and_leaves_nothing(make_app: MakeApp) -> None:
    base, title = make_app("daemon_broken")
    done = eggscripts("start", str(base), "--daemon", "--title", title, "--port", str(free_port()))
    assert done.returncode == 1
    error = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert error, done.stderr
    assert "database at db.invalid:5432 is unreachable" in error[0]
    assert processes_titled(title) == []


def test_a_bad_setting_in_the_prod_file_fails_the_start_naming_that_file(make_app: MakeApp) -> None:
    base, title = make_app("daemon_hello")
    (base / "config" / "prod.py").write_text('config = {\n    "session": {"max_age": "1 day"},\n}\n')
    done = eggscripts("start", str(base), "--daemon", "--title", title, "--port", str(free_port()))
    assert done.returncode == 1
    error = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(error) == 1, done.stderr
    assert f"`config.session.max_age` is `'1 day'` (set in `{base / 'config' / 'prod.py'}:2`)" in error[0]
    assert processes_titled(title) == []


def test_stderr_at_boot_is_a_warning_not_a_failure(make_app: MakeApp) -> None:
    base, title = make_app("daemon_noisy")
    port = free_port()
    done = eggscripts("start", str(base), "--daemon", "--title", title, "--port", str(port))
    assert done.returncode == 0, done.stderr
    assert "warning: the app wrote to stderr while starting" in done.stderr
    assert "the old_api setting is deprecated" in done.stderr
    quiet = eggscripts("stop", str(base))
    assert quiet.returncode == 0


def test_stop_after_the_master_was_killed(make_app: MakeApp) -> None:
    base, title = make_app("daemon_hello")
    port = free_port()
    start(base, title, port)
    state = json.loads((base / "run" / "cluster.json").read_text())
    os.kill(state["master_pid"], signal.SIGKILL)
    wait_until(lambda: not psutil.pid_exists(state["master_pid"]) or _zombie(state["master_pid"]), timeout=10)
    done = eggscripts("stop", str(base))
    assert done.returncode == 0, done.stderr
    assert processes_titled(title) == []
    assert not (base / "run" / "cluster.json").exists()
    assert port_bindable(port)


def test_stop_waits_for_the_drain_delay_before_its_timeout(make_app: MakeApp) -> None:
    base, title = make_app("daemon_hello")
    (base / "config" / "prod.py").write_text('config = {"health": {"drain_delay": 2}}\n')
    port = free_port()
    start(base, title, port)
    wait_until(lambda: httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200)
    started = time.monotonic()
    done = eggscripts("stop", str(base), "--timeout", "1")
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started >= 2  # served through the drain, then stopped gracefully
    assert "did not stop" not in done.stderr  # 1 s of timeout counts after the 2 s of drain
    assert processes_titled(title) == []
    assert port_bindable(port)


def test_nothing_running_is_not_an_error(make_app: MakeApp) -> None:
    base, _ = make_app("daemon_hello")
    done = eggscripts("stop", str(base))
    assert done.returncode == 0
    assert "no eggbin cluster is running for this app" in done.stderr


@pytest.mark.parametrize(
    ("args", "environ", "expected"),
    [
        ((), {}, "prod"),
        (("--env", "staging"), {"EGG_SERVER_ENV": "test"}, "staging"),
        ((), {"EGG_SERVER_ENV": "staging"}, "staging"),
        ((), {"NODE_ENV": "production"}, "prod"),
        ((), {"NODE_ENV": "development"}, "prod"),
        (("--env", "local"), {"NODE_ENV": "production"}, "local"),
    ],
)
def test_env_mapping(
    make_app: MakeApp,
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
    environ: dict[str, str],
    expected: str,
) -> None:
    base, title = make_app("daemon_hello")
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    port = free_port()
    start(base, title, port, *args)
    assert httpx.get(f"http://127.0.0.1:{port}/env", timeout=5).json() == {"env": expected}
    eggscripts("stop", str(base))


def _zombie(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_python_and_pid_file(make_app: MakeApp, tmp_path: Path) -> None:
    import sys

    base, title = make_app("daemon_hello")
    port, pid_file = free_port(), tmp_path / "run" / "shop.pid"
    start(base, title, port, "--python", sys.executable, "--pid-file", str(pid_file))
    master = psutil.Process(int(pid_file.read_text()))
    assert master.exe() == psutil.Process().exe()
    assert " ".join(master.cmdline()).startswith(f"{title} master")
    assert eggscripts("stop", str(base)).returncode == 0
    assert not pid_file.exists()  # the master removes it when it exits


def test_a_python_without_eggbin_is_refused(make_app: MakeApp) -> None:
    base, title = make_app("daemon_hello")
    done = eggscripts("start", str(base), "--daemon", "--title", title, "--python", "/usr/bin/false")
    assert done.returncode == 2
    assert "--python `/usr/bin/false` cannot import eggbin" in done.stderr
    assert processes_titled(title) == []


def test_reload_under_load_fails_no_request(make_app: MakeApp) -> None:
    """Four clients hammer the app while `eggscripts reload` replaces both workers."""
    import threading

    base, title = make_app("daemon_hello")
    port = free_port()
    start(base, title, port)
    old = {w["pid"] for w in json.loads((base / "run" / "cluster.json").read_text())["workers"]}
    stop, failures, served = threading.Event(), [], []

    def client() -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            while not stop.is_set():
                try:
                    served.append(http.get("/").text)
                except httpx.HTTPError as exc:
                    failures.append(repr(exc))

    threads = [threading.Thread(target=client) for _ in range(4)]
    for thread in threads:
        thread.start()

    def workers() -> list[dict]:
        return list(json.loads((base / "run" / "cluster.json").read_text())["workers"])

    try:
        wait_until(lambda: len(served) > 20, timeout=30, what="the clients to be served")
        done = eggscripts("reload", str(base))
        assert done.returncode == 0, done.stderr
        assert "[eggscripts] reloaded 2 workers in" in done.stderr
        # an old worker may still be draining (listed, `retiring`) when the reload is reported done: it
        # serves no new connection, but its keep-alive clients' requests until it leaves
        listed = workers()
        assert {w["pid"] for w in listed if w["retiring"]} <= old
        wait_until(
            lambda: not old & {w["pid"] for w in workers()}, timeout=30, what="the old workers to leave"
        )
        # each client may still append the answer it had from an old worker: those are skipped
        after = len(served) + len(threads)
        wait_until(lambda: len(served) > after + 20, timeout=30, what="requests after the reload")
    finally:
        stop.set()
        for thread in threads:
            thread.join(15)
    new = {w["pid"] for w in workers()}
    assert failures == []
    assert len(new) == 2
    assert not new & old
    # once the old ones left, new workers only
    assert set(served[after:]) <= {f"hello from {pid}" for pid in new}
    eggscripts("stop", str(base))


def test_reload_without_a_cluster_says_so(make_app: MakeApp) -> None:
    base, _ = make_app("daemon_hello")
    done = eggscripts("reload", str(base))
    assert done.returncode == 1
    assert "no cluster of this app is running" in done.stderr
