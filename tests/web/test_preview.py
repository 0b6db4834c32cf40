"""The CLI's preview of an app: every load unit's config counts (eggbin's own port default does not)."""

from __future__ import annotations

from pathlib import Path

from eggbin.web.appinfo import load_app_info
from eggbin.web.env import ServerEnv
from eggbin.web.preview import preview


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def make_app(base: Path) -> Path:
    write(base / "pyproject.toml", '[project]\nname = "listen"\n')
    write(base / "app" / "router.py", "def router(app):\n    pass\n")
    return base


def port_of(base: Path, env: str = "local") -> int | None:
    return preview(load_app_info(base, ServerEnv(env, "test"))).configured_port()


def test_eggbins_default_is_not_a_choice(tmp_path: Path) -> None:
    assert port_of(make_app(tmp_path)) is None


def test_a_path_plugin_sets_the_port_and_the_app_wins(tmp_path: Path) -> None:
    app = make_app(tmp_path / "app")
    plugin = tmp_path / "ports"
    write(plugin / "__init__.py", 'EGG_PLUGIN = {"name": "ports"}\n')
    write(plugin / "config" / "default.py", 'config = {"cluster": {"listen": {"port": 7500}}}\n')
    write(app / "config" / "plugin.py", f'plugins = {{"ports": {{"enable": True, "path": "{plugin}"}}}}\n')
    assert port_of(app) == 7500
    write(app / "config" / "prod.py", 'config = {"cluster": {"listen": {"port": 8500}}}\n')
    assert port_of(app, "prod") == 8500
    assert port_of(app, "local") == 7500


def test_path_plugins_are_local_source(tmp_path: Path) -> None:
    app = make_app(tmp_path / "app")
    plugin = tmp_path / "ports"
    write(plugin / "__init__.py", 'EGG_PLUGIN = {"name": "ports"}\n')
    write(app / "config" / "plugin.py", f'plugins = {{"ports": {{"enable": True, "path": "{plugin}"}}}}\n')
    assert preview(load_app_info(app, ServerEnv("local", "test"))).plugin_dirs == (plugin.resolve(),)
