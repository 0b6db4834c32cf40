"""Built-in settings checked by pydantic models once the config is merged (`eggbin.web.settings.check`).

Only the sections a file outside eggbin sets are checked (eggbin's own defaults are tested to pass), and
pydantic is imported only then: an app that sets none of them pays nothing at boot.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from msgspec import Struct

from eggbin.web.own_files import existing
from eggbin.web.units import EGGBIN_PATH

if TYPE_CHECKING:
    from pathlib import Path

    from eggbin.web.plugins import Plugin
    from eggbin.web.units import LoadUnit

# the sections `eggbin.web.settings.check` validates (its `MODELS`), named here without pydantic
CORE_SECTIONS = (
    "cluster", "logger", "tracer", "schedule", "dump", "view", "nunjucks", "websocket", "background_task",
    "openapi", "development",
)  # fmt: skip
# options of eggbin's middleware: skipped when the app (or a plugin) ships its own of that name
MIDDLEWARE_SECTIONS = (
    "onerror", "notfound", "site_file", "static", "body_parser", "security", "cors", "compress",
)  # fmt: skip
PLUGIN_SECTIONS = ("session", "i18n", "jsonp", "multipart", "logrotator", "health")  # while that plugin is on
TOP_LEVEL = (
    "keys", "ready_timeout", "proxy", "ip_headers", "max_ips_count", "protocol_headers", "host_headers",
    "rundir",
)  # fmt: skip
# every name the check validates: its sections and the top-level keys it reads
CHECKED = frozenset((*CORE_SECTIONS, *MIDDLEWARE_SECTIONS, *PLUGIN_SECTIONS, *TOP_LEVEL))
_EGGBIN_ROOT = str(EGGBIN_PATH)
_EGGBIN_FILES = f"{EGGBIN_PATH}{os.sep}"


class LoadedConfig(Struct, frozen=True):
    """The merged config, which file set each key, and what was loaded: units, plugins, built-in switches."""

    config: dict[str, Any]
    meta: dict[str, str]
    units: Sequence[LoadUnit]
    plugins: Sequence[Plugin]
    built_in: Mapping[str, bool]  # egg's built-in plugins named in config/plugin.py → on


def check_settings(loaded: LoadedConfig) -> list[str]:
    """Raise a `BootError` for the first bad built-in setting; return one warning per unknown key.

    A config this eggbin and pydantic passed before without a word passes again without pydantic
    (`eggbin.web.settings.verdict_cache`); a failure or a warning is never cached.
    """
    touched = set_outside_eggbin(loaded.meta) & CHECKED
    if not touched:
        return []
    from eggbin.web.settings import verdict_cache

    key = verdict_cache.key_for(loaded.config, touched, checked_names(loaded))
    if key is not None and verdict_cache.passed_before(key):
        return []
    from eggbin.web.settings.check import check_sections

    warnings = check_sections(loaded, touched)
    if key is not None and not warnings:
        verdict_cache.remember_pass(key)
    return warnings


def passed_before(loaded: LoadedConfig) -> bool:
    """Whether this very check passed without a warning before (`check_settings` would return [])."""
    from eggbin.web.settings import verdict_cache

    touched = set_outside_eggbin(loaded.meta) & CHECKED
    if not touched:
        return True
    key = verdict_cache.key_for(loaded.config, touched, checked_names(loaded))
    return key is not None and verdict_cache.passed_before(key)


def checked_names(loaded: LoadedConfig) -> list[str]:
    """The built-in sections this app's config must follow (the top-level keys aside)."""
    off = {name for name, on in loaded.built_in.items() if not on}
    own = {name for name in MIDDLEWARE_SECTIONS if _overridden(loaded.units, name)}
    on = {p.spec.name for p in loaded.plugins if _is_eggbins(p.unit.path)}
    return [
        *CORE_SECTIONS,
        *(name for name in MIDDLEWARE_SECTIONS if name not in off | own),
        *(name for name in PLUGIN_SECTIONS if name in on),
    ]


def _overridden(units: Sequence[LoadUnit], name: str) -> bool:
    """Whether a unit other than eggbin's own ships `app/middleware/<name>.py` (its options are its own)."""
    return any(
        not _is_eggbins(unit.path) and existing(unit.path, "app", "middleware", f"{name}.py") is not None
        for unit in units
    )


def _is_eggbins(path: Path) -> bool:
    """`path.is_relative_to(EGGBIN_PATH)` for a unit's (resolved) path, without the paths pathlib would
    make: asked for every unit and section at the agent's boot (~70 times)."""
    name = str(path)
    return name == _EGGBIN_ROOT or name.startswith(_EGGBIN_FILES)


def set_outside_eggbin(meta: Mapping[str, str]) -> set[str]:
    """The top-level names a file other than eggbin's own (app, framework, plugin) set."""
    return {path.split(".", 1)[0] for path, file in meta.items() if not file.startswith(_EGGBIN_FILES)}
