"""Validate the merged config's built-in sections against their models (models built on first use).

Runs right after the config is merged (default → plugins → framework → app → env files). A bad value is a
`BootError` naming the key, the value, the file that set it and what is expected; a key a built-in section
does not have is a warning naming the closest one. Sections that are not eggbin's (the app's own, a
built-in plugin turned off, a middleware the app overrides) are left alone.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from eggbin.web.settings import plugin_sections as plugin
from eggbin.web.settings import sections as core
from eggbin.web.settings.report import invalid, unknown_key
from eggbin.web.units import EGGBIN_PATH, LoadUnit

if TYPE_CHECKING:
    from eggbin.web.settings import LoadedConfig

# sections eggbin itself reads, whatever the plugins
CORE: dict[str, type[core.Section]] = {
    "cluster": core.Cluster,
    "logger": core.Logger,
    "tracer": core.Tracer,
    "schedule": core.Schedule,
    "dump": core.Dump,
    "view": core.View,
    "nunjucks": core.Nunjucks,
    "websocket": core.Websocket,
    "background_task": core.BackgroundTask,
    "openapi": core.Openapi,
    "development": core.Development,
}
# options of eggbin's middleware: skipped when the app (or a plugin) ships its own of that name
MIDDLEWARE: dict[str, type[core.Section]] = {
    "onerror": core.Onerror,
    "notfound": core.Notfound,
    "site_file": core.SiteFile,
    "static": core.Static,
    "body_parser": core.BodyParser,
    "security": core.Security,
    "cors": core.Cors,
    "compress": core.Compress,
}
# sections of eggbin's built-in plugins: checked while that plugin is on
PLUGINS: dict[str, type[core.Section]] = {
    "session": plugin.Session,
    "i18n": plugin.I18n,
    "jsonp": plugin.Jsonp,
    "multipart": plugin.Multipart,
    "logrotator": plugin.Logrotator,
    "health": plugin.Health,
}


def check_sections(loaded: LoadedConfig, touched: set[str]) -> list[str]:
    """Check the `touched` names (see `eggbin.web.settings.check_settings`); warnings for unknown keys."""
    config, meta = loaded.config, loaded.meta
    top = {key: dict.__getitem__(config, key) for key in core.TopLevel.model_fields if key in touched}
    if top:
        _validate(core.TopLevel, top, None, meta)
    warnings: list[str] = []
    for name, model in checked_sections(loaded).items():
        if name in touched and name in config:
            validated = _validate(model, dict.__getitem__(config, name), name, meta)
            warnings.extend(unknown_key(path, known, meta) for path, known in unknown_keys(validated, [name]))
    return warnings


def checked_sections(loaded: LoadedConfig) -> dict[str, type[core.Section]]:
    """The built-in sections this app's config must follow."""
    off = {name for name, on in loaded.built_in.items() if not on}
    own = {name for name in MIDDLEWARE if _overridden(loaded.units, name)}
    on = {p.spec.name for p in loaded.plugins if p.unit.path.is_relative_to(EGGBIN_PATH)}
    return {
        **CORE,
        **{name: model for name, model in MIDDLEWARE.items() if name not in off | own},
        **{name: model for name, model in PLUGINS.items() if name in on},
    }


def _overridden(units: Sequence[LoadUnit], name: str) -> bool:
    """Whether a unit other than eggbin's own ships `app/middleware/<name>.py` (its options are its own)."""
    return any(
        not unit.path.is_relative_to(EGGBIN_PATH) and unit.file("app", "middleware", f"{name}.py").is_file()
        for unit in units
    )


def _validate(model: type[core.Section], value: Any, section: str | None, meta: dict[str, str]) -> BaseModel:
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        raise invalid(section, exc, meta) from None


def unknown_keys(model: BaseModel, path: list[str]) -> Iterator[tuple[list[str], list[str]]]:
    """(path of the key, the keys its section has) for every key no model of `model`'s tree declares."""
    fields = type(model).model_fields
    known = [field.alias or name for name, field in fields.items()]
    free = getattr(model, "free_prefix", "")
    for key in model.model_extra or {}:
        if not (free and str(key).startswith(free)):
            yield [*path, str(key)], known
    for name, field in fields.items():
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            yield from unknown_keys(value, [*path, field.alias or name])
