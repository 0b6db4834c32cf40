"""Built-in settings checked by pydantic models once the config is merged (`eggbin.web.settings.check`).

Only the sections a file outside eggbin sets are checked (eggbin's own defaults are tested to pass), and
pydantic is imported only then: an app that sets none of them pays nothing at boot.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eggbin.web.units import EGGBIN_PATH

if TYPE_CHECKING:
    from eggbin.web.plugins import Plugin
    from eggbin.web.units import LoadUnit

# every name `eggbin.web.settings.check` validates: its sections and the top-level keys it reads
CHECKED = frozenset({
    "cluster", "logger", "tracer", "schedule", "dump", "view", "nunjucks", "websocket", "background_task",
    "openapi", "development", "onerror", "notfound", "site_file", "static", "body_parser", "security", "cors",
    "compress", "session", "i18n", "jsonp", "multipart", "logrotator", "health",
    "keys", "ready_timeout", "proxy", "ip_headers", "max_ips_count", "protocol_headers", "host_headers",
    "rundir",
})  # fmt: skip
_EGGBIN_FILES = f"{EGGBIN_PATH}{os.sep}"


@dataclass(frozen=True)
class LoadedConfig:
    """The merged config, which file set each key, and what was loaded: units, plugins, built-in switches."""

    config: dict[str, Any]
    meta: dict[str, str]
    units: Sequence[LoadUnit]
    plugins: Sequence[Plugin]
    built_in: Mapping[str, bool]  # egg's built-in plugins named in config/plugin.py → on


def check_settings(loaded: LoadedConfig) -> list[str]:
    """Raise a `BootError` for the first bad built-in setting; return one warning per unknown key."""
    touched = set_outside_eggbin(loaded.meta) & CHECKED
    if not touched:
        return []
    from eggbin.web.settings.check import check_sections

    return check_sections(loaded, touched)


def set_outside_eggbin(meta: Mapping[str, str]) -> set[str]:
    """The top-level names a file other than eggbin's own (app, framework, plugin) set."""
    return {path.split(".", 1)[0] for path, file in meta.items() if not file.startswith(_EGGBIN_FILES)}
