"""Starts that race: one app started four times at once, two apps started at once sharing the default logs."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.daemon.conftest import MakeApp, eggscripts, processes_titled
from tests.support import free_port


def start_all(commands: list[list[str]]) -> list[subprocess.CompletedProcess[str]]:
    """Run every command at once; their results in order."""
    popens = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for command in commands
    ]
    done = []
    for popen in popens:
        out, err = popen.communicate(timeout=120)
        done.append(subprocess.CompletedProcess(popen.args, popen.returncode, out, err))
    return done


def test_racing_starts_of_one_app_start_exactly_one_cluster(make_app: MakeApp) -> None:
    base, title = make_app("daemon_hello")
    port = free_port()
    command = ["eggscripts", "start", str(base), "--daemon", "--title", title, "--port", str(port)]
    results = start_all([command] * 4)
    winners = [r for r in results if r.returncode == 0]
    losers = [r for r in results if r.returncode != 0]
    assert len(winners) == 1, [r.stderr for r in results]
    assert f"{title} is ready on http://0.0.0.0:{port}" in winners[0].stdout
    assert "already running" not in winners[0].stderr
    assert "warning" not in winners[0].stderr
    for loser in losers:
        assert loser.returncode == 1
        assert loser.stdout == ""
        assert (
            "another `eggscripts start` of this app is in progress" in loser.stderr
            or f"`{title}` is already running" in loser.stderr
        ), loser.stderr
        assert "Traceback" not in loser.stderr
    assert len(processes_titled(title, "master")) == 1
    assert eggscripts("stop", str(base)).returncode == 0


def test_two_apps_started_at_once_each_read_their_own_output(make_app: MakeApp, isolated: Path) -> None:
    (good, good_title), (broken, broken_title) = make_app("daemon_hello"), make_app("daemon_broken")
    logs = isolated / "logs"
    (logs).mkdir()
    (logs / "master-stderr.log").write_text("a previous run's last line\n")
    results = start_all(
        [
            ["eggscripts", "start", str(app), "--daemon", "--title", title, "--port", str(free_port())]
            for app, title in ((good, good_title), (broken, broken_title))
        ]
    )
    ok, failed = results
    assert ok.returncode == 0, ok.stderr
    assert "database at db.invalid:5432 is unreachable" not in ok.stderr  # not the other app's error
    assert failed.returncode == 1
    assert "database at db.invalid:5432 is unreachable" in failed.stderr
    assert "a previous run's last line" not in failed.stderr
    kept = [p.read_text() for p in logs.glob("master-stderr.log.*")]
    assert "a previous run's last line\n" in kept  # kept under its own name, not overwritten
    assert len(list(logs.glob("master-stderr.log*"))) == len(set(logs.glob("master-stderr.log*")))
    assert processes_titled(broken_title) == []
    assert eggscripts("stop", str(good)).returncode == 0
