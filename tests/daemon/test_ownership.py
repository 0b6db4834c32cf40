"""What eggscripts refuses: bad flags, a directory that is no app, a pid file that is not its own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.daemon.conftest import MakeApp, eggscripts, processes_titled, start_daemon, state_of
from tests.support import free_port

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("start", "--title", "egg server"), "--title `egg server` is not one word"),
        (("stop", "--title", "a\tb"), "is not one word (no spaces or control characters)"),
        (
            ("start", "--port", "70000"),
            "Invalid value for '--port' / '-p': 70000 is not in the range 1<=x<=65535",
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
