"""What the CLI reads of an app without booting it: merged config, provenance, local plugin dirs.

`eggbin dev` and `eggscripts start` use it for `config.cluster.listen.port`, `config.development` and the
plugin source to watch. It imports config files and plugin declarations only: no boot hook, controller or
service runs, and the master never calls it (it never imports app code).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eggbin.web.appinfo import AppInfo


@dataclass(frozen=True)
class AppPreview:
    config: dict[str, Any]
    meta: dict[str, str]  # dotted key → the file that set it
    plugin_dirs: tuple[Path, ...]  # plugins enabled by `path`: local source a dev server watches

    def configured_port(self) -> int | None:
        """`config.cluster.listen.port` when a unit other than eggbin itself sets it."""
        from eggbin.web.loader import EGGBIN_PATH

        origin = self.meta.get("cluster.listen.port", "")
        if not origin or Path(origin).is_relative_to(EGGBIN_PATH):
            return None
        listen = (self.config.get("cluster") or {}).get("listen") or {}
        port = listen.get("port") if isinstance(listen, dict) else None
        return int(port) if port else None


def preview(info: AppInfo, framework: str | None = None) -> AppPreview:
    """Every load unit's config (framework, plugins, app) for `info.env`."""
    from eggbin.web.framework import framework_class
    from eggbin.web.loader import app_unit, framework_units, load_config, with_plugins
    from eggbin.web.plugins import load_plugins

    units = [*framework_units(framework_class("app", info.base_dir, framework)), app_unit(info)]
    plugins = load_plugins(units, info.env).plugins
    config, meta = load_config(with_plugins(units, plugins), info)
    local = tuple(p.unit.path for p in plugins if p.spec.path is not None)
    return AppPreview(dict(config), meta, local)
