"""`eggscripts start` / `stop` / `reload` as an operator meets them: where it listens, what a failure
says, what a signal during start does, what stop's timeout may kill, which files only the owner reads."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from tests.daemon.conftest import MakeApp, eggscripts, processes_titled, start_daemon, state_of
from tests.support import HAS_OTHER_UID, as_other_user, free_port, owned_by_other_user, wait_until

pytestmark = pytest.mark.slow


def listening_addresses(title: str) -> set[tuple[str, int]]:
    return {
        (c.laddr[0], c.laddr[1])
        for p in processes_titled(title)
        for c in p.net_connections(kind="inet")
        if c.status == psutil.CONN_LISTEN
    }


def other_address() -> str | None:
    """A non-loopback IPv4 address of this host, if it has one."""
    for addresses in psutil.net_if_addrs().values():
        for address in addresses:
            if address.family == socket.AF_INET and not address.address.startswith("127."):
                return str(address.address)
    return None


def test_config_hostname_keeps_the_app_off_the_network(make_app: MakeApp) -> None:
    base, title = make_app("daemon_hello")
    port = free_port()
    (base / "config" / "prod.py").write_text(
        f"config = {{'cluster': {{'listen': {{'hostname': '127.0.0.1', 'port': {port}}}}}}}\n"
    )
    done = eggscripts("start", str(base), "--daemon", "--title", title)
    assert done.returncode == 0, done.stderr
    assert f"on 127.0.0.1:{port} (host from config/prod.py, port from config/prod.py)" in done.stderr
    assert f"{title} is ready on http://127.0.0.1:{port}" in done.stdout
    assert listening_addresses(title) == {("127.0.0.1", port)}
    assert httpx.get(f"http://127.0.0.1:{port}/", timeout=5).status_code == 200
    outside = other_address()
    if outside is not None:
        with pytest.raises(ConnectionRefusedError), socket.create_connection((outside, port), timeout=2):
            pass
    eggscripts("stop", str(base))


def test_config_path_serves_on_a_unix_socket(make_app: MakeApp) -> None:
    base, title = make_app("daemon_hello")
    (base / "config" / "prod.py").write_text("config = {'cluster': {'listen': {'path': 'run/http.sock'}}}\n")
    sock = base / "run" / "http.sock"
    done = eggscripts("start", str(base), "--daemon", "--title", title)
    assert done.returncode == 0, done.stderr
    assert f"on unix:{sock} (path from config/prod.py)" in done.stderr
    assert f"is ready on unix:{sock}" in done.stdout
    assert listening_addresses(title) == set()  # no TCP port at all
    with httpx.Client(transport=httpx.HTTPTransport(uds=str(sock))) as client:
        assert client.get("http://egg/").text.startswith("hello from ")
    assert eggscripts("stop", str(base)).returncode == 0
    assert not sock.exists()


def test_the_agent_gets_its_graceful_turn_when_stop_times_out(make_app: MakeApp) -> None:
    base, title = make_app("cluster_basic")
    port = free_port()
    start_daemon(base, title, port)
    agent = state_of(base)["agent_pid"]
    result: dict[str, Any] = {}

    def slow() -> None:
        try:
            result["status"] = httpx.get(
                f"http://127.0.0.1:{port}/slow", params={"s": 60}, timeout=90
            ).status_code
        except httpx.HTTPError as exc:
            result["error"] = repr(exc)

    client = threading.Thread(target=slow)
    client.start()
    try:
        wait_until(lambda: "slow-start" in _observed(base), what="the slow request in flight")
        done = eggscripts("stop", str(base), "--timeout", "1")
        assert done.returncode == 0, done.stderr
        assert (
            "worker(s) did not stop within 1 s; killing them (the agent still gets its 5 s to close)"
            in done.stderr
        )
        closed = [json.loads(line) for line in _observed(base).splitlines() if "before_close" in line]
        assert [r["pid"] for r in closed if r["role"] == "agent"] == [agent]
        assert processes_titled(title) == []
    finally:
        client.join(30)
    assert "status" not in result  # the request in flight on a killed worker is the one loss


def _observed(base: Path) -> str:
    path = base / "run" / "observed.jsonl"
    return path.read_text() if path.exists() else ""


def test_a_reload_after_a_broken_deploy_names_the_cause(make_app: MakeApp) -> None:
    base, title = make_app("daemon_hello")
    port = free_port()
    start_daemon(base, title, port)
    old = {w["pid"] for w in state_of(base)["workers"]}
    (base / "app.py").write_text(
        "class Boot:\n    def __init__(self, app):\n        pass\n\n"
        "    def did_load(self):\n        raise RuntimeError('the new release needs REDIS_URL')\n"
    )
    started = time.monotonic()
    done = eggscripts("reload", str(base))
    assert done.returncode == 1
    assert time.monotonic() - started < 30
    assert "reload failed: worker#1:" in done.stderr
    assert "app.py:6`: RuntimeError: the new release needs REDIS_URL" in done.stderr
    assert "the old workers keep serving" in done.stderr
    assert {w["pid"] for w in state_of(base)["workers"]} == old
    assert httpx.get(f"http://127.0.0.1:{port}/", timeout=5).status_code == 200
    (base / "app.py").unlink()
    fixed = eggscripts("reload", str(base))
    assert fixed.returncode == 0, fixed.stderr
    assert "[eggscripts] reloaded 2 workers in" in fixed.stderr
    eggscripts("stop", str(base))


def test_a_start_timeout_names_the_hook_still_pending(make_app: MakeApp) -> None:
    base, title = make_app("daemon_slow_boot")
    done = eggscripts(
        "start", str(base), "--daemon", "--title", title, "--port", str(free_port()), "--timeout", "4"
    )
    assert done.returncode == 1
    error = done.stderr.split("error: ", 1)[1]
    assert error.startswith("the app was not ready after 4 s: agent is still in `did_load ")
    assert f"{base / 'agent.py'}` (" in error
    assert "see the log above" not in done.stderr
    assert processes_titled(title) == []


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_the_daemon_starts_stops_the_cluster(
    make_app: MakeApp, isolated: Path, signum: int
) -> None:
    base, title = make_app("daemon_slow_boot")
    # SIGINT as a terminal's Ctrl-C finds it: a suite run in the background (a shell's `&`) ignores it, and
    # an ignored signal stays ignored across exec (a Python handler does not: the CLI gets the default)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        cli = subprocess.Popen(
            ["eggscripts", "start", str(base), "--daemon", "--title", title, "--port", str(free_port())],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONFAULTHANDLER": "1"},  # a SIGABRT dumps where a hung CLI waits
        )
    finally:
        signal.signal(signal.SIGINT, previous)
    try:
        wait_until(lambda: processes_titled(title, "agent"), timeout=30, what="the agent booting")
        cli.send_signal(signum)
        try:
            _, err = cli.communicate(timeout=30)
        except subprocess.TimeoutExpired:  # say where everything was
            left = [(p.pid, p.status(), " ".join(p.cmdline()).strip()) for p in processes_titled(title)]
            cli.send_signal(signal.SIGABRT)
            _, err = cli.communicate(timeout=10)
            log = isolated / "logs" / "master-stderr.log"
            pytest.fail(
                f"the CLI was still running 30 s after {signal.Signals(signum).name}; its stderr and stack:"
                f"\n{err}\ncluster processes: {left}\nmaster-stderr.log:\n"
                f"{log.read_text() if log.exists() else '(none)'}"
            )
        assert cli.returncode == 130, err
        assert f"interrupted: stopped `{title}`, which was still starting" in err
        wait_until(lambda: processes_titled(title) == [], timeout=15, what="nothing of the cluster left")
    finally:
        cli.kill()
        cli.communicate(timeout=10)  # its pipes closed here, not by the next test's garbage collection


@pytest.mark.parametrize("how", ["flag", "config"])
def test_the_heartbeat_timeout_is_configurable(make_app: MakeApp, isolated: Path, how: str) -> None:
    base, title = make_app("daemon_hello")
    extra: tuple[str, ...] = ()
    if how == "config":
        (base / "config" / "prod.py").write_text("config = {'cluster': {'worker_timeout': 1}}\n")
    else:
        extra = ("--worker-timeout", "1")
    start_daemon(base, title, free_port(), *extra)
    worker = state_of(base)["workers"][0]["pid"]
    os.kill(worker, signal.SIGSTOP)  # a worker whose loop no longer runs
    stderr = isolated / "logs" / "master-stderr.log"
    wait_until(lambda: f"worker#1:{worker} sent no heartbeat for 1 s" in stderr.read_text(), timeout=15)
    wait_until(lambda: worker not in {w["pid"] for w in state_of(base)["workers"]}, what="a new worker 1")
    eggscripts("stop", str(base))


def test_run_dir_and_every_log_are_the_owners_only(make_app: MakeApp, isolated: Path) -> None:
    base, title = make_app("daemon_hello")
    start_daemon(base, title, free_port())
    try:
        wait_until(lambda: (base / "run" / "application_config.json").exists(), what="the config dump")
        modes = {path: path.stat().st_mode & 0o777 for path in [base / "run", *(base / "run").iterdir()]}
        assert modes[base / "run"] == 0o700
        assert {p: m for p, m in modes.items() if p.is_file()} == {p: 0o600 for p in modes if p.is_file()}
        logs = isolated / "logs"
        app_logs = logs / "daemon-hello"
        assert logs.stat().st_mode & 0o777 == 0o700
        assert app_logs.stat().st_mode & 0o777 == 0o700
        files = [*logs.glob("master-*.log"), *app_logs.glob("*.log")]
        assert len(files) >= 4
        assert {f: f.stat().st_mode & 0o777 for f in files} == dict.fromkeys(files, 0o600)
    finally:
        eggscripts("stop", str(base))


EGGSCRIPTS = (
    "import sys; from eggbin.cli import eggscripts_main; sys.argv[0] = 'eggscripts'; eggscripts_main()"
)


@pytest.fixture
def other_users_app(make_app: MakeApp) -> Iterator[tuple[Path, str, Path]]:
    """daemon_hello, its HOME and its logs owned by another local user, outside pytest's 0700 temp dir."""
    if not HAS_OTHER_UID:
        pytest.skip("a second local user needs root and setpriv")
    base, title = make_app("daemon_hello")
    workdir = Path(tempfile.mkdtemp(prefix="eggbin-uid-"))
    try:
        shutil.copytree(base, workdir / "app")
        (workdir / "home" / "logs" / "daemon-hello").mkdir(parents=True)
        owned_by_other_user(workdir)
        yield workdir / "app", title, workdir / "home"
    finally:
        for proc in processes_titled(title):
            proc.kill()
        shutil.rmtree(workdir, ignore_errors=True)


