"""Frameworks through real boots: `[tool.egg] framework`, an explicit choice, chains, and refusals."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from eggbin.web.framework import create_app, framework_choice
from tests.support import BUILTIN_PLUGINS
from tests.web.boot_support import (
    FRAMEWORKS,
    add_fixture_packages,
    boot,
    boot_error,
    copy_app,
    serving,
    write_app,
)


@pytest.fixture(autouse=True)
def _fixture_packages(monkeypatch: pytest.MonkeyPatch) -> None:
    add_fixture_packages(monkeypatch)


def test_chained_framework_from_pyproject_layers_config_and_extends(tmp_path: Path) -> None:
    base = copy_app("boot_framework", tmp_path)

    async def scenario() -> None:
        async with serving(base) as (app, client):
            assert (await client.get("/")).json() == {
                "fw": {"name": "fixture-fw", "plugin": True, "chained": True},
                "word": "fw2-hello",
                "version": "1.0",
            }
            assert [u.name for u in app.units] == [
                "eggbin",
                *BUILTIN_PLUGINS,
                "fw_plugin",
                "egg_fixture_fw",
                "egg_fixture_fw2",
                "boot-framework",
            ]
            assert app.config_meta["greeting.word"] == str(
                FRAMEWORKS / "egg_fixture_fw2" / "config" / "default.py"
            )
            assert app.config_meta["greeting.to"] == str(base / "config" / "default.py")

    asyncio.run(scenario())


def test_framework_class_is_the_frameworks_subclass_for_each_role(tmp_path: Path) -> None:
    import egg_fixture_fw2  # type: ignore[import-not-found]

    base = copy_app("boot_framework", tmp_path)
    assert type(create_app("app", base)) is egg_fixture_fw2.Application
    assert type(create_app("agent", base)) is egg_fixture_fw2.Agent


def test_explicit_framework_wins_over_pyproject(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = await boot(copy_app("boot_basic", tmp_path), framework="egg_fixture_fw")
        try:
            assert app.config.fw == {"name": "fixture-fw", "plugin": True}
            assert app.fw_version == "1.0"
        finally:
            await app.close()

    asyncio.run(scenario())


def test_framework_choice_order(tmp_path: Path) -> None:
    base = copy_app("boot_framework", tmp_path)
    pyproject = base / "pyproject.toml"
    assert framework_choice(base, "other") == ("other", "`--framework`")
    assert framework_choice(base) == ("egg_fixture_fw2", f"`[tool.egg] framework` in `{pyproject}`")
    assert framework_choice(copy_app("boot_basic", tmp_path)) == ("eggbin", "default")


def test_agent_of_a_framework_runs_only_agent_boots(tmp_path: Path) -> None:
    async def scenario() -> None:
        agent = await boot(copy_app("boot_framework", tmp_path), role="agent")
        await agent.close()
        assert agent.trace[0] == "egg_fixture_fw2:init"
        assert {entry.split(":")[0] for entry in agent.trace} == {"egg_fixture_fw2"}

    asyncio.run(scenario())


def test_framework_not_installed(tmp_path: Path) -> None:
    base = write_app(tmp_path / "app", {})
    message = asyncio.run(boot_error(base, framework="egg_no_such_framework"))
    assert message == (
        "framework `egg_no_such_framework` (from `--framework`) is not installed; "
        "install it in this environment, or fix the name"
    )


def test_framework_without_application_class(tmp_path: Path) -> None:
    base = write_app(
        tmp_path / "app",
        {"pyproject.toml": '[project]\nname = "x"\n\n[tool.egg]\nframework = "not_a_framework"\n'},
    )
    assert asyncio.run(boot_error(base)) == (
        f"framework `not_a_framework` (from `[tool.egg] framework` in `{base / 'pyproject.toml'}`) has no "
        "`Application` subclassing `eggbin.Application`; "
        "export `class Application(eggbin.Application)` with `egg_path`"
    )
