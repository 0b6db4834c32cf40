"""What the CLI reads of an app without booting it: merged config, provenance, local plugin dirs.

`eggbin dev` and `eggscripts start` use it for `config.cluster.listen.port`, `config.development` and the
plugin source to watch. It imports config files and plugin declarations only: no boot hook, controller or
service runs, and the master never calls it (it never imports app code).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from msgspec import Struct

from eggbin.web.appinfo import AppInfo

if TYPE_CHECKING:
    from eggbin.web.units import LoadUnit


class AppPreview(Struct, frozen=True):
    config: dict[str, Any]
    meta: dict[str, str]  # dotted key → the file that set it
    plugin_dirs: tuple[Path, ...]  # plugins enabled by `path`: local source a dev server watches

    def configured(self, key: str) -> tuple[Any, str] | None:
        """The value of dotted `key` and the file that set it, when a unit other than eggbin sets it."""
        from eggbin.web.loader import EGGBIN_PATH

        origin = self.meta.get(key, "")
        if not origin or Path(origin).is_relative_to(EGGBIN_PATH):
            return None
        value: Any = self.config
        for part in key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        return (value, origin) if value not in (None, "") else None

    def configured_port(self) -> int | None:
        """`config.cluster.listen.port` when a unit other than eggbin itself sets it."""
        found = self.configured("cluster.listen.port")
        return int(found[0]) if found else None


def preview(info: AppInfo, framework: str | None = None) -> AppPreview:
    """Every load unit's config (framework, plugins, app) for `info.env`."""
    from eggbin.web.loader import app_unit, load_config, with_plugins
    from eggbin.web.plugins import load_plugins

    units = [*_framework_units(info, framework), app_unit(info)]
    plugins = load_plugins(units, info.env).plugins
    config, meta = load_config(with_plugins(units, plugins), info)
    local = tuple(p.unit.path for p in plugins if p.spec.path is not None)
    return AppPreview(dict(config), meta, local)


def _framework_units(info: AppInfo, framework: str | None) -> list[LoadUnit]:
    """eggbin's own unit, without importing the runtime, unless a framework is chosen (its class chain)."""
    from eggbin.web.appinfo import framework_choice
    from eggbin.web.units import eggbin_unit, framework_units

    if framework_choice(info.base_dir, framework)[0] == "eggbin":
        return [eggbin_unit()]
    from eggbin.web.framework import framework_class

    return framework_units(framework_class("app", info.base_dir, framework))
