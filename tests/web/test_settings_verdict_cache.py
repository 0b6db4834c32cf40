"""A settings check that passed is remembered per exact config: the next boot skips pydantic's import;
a failure, a warning, a changed value or a value JSON cannot state exactly runs the check again."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from eggbin.web.settings import verdict_cache
from eggbin.web.settings.verdict_cache import key_for
from tests.web.boot_support import write_app

# a fresh interpreter boots the app (the check runs in the boot) and says whether pydantic came in
BOOT = """
import asyncio, json, sys
from pathlib import Path
from eggbin.errors import BootError
from eggbin.web.env import ServerEnv
from eggbin.web.framework import create_app

async def boot():
    app = create_app("app", Path(sys.argv[1]), ServerEnv("unittest", "test"))
    try:
        await app.boot(write_run_files=False)
    except BootError as exc:
        return str(exc)
    await app.close()
    return None

error = asyncio.run(boot())
print(json.dumps({"pydantic": "pydantic" in sys.modules, "error": error}))
"""
GOOD = 'config = {"keys": "s3cr3t", "body_parser": {"json_limit": "2mb"}, "security": {"csrf": False}}\n'


def boot_fresh(base: Path) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-c", BOOT, str(base)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def warned(base: Path) -> list[str]:
    log = base / "logs" / "tmp-app" / "egg-web.log"
    return [line for line in log.read_text().splitlines() if " WARN " in line and "[egg:loader]" in line]


def entries(home: Path) -> list[Path]:
    folder = home / ".cache" / "eggbin" / "settings"
    return sorted(folder.iterdir()) if folder.is_dir() else []


def test_a_config_that_passed_boots_again_without_pydantic(tmp_path: Path, isolated: Path) -> None:
    base = write_app(tmp_path / "app", {"config/default.py": GOOD})
    assert boot_fresh(base) == {"pydantic": True, "error": None}
    [entry] = entries(isolated)
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    assert stat.S_IMODE(entry.parent.stat().st_mode) == 0o700
    assert b"s3cr3t" not in entry.read_bytes()
    assert b"2mb" not in entry.read_bytes()
    assert boot_fresh(base) == {"pydantic": False, "error": None}
    # another value: checked. Another size too: Python reuses a module's bytecode when its source keeps
    # its size within the second of the bytecode's mtime (`eggbin dev` drops it for changed files).
    (base / "config" / "default.py").write_text(GOOD.replace("2mb", "30mb"))
    assert boot_fresh(base) == {"pydantic": True, "error": None}


def test_a_failing_check_is_never_remembered_and_fails_alike(tmp_path: Path, isolated: Path) -> None:
    base = write_app(tmp_path / "app", {"config/default.py": GOOD.replace('"2mb"', '"2 megabytes"')})
    first = boot_fresh(base)
    assert first["pydantic"] is True
    assert "`config.body_parser.json_limit` is `'2 megabytes'`" in first["error"]
    assert entries(isolated) == []
    assert boot_fresh(base) == first


def test_a_check_that_warned_is_not_remembered(tmp_path: Path, isolated: Path) -> None:
    base = write_app(tmp_path / "app", {"config/default.py": 'config = {"body_parser": {"jsonLimit": 1}}\n'})
    assert boot_fresh(base) == {"pydantic": True, "error": None}
    assert entries(isolated) == []
    assert boot_fresh(base)["pydantic"] is True
    assert len(warned(base)) == 2
    assert "did you mean `json_limit`" in warned(base)[-1]


def test_a_value_json_cannot_state_is_checked_every_time(tmp_path: Path, isolated: Path) -> None:
    source = 'config = {"session": {"genid": lambda ctx: "id"}}\n'
    base = write_app(tmp_path / "app", {"config/default.py": source})
    assert boot_fresh(base) == {"pydantic": True, "error": None}
    assert entries(isolated) == []


@pytest.mark.parametrize(
    ("one", "other"),
    [([1], (1,)), (1, 1.0), (1, True), ({"a": 1}, {"a": "1"}), (None, ""), ([], {})],
    ids=["list-tuple", "int-float", "int-bool", "int-str", "none-empty", "list-dict"],
)
def test_values_the_check_tells_apart_have_different_keys(one: object, other: object) -> None:
    def key(value: object) -> str | None:
        return key_for({"body_parser": {"json_limit": value}}, {"body_parser"}, ["body_parser"])

    assert key(one) is not None
    assert key(other) is not None
    assert key(one) != key(other)
    assert key(one) == key(one)


@pytest.mark.parametrize("value", [float("nan"), {1: "a"}, {"a"}, b"1mb", os.sep.join])
def test_values_json_cannot_state_exactly_have_no_key(value: object) -> None:
    assert key_for({"body_parser": {"json_limit": value}}, {"body_parser"}, ["body_parser"]) is None


def test_the_key_follows_the_sections_applied_and_pydantic_s_install(monkeypatch: pytest.MonkeyPatch) -> None:
    config = {"session": {"key": "S"}}
    key = key_for(config, {"session"}, ["session"])
    assert key is not None
    assert key != key_for(config, {"session"}, [])
    monkeypatch.setattr(verdict_cache, "_installed", lambda package: f"{package}-0.0.dist-info:1:2")
    assert key_for(config, {"session"}, ["session"]) not in (None, key)


def test_a_cache_others_can_write_to_is_not_trusted(tmp_path: Path, isolated: Path) -> None:
    base = write_app(tmp_path / "app", {"config/default.py": GOOD})
    assert boot_fresh(base)["pydantic"] is True
    (isolated / ".cache" / "eggbin" / "settings").chmod(0o777)
    assert boot_fresh(base)["pydantic"] is True


def test_an_agent_forks_no_check_for_a_config_that_passed(tmp_path: Path) -> None:
    from eggbin.web.env import ServerEnv
    from eggbin.web.framework import create_app

    base = write_app(tmp_path / "app", {"config/default.py": GOOD})

    async def scenario(apart: bool) -> Any:
        agent = create_app("agent", base, ServerEnv("unittest", "test"))
        agent.checks_settings_apart = apart
        await agent.boot()
        check = agent.settings_check
        await agent.close()
        return check

    assert asyncio.run(scenario(apart=False)) is None  # checked in the boot, and remembered
    check = asyncio.run(scenario(apart=True))
    assert check is not None
    assert check.passed
    assert not hasattr(check, "pid")
    assert asyncio.run(check.verdict()) == []
