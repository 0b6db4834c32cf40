"""The dev watcher: which paths wake a reload, which never do, and which restart the agent."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from eggbin.watcher import Batch, DevFilter, TopLevelFilter, Watcher, plan_watch, restarts_agent

BASE = Path("/srv/demo")

WATCHED = [
    "app/controller/home.py",
    "app/router.py",
    "app/service/user.py",
    "app/middleware/gzip.py",
    "app/viewmodel.py",  # `app/view*` is a directory rule: a file named like it is code
    "config/default.py",
    "config/plugin.py",
    "lib/money.py",
    "lib/deep/er/thing.py",
]
IGNORED = [
    "app/public/site.css",
    "app/public/js/app.py",
    "app/view/home.html",
    "app/views/layout.html",
    "logs/demo/demo-web.log",
    "run/application_config.json",
    "coverage/index.html",
    "app/controller/__pycache__/home.cpython-311.pyc",
    "app/controller/__pycache__",  # the cache dir itself, created at a worker's first import
    "app/.mypy_cache",
    "lib/.git",
    "lib/.git/index",
    "lib/.venv/lib/python3.11/site.py",
    "lib/venv/bin/activate",
    "lib/node_modules/x/index.js",
    "app/.mypy_cache/3.11/x.json",
    "app/controller/.home.py.swp",
    "app/controller/.home.py.swx",
    "app/controller/home.py~",
    "app/controller/.#home.py",
    "app/controller/#home.py#",
    "app/controller/4913",
    "app/controller/home.py___jb_tmp___",
    "config/.DS_Store",
    "app/controller/sedX1b2c3",
]


@pytest.mark.parametrize("relative", WATCHED)
def test_code_paths_pass_the_filter(relative: str) -> None:
    assert DevFilter(BASE)(None, str(BASE / relative)) is True


@pytest.mark.parametrize("relative", IGNORED)
def test_assets_caches_vcs_venvs_and_editor_files_are_dropped(relative: str) -> None:
    assert DevFilter(BASE)(None, str(BASE / relative)) is False


def test_configured_ignore_dirs_are_dropped_and_their_siblings_kept() -> None:
    rule = DevFilter(BASE, (BASE / "app" / "generated",))
    assert rule(None, str(BASE / "app/generated/models.py")) is False
    assert rule(None, str(BASE / "app/generated")) is False
    assert rule(None, str(BASE / "app/generated_not/models.py")) is True


def test_a_watch_dir_outside_the_app_keeps_name_rules() -> None:
    rule = DevFilter(BASE)
    assert rule(None, "/elsewhere/shared/tool.py") is True
    assert rule(None, "/elsewhere/shared/__pycache__/tool.cpython-311.pyc") is False
    assert rule(None, "/elsewhere/shared/.tool.py.swp") is False


@pytest.mark.parametrize(
    ("name", "kept"), [("app.py", True), ("agent.py", True), ("setup.py", False), ("pyproject.toml", False)]
)
def test_top_level_watch_keeps_only_the_boot_files(name: str, kept: bool) -> None:
    assert TopLevelFilter(BASE)(None, str(BASE / name)) is kept


def test_top_level_filter_ignores_nested_files_of_the_same_name() -> None:
    assert TopLevelFilter(BASE)(None, str(BASE / "lib" / "app.py")) is False


def test_plan_watches_only_existing_code_dirs_plus_configured_ones(tmp_path: Path) -> None:
    for name in ("app", "config", "extra", "logs", "app/public"):
        (tmp_path / name).mkdir(parents=True)
    plan = plan_watch(tmp_path, watch_dirs=["extra", "missing"], ignore_dirs=["app/generated"])
    assert plan.dirs == (tmp_path / "app", tmp_path / "config", tmp_path / "extra")
    assert plan.filter.ignore_dirs == (tmp_path / "app" / "generated",)


@pytest.mark.parametrize(
    ("relative", "agent"),
    [
        ("agent.py", True),
        ("config/default.py", True),
        ("config/plugin.py", True),
        ("lib/money.py", True),
        ("app.py", False),
        ("app/controller/home.py", False),
        ("app/router.py", False),
    ],
)
def test_agent_side_changes_restart_the_agent_too(tmp_path: Path, relative: str, agent: bool) -> None:
    plan = plan_watch(tmp_path)
    assert restarts_agent(plan, tmp_path / relative) is agent


def test_local_plugin_code_restarts_the_agent(tmp_path: Path) -> None:
    plugin = tmp_path.parent / f"{tmp_path.name}-plugin"
    plugin.mkdir()
    plan = plan_watch(tmp_path, agent_dirs=[plugin])
    assert plugin in plan.dirs
    assert restarts_agent(plan, plugin / "app" / "extend" / "context.py") is True


def _app(tmp_path: Path) -> Path:
    for name in ("app/controller", "app/public", "app/view", "config", "lib", "logs", "run"):
        (tmp_path / name).mkdir(parents=True)
    return tmp_path


def _wait_batch(watcher: Watcher, what: str) -> Batch:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        batch = watcher.take(timeout=0.5)
        if batch is not None:
            return batch
    raise AssertionError(f"no change seen after 15 s: {what}")


@pytest.mark.parametrize(
    "relative", ["app/controller/home.py", "config/default.py", "lib/money.py", "agent.py"]
)
def test_a_real_write_is_seen_and_ignored_writes_before_it_are_not(tmp_path: Path, relative: str) -> None:
    base = _app(tmp_path)
    watcher = Watcher(plan_watch(base))
    watcher.start()
    try:
        watcher.wait_armed()
        for ignored in ("app/public/site.css", "app/view/home.html", "logs/x.log", "run/x.json"):
            (base / ignored).write_text("x")
        (base / "app/controller/.home.py.swp").write_text("x")
        (base / "README.md").write_text("x")
        (base / relative).write_text("x = 1\n")
        seen: set[Path] = set()
        while base / relative not in seen:
            seen.update(_wait_batch(watcher, relative).paths)
        assert seen == {base / relative}
    finally:
        watcher.stop()


def test_changes_queued_while_nobody_takes_them_are_merged(tmp_path: Path) -> None:
    base = _app(tmp_path)
    watcher = Watcher(plan_watch(base))
    watcher.start()
    try:
        watcher.wait_armed()
        (base / "app/router.py").write_text("a")
        _wait_batch(watcher, "first write")  # the loop is busy reloading now ...
        (base / "app/controller/home.py").write_text("b")
        (base / "config/default.py").write_text("c")
        expected = {base / "app/controller/home.py", base / "config/default.py"}
        seen: set[Path] = set()
        while not expected <= seen:
            seen.update(_wait_batch(watcher, "queued writes").paths)
        assert seen == expected
    finally:
        watcher.stop()


def test_a_watched_dir_created_after_start_is_watched_from_then_on(tmp_path: Path) -> None:
    base = _app(tmp_path)
    shutil.rmtree(base / "lib")
    plan = plan_watch(base)
    assert base / "lib" in plan.missing
    watcher = Watcher(plan)
    watcher.start()
    try:
        watcher.wait_armed()
        (base / "lib").mkdir()
        assert base / "lib" in _wait_batch(watcher, "mkdir lib").paths  # its creation alone reloads
        assert base / "lib" in watcher.plan.dirs
        money = base / "lib" / "money.py"
        deadline = time.monotonic() + 15
        seen: set[Path] = set()
        while money not in seen and time.monotonic() < deadline:  # the new watch arms in the background
            money.write_text(f"x = {time.monotonic()}\n")
            batch = watcher.take(timeout=0.5)
            seen.update(batch.paths if batch else ())
        assert money in seen
    finally:
        watcher.stop()
