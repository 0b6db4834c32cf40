"""Validate the merged config's built-in sections against their models (models built on first use).

Runs right after the config is merged (default → plugins → framework → app → env files). A bad value is a
`BootError` naming the key, the value, the file that set it and what is expected; a key a built-in section
does not have is a warning naming the closest one. Sections that are not eggbin's (the app's own, a
built-in plugin turned off, a middleware the app overrides) are left alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from eggbin.web.settings import checked_names
from eggbin.web.settings import plugin_sections as plugin
from eggbin.web.settings import sections as core
from eggbin.web.settings.report import invalid, unknown_key

if TYPE_CHECKING:
    from eggbin.web.settings import LoadedConfig

# every section's model, by name (`eggbin.web.settings` says which apply to an app)
MODELS: dict[str, type[core.Section]] = {
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
    "onerror": core.Onerror,
    "notfound": core.Notfound,
    "site_file": core.SiteFile,
    "static": core.Static,
    "body_parser": core.BodyParser,
    "security": core.Security,
    "cors": core.Cors,
    "compress": core.Compress,
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
    """The built-in sections this app's config must follow, with their models."""
    return {name: MODELS[name] for name in checked_names(loaded)}


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
