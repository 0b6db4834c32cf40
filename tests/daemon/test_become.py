"""`eggscripts start` on the parse cache's fast path runs the master without a new interpreter.

The first run of a command line parses with typer, so the foreground execs and the daemon spawns the
master as before; the second replays the parse, so the foreground CLI process becomes the master itself
and the daemon forks it (eggbin/cluster/become.py). Everything a user sees stays the same: the pid, the
title `eggscripts status/stop` find, the exit code, the start lock, nothing left running.
"""

from __future__ import annotations

import os
import signal
import subprocess
from functools import partial
from pathlib import Path

import psutil
import pytest

from eggbin.daemon.locate import role_of
from tests.daemon.conftest import MakeApp, eggscripts, processes_titled
from tests.daemon.test_foreground import answers
from tests.support import all_gone, free_port, kill_tree, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.skipif(os.name != "posix", reason="POSIX only")]

TRACE = {"EGGBIN_START_TRACE": "1"}  # `[start-trace]` lines name how the master came to be
BECAME = "cli       becomes the master"
FORKED = "cli       forked the master"


def foreground_run(base: Path, title: str, port: int, log: Path) -> tuple[int, str, list[psutil.Process]]:
    """One foreground start to its first 200 and SIGTERM: its exit code, output and process tree."""
    argv = ["eggscripts", "start", str(base), "--title", title, "--port", str(port), "--workers", "1"]
    with log.open("wb") as out:
        started = subprocess.Popen(
            [*argv, "--host", "127.0.0.1"],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, **TRACE},
        )
    try:
        wait_until(lambda: answers(port), timeout=60, what="the foreground cluster to answer")
        assert role_of(psutil.Process(started.pid)) == (title, "master")
        status = eggscripts("status", str(base))
        assert status.returncode == 0, status.stderr
        assert str(started.pid) in status.stdout, status.stdout
        tree = [psutil.Process(started.pid), *psutil.Process(started.pid).children(recursive=True)]
        started.send_signal(signal.SIGTERM)
        code = started.wait(30)
        wait_until(lambda: all_gone(tree), timeout=15, what="every process of the cluster to exit")
        return code, log.read_text(), tree
    finally:
        kill_tree(started)


def test_a_replayed_foreground_start_is_the_master_in_the_cli_process(make_app: MakeApp) -> None:
    base, title = make_app("daemon_hello")
    port = free_port()
    code, output, _ = foreground_run(base, title, port, base / "first.log")
    assert code == 0
    assert "received SIGTERM, stopping" in output
    assert BECAME not in output  # typer parsed it: the master was exec'd, as ever
    code, output, tree = foreground_run(base, title, port, base / "second.log")
    assert code == 0
    assert "received SIGTERM, stopping" in output
    assert BECAME in output, output
    assert [line for line in output.splitlines() if "master" in line and "main" in line]
    assert len(tree) >= 3  # master, agent, worker: all gone (checked in foreground_run)


def test_a_replayed_daemon_start_forks_the_master_and_keeps_no_file_of_the_cli(make_app: MakeApp) -> None:
    base, title = make_app("daemon_hello")
    port = free_port()
    argv = ("start", str(base), "--daemon", "--title", title, "--port", str(port), "--workers", "1")
    for attempt in ("spawned", "forked"):
        done = eggscripts(*argv, env=TRACE)
        try:
            assert done.returncode == 0, done.stdout + done.stderr
            assert (FORKED in done.stderr) == (attempt == "forked"), done.stderr
            assert "is ready on" in done.stdout
            assert answers(port)
            [master] = processes_titled(title, "master")
            assert str(master.pid) in done.stdout
            opened = [f.path for f in master.open_files()]
            assert not [path for path in opened if path.endswith("start.lock")], opened  # released
            if attempt == "forked":  # (a refused start forgets the parse: the last thing to try)
                again = eggscripts(*argv)  # the lock is free: refused as running, not as "in progress"
                assert again.returncode != 0
                assert "is already running" in again.stderr, again.stderr
            tree = [master, *master.children(recursive=True)]
        finally:
            stopped = eggscripts("stop", str(base))
        assert stopped.returncode == 0, stopped.stderr
        wait_until(partial(all_gone, tree), timeout=15, what="every process of the cluster to exit")
        assert not processes_titled(title)