def test_a_read_only_app_log_dir_is_one_line_naming_it(other_users_app: tuple[Path, str, Path]) -> None:
    base, title, home = other_users_app
    logs = home / "logs" / "daemon-hello"
    logs.chmod(0o500)
    done = as_other_user(
        EGGSCRIPTS, "start", str(base), "--title", title, "--port", str(free_port()), env={"HOME": str(home)}
    )
    assert done.returncode == 1, done.stdout + done.stderr
    failures = [line for line in done.stderr.splitlines() if "failed to start" in line]
    assert failures == [
        f"[master] agent failed to start: cannot write the log file `{logs / 'common-error.log'}`: "
        "Permission denied; make its directory writable by this user, or set `logger.dir` in config"
    ]
    assert "Traceback" not in done.stderr, done.stderr
    assert processes_titled(title) == []


def test_a_read_only_home_logs_dir_is_one_line_naming_it(other_users_app: tuple[Path, str, Path]) -> None:
    base, title, home = other_users_app
    (home / "logs").chmod(0o500)
    done = as_other_user(
        EGGSCRIPTS, "start", str(base), "--daemon", "--title", title, env={"HOME": str(home)}
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        f"error: cannot write the master's log `{home / 'logs' / 'master-stdout.log'}`: Permission denied; "
        "make that directory writable by this user, or pass --stdout and --stderr"
    )
    assert "Traceback" not in done.stderr
    assert processes_titled(title) == []


def test_stdout_and_stderr_may_share_one_file(make_app: MakeApp, tmp_path: Path) -> None:
    base, title = make_app("daemon_hello")
    log = tmp_path / "master.log"
    done = start_daemon(base, title, free_port(), "--stdout", str(log), "--stderr", str(log))
    assert f"  logs: {log}\n" in done.stdout
    assert eggscripts("stop", str(base)).returncode == 0
    assert "[master] egg started on " in log.read_text()
    assert log.stat().st_mode & 0o777 == 0o600
