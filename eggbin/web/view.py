"""`ctx.render(template, data)`: jinja2 templates from every load unit's `app/view` (the app's first).

One `Environment` per app, built on first render. `config.view`: `root` (dirs replacing the defaults),
`autoescape` (default on), `auto_reload` (default: only in the local env).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from jinja2 import Environment, FileSystemLoader, TemplateNotFound

from eggbin.errors import EggbinError

if TYPE_CHECKING:
    from eggbin.web.application import Application
    from eggbin.web.context import Context

_ENVIRONMENTS: WeakKeyDictionary[Any, Environment] = WeakKeyDictionary()


class TemplateMissing(EggbinError):
    """`ctx.render` named a template no view directory holds."""


def view_dirs(app: Application) -> list[Path]:
    options = app.config.get("view") or {}
    root = options.get("root")
    if root:
        return [Path(p) for p in ([root] if isinstance(root, str | Path) else root)]
    return [unit.path / "app" / "view" for unit in reversed(app.units)]


def environment(app: Application) -> Environment:
    env = _ENVIRONMENTS.get(app)
    if env is None:
        options = app.config.get("view") or {}
        env = Environment(
            loader=FileSystemLoader([str(p) for p in view_dirs(app)]),
            autoescape=bool(options.get("autoescape", True)),
            auto_reload=bool(options.get("auto_reload", app.env == "local")),
            enable_async=True,
        )
        _ENVIRONMENTS[app] = env
    return env


def locals_of(ctx: Context, data: dict[str, Any] | None) -> dict[str, Any]:
    """What every template sees (egg's view locals): `ctx`, `request`, `helper`, `app`, `ctx.locals`
    (`app.locals`, e.g. i18n's `__` and `gettext`, and what middleware added), then `data`."""
    shared = getattr(ctx, "locals", None) or {}
    return {
        "ctx": ctx,
        "request": ctx.request,
        "helper": ctx.helper,
        "app": ctx.app,
        **shared,
        **(data or {}),
    }


async def render(ctx: Context, template: str, data: dict[str, Any] | None = None) -> str:
    """The rendered template, as a string."""
    try:
        compiled = environment(ctx.app).get_template(template)
    except TemplateNotFound as exc:
        dirs = ", ".join(f"`{p}`" for p in view_dirs(ctx.app))
        raise TemplateMissing(f"template `{template}` not found in {dirs}") from exc
    return await compiled.render_async(locals_of(ctx, data))


async def render_string(ctx: Context, source: str, data: dict[str, Any] | None = None) -> str:
    return await environment(ctx.app).from_string(source).render_async(locals_of(ctx, data))
