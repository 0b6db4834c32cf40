"""The pure parts of eggscripts: CPU counting, env choice, flag defaults from pyproject, the quick look for a
running cluster before `eggscripts start`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from eggbin.cli.settings import app_dir_from_argv, checked_defaults
from eggbin.daemon.cpus import cgroup_quota, usable_cpus
from eggbin.daemon.start import start_env
from tests.support import wait_until

NO_V1 = (Path("/nonexistent/quota"), Path("/nonexistent/period"))


@pytest.mark.parametrize(
    ("cpu_max", "expected"), [("max 100000", None), ("150000 100000", 1.5), ("50000 100000", 0.5)]
)
def test_cgroup_v2_quota(tmp_path: Path, cpu_max: str, expected: float | None) -> None:
    (tmp_path / "cpu.max").write_text(cpu_max + "\n")
    assert cgroup_quota(tmp_path / "cpu.max", NO_V1) == expected


def test_quota_caps_the_affinity_count(tmp_path: Path) -> None:
    (tmp_path / "cpu.max").write_text("50000 100000\n")
    assert usable_cpus(tmp_path / "cpu.max", NO_V1) == 1


def test_cgroup_v1_quota(tmp_path: Path) -> None:
    (tmp_path / "q").write_text("200000\n")
    (tmp_path / "p").write_text("100000\n")
    assert cgroup_quota(tmp_path / "missing", (tmp_path / "q", tmp_path / "p")) == 2.0


def test_no_cgroup_means_affinity() -> None:
    import os

    assert usable_cpus(Path("/nonexistent/cpu.max"), NO_V1) == len(os.sched_getaffinity(0))


@pytest.mark.parametrize(
    ("explicit", "env_file", "environ", "expected"),
    [
        (None, None, {}, ("prod", "eggscripts start")),
        ("staging", None, {"EGG_SERVER_ENV": "x"}, ("staging", "--env")),
        (None, "qa", {"EGG_SERVER_ENV": "x"}, ("qa", "config/env")),
        (None, None, {"EGG_SERVER_ENV": "x"}, ("x", "EGG_SERVER_ENV")),
        # egg-scripts forces NODE_ENV=production: NODE_ENV never makes a production start local
        (None, None, {"NODE_ENV": "production"}, ("prod", "eggscripts start")),
        (None, None, {"NODE_ENV": "development"}, ("prod", "eggscripts start")),
        (None, None, {"NODE_ENV": "test"}, ("prod", "eggscripts start")),
    ],
)
def test_start_env(
    tmp_path: Path,
    explicit: str | None,
    env_file: str | None,
    environ: dict[str, str],
    expected: tuple[str, str],
) -> None:
    if env_file:
        (tmp_path / "config").mkdir()
        (tmp_path / "config" / "env").write_text(env_file + "\n")
    env = start_env(tmp_path, explicit, environ)
    assert (env.name, env.source) == expected


def test_default_map_from_pyproject(tmp_path: Path) -> None:
    from typer.main import get_command

    from eggbin.cli import eggscripts_app

    group: Any = get_command(eggscripts_app)
    (tmp_path / "pyproject.toml").write_text(
        "[tool.eggscripts]\nworkers = 4\nignore-stderr = true\n[tool.x]\na = 1\n"
    )
    defaults = checked_defaults(group, "eggscripts", tmp_path, print)
    assert defaults["start"] == defaults["stop"] == {"workers": 4, "ignore_stderr": True}
    assert checked_defaults(group, "egg", tmp_path, print) == {key: {} for key in group.commands}
    (tmp_path / "pyproject.toml").write_text("not toml [")
    assert checked_defaults(group, "eggscripts", tmp_path, print)["start"] == {}


def test_app_dir_from_argv(tmp_path: Path) -> None:
    assert app_dir_from_argv(["dev", "--base", "x"], positional=False) == Path("x")
    assert app_dir_from_argv(["dev", "--base=y"], positional=False) == Path("y")
    assert app_dir_from_argv(["start", str(tmp_path), "--daemon"], positional=True) == tmp_path
    assert app_dir_from_argv(["start", "--daemon"], positional=True) == Path(".")


def test_pyproject_defaults_reach_the_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`[tool.eggscripts] timeout = "x"` is checked as the flag is; the error names key and file."""
    from eggbin.cli import eggscripts_app, run

    (tmp_path / "pyproject.toml").write_text('[tool.eggscripts]\ntimeout = "soon"\n')
    with pytest.raises(SystemExit) as exited:
        run(eggscripts_app, ["stop", str(tmp_path)])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert f'timeout = "soon" in [tool.eggscripts] of {tmp_path.resolve() / "pyproject.toml"}' in err
    assert "--timeout" not in err


def test_a_successful_daemon_start_ends_the_process_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tearing the CLI's modules down took 150-250 ms after `egg-ready` was printed: it is skipped."""
    import shutil

    from eggbin.daemon import start as start_module
    from tests.support import FIXTURE_APPS

    base = tmp_path / "app"
    shutil.copytree(FIXTURE_APPS / "daemon_hello", base)
    exits: list[int] = []

    class Exited(Exception):
        pass

    def exit_now(code: int) -> None:
        exits.append(code)
        raise Exited

    monkeypatch.setattr(start_module, "start_daemon", lambda options, cluster: 0)
    monkeypatch.setattr(start_module, "_exit_now", exit_now)
    monkeypatch.setenv("NODE_ENV", "test")  # start() sets it; monkeypatch restores it
    with pytest.raises(Exited):
        start_module.start(start_module.StartOptions(base, daemon=True, title="egg-server-units"))
    assert exits == [0]


def test_maybe_running_is_asked_of_the_lock_and_the_command_lines_before_psutil(tmp_path: Path) -> None:
    """`eggscripts start` looks at the processes (psutil) only when the app's lock is held or a command
    line holds the title's token: else nothing of that app or title runs."""
    import fcntl
    import subprocess
    import sys

    from eggbin.daemon.locate import maybe_running

    (tmp_path / "run").mkdir()
    title = f"egg-server-probe-{os.getpid()}"
    assert not maybe_running(tmp_path, title)
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", f"--title={title}2"])
    try:
        wait_until(lambda: f"--title={title}2".encode() in Path(f"/proc/{holder.pid}/cmdline").read_bytes())
        assert maybe_running(tmp_path, title)  # `title2` holds `title`'s token: psutil then tells them apart
    finally:
        holder.kill()
        holder.wait()
    assert not maybe_running(tmp_path, title)
    with open(tmp_path / "run" / "cluster.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        assert maybe_running(tmp_path, title)
