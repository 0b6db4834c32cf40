"""Plugins through real boots: enablement, env, dependency order, load units, and every refusal."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from tests.web.boot_support import (
    PLUGINS,
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


def test_plugins_load_in_dependency_order_and_serve(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with serving(copy_app("boot_plugins", tmp_path)) as (app, client):
            response = await client.get("/")
            assert response.json() == {
                "greet": "plugin-hello, ann!",
                "service": "plugin-hello, bob!",
                "ping": "pong",
                "plugins": ["health", "base", "greeting", "extra"],  # eggbin's built-in plugins first
            }
            assert [unit.name for unit in app.units] == [
                "eggbin",
                "health",
                "base",
                "greeting",
                "extra",
                "boot-plugins",
            ]

    asyncio.run(scenario())


def test_plugin_config_layers_under_the_app_and_env_files_after_defaults(tmp_path: Path) -> None:
    base = copy_app("boot_plugins", tmp_path)

    async def scenario() -> None:
        app = await boot(base)
        try:
            meta = app.config_meta
            assert app.config.extra == {"env_file": True}
            assert meta["greeting.word"] == str(PLUGINS / "egg_fixture_greeting" / "config" / "default.py")
            assert meta["greeting.punct"] == str(PLUGINS / "base" / "config" / "default.py")
            assert meta["greeting.to"] == str(base / "config" / "default.py")
            assert meta["extra.env_file"] == str(PLUGINS / "extra" / "config" / "unittest.py")
            assert "prod_only" not in app.config
        finally:
            await app.close()

    asyncio.run(scenario())


def test_env_mismatch_and_implicit_enable_are_logged(tmp_path: Path) -> None:
    base = copy_app("boot_plugins", tmp_path)

    async def scenario() -> None:
        await (await boot(base)).close()

    asyncio.run(scenario())
    log = (base / "logs" / "boot-plugins" / "egg-web.log").read_text()
    assert "INFO" in log
    assert "[egg:plugin] plugin `base` enabled because `greeting` depends on it" in log
    assert "[egg:plugin] plugin `prod_only` disabled: env `unittest` is not in ['prod']" in log


def test_prod_env_enables_the_prod_only_plugin(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = await boot(copy_app("boot_plugins", tmp_path), env="prod")
        try:
            assert [p.name for p in app.plugins] == ["health", "base", "greeting", "prod_only"]
            assert app.config.prod_only is True
        finally:
            await app.close()

    asyncio.run(scenario())


def test_installed_plugins_keep_their_package_name_path_plugins_get_a_private_root(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = await boot(copy_app("boot_plugins", tmp_path))
        try:
            roots = {plugin.name: plugin.unit.modules.root for plugin in app.plugins}
            assert roots["greeting"] == "egg_fixture_greeting"
            assert roots["base"].startswith("_egg_base_")
            assert "egg_fixture_greeting.app.extend.context" in sys.modules
        finally:
            await app.close()

    asyncio.run(scenario())


def _plugin_app(tmp_path: Path, entries: str) -> Path:
    return write_app(tmp_path / "app", {"config/plugin.py": f"plugins = {{\n    {entries}\n}}\n"})


def _run_error(base: Path) -> str:
    return asyncio.run(boot_error(base))


def test_plugin_that_does_not_import_names_plugin_file_and_line(tmp_path: Path) -> None:
    base = _plugin_app(tmp_path, f'"broken": {{"path": "{PLUGINS / "broken_import"}"}},')
    assert _run_error(base) == (
        f"plugin `broken` failed to import: ZeroDivisionError in "
        f"`{PLUGINS / 'broken_import' / '__init__.py'}:3`: division by zero"
    )


def test_missing_dependency_names_both_plugins(tmp_path: Path) -> None:
    base = _plugin_app(tmp_path, f'"needs_missing": {{"path": "{PLUGINS / "needs_missing"}"}},')
    assert _run_error(base) == (
        f"plugin `needs_missing` (`{PLUGINS / 'needs_missing' / '__init__.py'}:1`) depends on `nope`, "
        "which is not declared in any `config/plugin.py`; "
        "declare and enable `nope` in `config/plugin.py`, or disable `needs_missing`"
    )


def test_dependency_disabled_by_env_is_named(tmp_path: Path) -> None:
    write_app(
        tmp_path / "dep", {"__init__.py": 'EGG_PLUGIN = {"name": "dep", "dependencies": ["prod_only"]}\n'}
    )
    base = _plugin_app(
        tmp_path,
        f'"dep": {{"path": "{tmp_path / "dep"}"}}, "prod_only": {{"path": "{PLUGINS / "prod_only"}"}},',
    )
    assert "depends on `prod_only`, which is disabled in env `unittest`" in _run_error(base)


def test_dependency_cycle_names_every_plugin_in_it(tmp_path: Path) -> None:
    base = _plugin_app(
        tmp_path,
        f'"cycle_a": {{"path": "{PLUGINS / "cycle_a"}"}}, "cycle_b": {{"path": "{PLUGINS / "cycle_b"}"}},',
    )
    assert _run_error(base) == (
        f"plugins depend on each other in a cycle: `cycle_a` → `cycle_b` → `cycle_a` "
        f"(`{PLUGINS / 'cycle_a' / '__init__.py'}:1`); remove one of these dependencies"
    )


def test_package_not_installed_points_at_the_entry(tmp_path: Path) -> None:
    base = _plugin_app(tmp_path, '"mysql": {"enable": True, "package": "egg_no_such_package"},')
    assert _run_error(base) == (
        f"plugin `mysql` at `{base / 'config' / 'plugin.py'}:2`: package `egg_no_such_package` is not "
        "installed; install it, or fix `package` in the plugin config"
    )


def test_entry_without_package_or_path(tmp_path: Path) -> None:
    base = _plugin_app(tmp_path, '"mysql": True,')
    assert _run_error(base) == (
        f"plugin `mysql` at `{base / 'config' / 'plugin.py'}:2` has neither `package` nor `path`; "
        'add "package": "<module>" or "path": "<dir>" to its entry'
    )


def test_package_without_egg_plugin(tmp_path: Path) -> None:
    base = _plugin_app(tmp_path, f'"no_meta": {{"path": "{PLUGINS / "no_meta"}"}},')
    assert _run_error(base) == (
        f"plugin `no_meta` (declared at `{base / 'config' / 'plugin.py'}:2`) has no `EGG_PLUGIN` dict in "
        f'`{PLUGINS / "no_meta" / "__init__.py"}`; add `EGG_PLUGIN = {{"name": "no_meta"}}` to it'
    )


def test_path_that_is_not_a_directory(tmp_path: Path) -> None:
    base = _plugin_app(tmp_path, '"gone": {"path": "lib/gone"},')
    assert _run_error(base) == (
        f"plugin `gone` at `{base / 'config' / 'plugin.py'}:2`: "
        f"path `{base / 'lib' / 'gone'}` is not a directory"
    )


def test_malformed_entry(tmp_path: Path) -> None:
    base = _plugin_app(tmp_path, '"mysql": {"enabled": True},')
    message = _run_error(base)
    assert message.startswith(
        f"plugin `mysql` at `{base / 'config' / 'plugin.py'}:2` must be True, False or a dict"
    )


def test_plugin_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    write_app(tmp_path / "bad", {"__init__.py": 'EGG_PLUGIN = {"name": "bad"}\nif True print(1)\n'})
    base = _plugin_app(tmp_path, f'"bad": {{"path": "{tmp_path / "bad"}"}},')
    assert _run_error(base) == (
        f"plugin `bad` failed to import: syntax error in `{tmp_path / 'bad' / '__init__.py'}:2`: "
        "invalid syntax; fix it and save"
    )
