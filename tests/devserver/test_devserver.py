"""The dev server's decisions, on real files and sockets: ports, config, cluster options, the reload line."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest

from eggbin.devserver import (
    DebugOptions,
    DevOptions,
    choose_port,
    cluster_options,
    describe,
    forget_bytecode,
    plan_for,
)
from eggbin.web.appinfo import load_app_info
from eggbin.web.preview import preview
from tests.devserver.running import copy_app
from tests.support import free_port


def test_an_explicit_port_wins_over_the_configured_one() -> None:
    assert choose_port("127.0.0.1", 8123, configured=9000) == 8123


def test_the_configured_port_wins_over_the_free_port_search() -> None:
    assert choose_port("127.0.0.1", None, configured=9000) == 9000


def test_eggbin_s_own_default_7001_does_not_count_as_configured(tmp_path: Path) -> None:
    info = load_app_info(copy_app(tmp_path))
    assert preview(info).configured_port() is None


def test_a_port_set_by_the_app_counts(tmp_path: Path) -> None:
    app = copy_app(tmp_path)
    (app / "config" / "local.py").write_text('config = {"cluster": {"listen": {"port": 7399}}}\n')
    assert preview(load_app_info(app)).configured_port() == 7399


def test_the_free_port_search_starts_at_7001_and_skips_busy_ports(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        try:
            busy.bind(("127.0.0.1", 7001))
            busy.listen()
        except OSError:
            pass  # already busy
        port = choose_port("127.0.0.1", None)
    assert port > 7001
    assert f"port 7001 is in use, using {port}" in capsys.readouterr().err


def test_watch_dirs_and_ignore_dirs_come_from_config_development(tmp_path: Path) -> None:
    app = copy_app(tmp_path)
    (app / "schemas").mkdir()
    (app / "config" / "local.py").write_text(
        'config = {"development": {"watch_dirs": ["schemas"], "ignore_dirs": ["app/generated"]}}\n'
    )
    info = load_app_info(app)
    plan = plan_for(info, preview(info))
    assert app / "schemas" in plan.dirs
    assert plan.filter.ignores(app / "app" / "generated" / "x.py")


def test_debug_turns_heartbeat_kills_off_and_dev_keeps_them(tmp_path: Path) -> None:
    info = load_app_info(copy_app(tmp_path))
    debugged = cluster_options(DevOptions(info.base_dir, debug=DebugOptions(brk=True)), info, free_port())
    plain = cluster_options(DevOptions(info.base_dir), info, free_port())
    assert (debugged.worker_timeout, debugged.debug_port, debugged.debug_brk, debugged.zygote) == (
        0,
        9229,
        True,
        True,
    )
    assert (plain.worker_timeout, plain.debug_port) == (30.0, 0)


def test_a_changed_file_loses_its_cached_bytecode(tmp_path: Path) -> None:
    import importlib.util
    import py_compile

    source = tmp_path / "mod.py"
    source.write_text("x = 1\n")
    cached = Path(py_compile.compile(str(source)))
    assert cached == Path(importlib.util.cache_from_source(str(source)))
    forget_bytecode([source, tmp_path / "notes.txt"])
    assert not cached.exists()


def test_the_reload_line_names_the_first_file_and_counts_the_rest(tmp_path: Path) -> None:
    files = [tmp_path / "app" / "router.py", tmp_path / "config" / "default.py"]
    assert describe(files[:1], tmp_path) == "app/router.py"
    assert describe(files, tmp_path) == "app/router.py (+1 more)"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["debug", "--debug-port", "0"],
            2,
            "error: Invalid value for '--debug-port': 0 is not in the range 1<=x<=65535",
        ),
        (
            ["debug", "--debug-port", "70000"],
            2,
            "error: Invalid value for '--debug-port': 70000 is not in the range 1<=x<=65535",
        ),
        (["dev", "--base", "/nonexistent"], 1, "error: `/nonexistent` does not exist; pass an app directory"),
        (["debug", "--workers", "0"], 2, "error: Invalid value for '--workers' / '-c'"),
    ],
)
def test_bad_flags_exit_with_one_line(args: list[str], code: int, message: str) -> None:
    done = subprocess.run(["eggbin", *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == code
    assert done.stderr.startswith(message), done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def _dev_with_local_config(tmp_path: Path, source: str) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """`eggbin dev` on a copy of the app whose `config/local.py` is `source`, run to its exit."""
    app = copy_app(tmp_path)
    (app / "config" / "local.py").write_text(source)
    command = ["eggbin", "dev", "--port", str(free_port())]
    return app, subprocess.run(command, cwd=app, capture_output=True, text=True, timeout=120)


def test_a_broken_config_at_start_is_one_line_naming_the_file(tmp_path: Path) -> None:
    app, done = _dev_with_local_config(tmp_path, "config = {\n")
    assert done.returncode == 1
    assert done.stderr.startswith(f"error: syntax error in `{app / 'config' / 'local.py'}:1`"), done.stderr
    assert not (app / "run" / "cluster.json").exists()


@pytest.mark.slow
def test_a_bad_built_in_setting_fails_the_start_naming_the_file(tmp_path: Path) -> None:
    app, done = _dev_with_local_config(tmp_path, 'config = {"body_parser": {"json_limit": "1 megabyte"}}\n')
    assert done.returncode == 1
    assert done.stderr.endswith(
        f"`config.body_parser.json_limit` is `'1 megabyte'` (set in `{app / 'config' / 'local.py'}:1`): "
        'expected a size like "1mb" or a number of bytes\n'
    ), done.stderr
    assert done.stderr.count("\nerror: ") + done.stderr.startswith("error: ") == 1
    assert not (app / "run" / "cluster.json").exists()


@pytest.mark.slow
def test_dev_listens_where_config_cluster_listen_says(tmp_path: Path) -> None:
    import httpx

    from tests.devserver.running import eggbin

    app = copy_app(tmp_path)
    sock = app / "run" / "dev.sock"
    (app / "config" / "local.py").write_text("config = {'cluster': {'listen': {'path': 'run/dev.sock'}}}\n")
    with eggbin(["dev"], app, tmp_path / "dev.log", None) as dev:
        dev.wait_output(rf"serving on unix:{sock}, Ctrl-C to stop")
        with httpx.Client(transport=httpx.HTTPTransport(uds=str(sock))) as client:
            assert client.get("http://egg/").status_code == 200


@pytest.mark.parametrize(("tty", "debug", "expected"), [(True, False, 1), (False, False, 0), (True, True, 0)])
def test_worker_1_keeps_the_terminal_only_in_a_terminal_and_not_under_debugpy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tty: bool, debug: bool, expected: int
) -> None:
    monkeypatch.setattr("eggbin.devserver.on_terminal", lambda: tty)
    info = load_app_info(copy_app(tmp_path))
    options = DevOptions(info.base_dir, debug=DebugOptions() if debug else None)
    assert cluster_options(options, info, free_port()).terminal_worker == expected
