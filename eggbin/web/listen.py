"""Where the app asks to listen (`config.cluster.listen`), read from config files only, without booting.

The CLI (`eggbin dev`, `eggscripts start`) reads it; the master never does, it never imports app code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from eggbin.web.appinfo import AppInfo


def read_config(info: AppInfo, framework: str | None = None) -> tuple[dict[str, Any], dict[str, str]]:
    """The merged config of every load unit (framework, plugins, app) and the file that set each key.

    Imports config and plugin declarations only: no boot hook, controller or service runs.
    """
    from eggbin.web.framework import framework_class
    from eggbin.web.loader import app_unit, framework_units, load_config, with_plugins
    from eggbin.web.plugins import load_plugins

    units = [*framework_units(framework_class("app", info.base_dir, framework)), app_unit(info)]
    units = with_plugins(units, load_plugins(units, info.env).plugins)
    config, meta = load_config(units, info)
    return dict(config), meta


def configured_port(config: dict[str, Any], meta: dict[str, str]) -> int | None:
    """`config.cluster.listen.port` when the app (not eggbin's own default of 7001) sets it."""
    from eggbin.web.loader import EGGBIN_PATH

    origin = meta.get("cluster.listen.port", "")
    if not origin or Path(origin).is_relative_to(EGGBIN_PATH):
        return None
    listen = (config.get("cluster") or {}).get("listen") or {}
    port = listen.get("port") if isinstance(listen, dict) else None
    return int(port) if port else None
