"""run/ after ready: config with secrets masked, per-key meta, boot timing, routes."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import pytest

from eggbin.web.dump import masked, write_json
from tests.web.boot_support import PLUGINS, add_fixture_packages, boot, copy_app


@pytest.fixture(autouse=True)
def _fixture_packages(monkeypatch: pytest.MonkeyPatch) -> None:
    add_fixture_packages(monkeypatch)


def _booted_run_dir(base: Path, role: str = "app") -> Path:
    async def scenario() -> None:
        await (await boot(base, role=role)).close()

    asyncio.run(scenario())
    return base / "run"


def _read(path: Path) -> Any:
    return json.loads(path.read_text())


def test_config_dump_masks_secrets_and_keeps_the_rest(tmp_path: Path) -> None:
    run = _booted_run_dir(copy_app("boot_basic", tmp_path))
    document = _read(run / "application_config.json")
    config = document["config"]
    assert config["keys"] == "<String len: 15>"
    assert config["db"] == {"host": "db.local", "password": "<String len: 7>", "api_token": "<String len: 3>"}
    assert config["greeting"] == {"word": "hello", "to": "boot-basic"}
    assert "/secret/" in config["dump"]["ignore"]
    assert document["app_info"]["env"] == "unittest"
    assert "hunter2" not in (run / "application_config.json").read_text()


def test_meta_names_the_file_that_set_each_key(tmp_path: Path) -> None:
    base = copy_app("boot_basic", tmp_path)
    meta = _read(_booted_run_dir(base) / "application_config_meta.json")
    assert meta["greeting.word"] == str(base / "config" / "default.py")
    assert meta["greeting.to"] == str(base / "config" / "unittest.py")
    assert meta["list"] == str(base / "config" / "unittest.py")
    assert meta["ready_timeout"].endswith("eggbin/web/builtin/config/default.py")


def test_plugins_are_listed_with_where_they_came_from(tmp_path: Path) -> None:
    base = copy_app("boot_plugins", tmp_path)
    plugins = _read(_booted_run_dir(base) / "application_config.json")["plugins"]
    assert list(plugins) == ["health", "base", "greeting", "extra"]  # eggbin's built-in plugins first
    assert plugins["base"]["path"] == str(PLUGINS / "base")
    assert plugins["greeting"]["package"] == "egg_fixture_greeting"
    assert plugins["greeting"]["from"] == f"{base / 'config' / 'plugin.py'}:2"


def test_timing_lists_boot_phases_and_hooks(tmp_path: Path) -> None:
    timing = _read(_booted_run_dir(copy_app("boot_plugins", tmp_path)) / "application_timing.json")
    names = [item["name"] for item in timing]
    assert names[:3] == ["load plugins", "load config", "load boots"]
    assert "load files" in names
    assert any(name.startswith("did_ready ") and name.endswith("app.py") for name in names)
    assert all(item["duration"] >= 0 and isinstance(item["pid"], int) for item in timing)


def test_router_dump_lists_routes(tmp_path: Path) -> None:
    routes = _read(_booted_run_dir(copy_app("boot_basic", tmp_path)) / "router.json")
    assert [(r["name"], r["path"]) for r in routes][:3] == [("home", "/"), (None, "/extend"), (None, "/log")]


def test_agent_dumps_its_own_files_and_no_router(tmp_path: Path) -> None:
    run = _booted_run_dir(copy_app("boot_basic", tmp_path), role="agent")
    assert sorted(p.name for p in run.iterdir()) == [
        "agent_config.json",
        "agent_config_meta.json",
        "agent_timing.json",
    ]


def test_an_unchanged_file_is_not_rewritten_and_a_changed_one_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "run" / "application_config.json"
    write_json(path, {"a": 1})
    first = path.stat()
    write_json(path, {"a": 1})
    assert (path.stat().st_ino, path.stat().st_mtime_ns) == (first.st_ino, first.st_mtime_ns)
    write_json(path, {"a": 2})
    assert path.stat().st_ino != first.st_ino  # a new file renamed over the old one: never half-written
    assert _read(path) == {"a": 2}
    assert [p.name for p in path.parent.iterdir()] == ["application_config.json"]


def test_masking_rules() -> None:
    ignore = ["password", re.compile("secret", re.I)]
    data = {"password": 1234, "MySecret": "abc", "nested": {"password": ""}, "fn": len, "cls": dict}
    assert masked(data, ignore) == {
        "password": "<masked>",
        "MySecret": "<String len: 3>",
        "nested": {"password": ""},
        "fn": "<Function len>",
        "cls": "<Class dict>",
    }
