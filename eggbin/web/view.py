"""`ctx.render(template, data)`: jinja2 templates from every load unit's `app/view` (the app's first).

jinja2 plays egg-view-nunjucks' role (nunjucks is jinja2's JavaScript port). One `Environment` per app,
built on first render:

- `config.view`: `root` (dirs replacing the defaults), `autoescape` (default on), `auto_reload` (default:
  only in the local env); `default_view_engine` and `mapping` may name `nunjucks` or `jinja2` (both are
  this engine; another name is reported when the app boots, see `eggbin.web.config`).
- `config.nunjucks` (egg-view-nunjucks' options): `dir`, `cache`, `autoescape`, `trim_blocks`,
  `lstrip_blocks`, `throw_on_undefined`.
- Filters: the public functions of every unit's `app/extend/filter.py` (`{{ item.time | relative_time }}`).
- Paths starting with `./` or `../` in `extends`/`include`/`import` are relative to the template that
  names them, as in nunjucks.
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound, Undefined

from eggbin.errors import EggbinError
from eggbin.web.extend import read_extension

if TYPE_CHECKING:
    from eggbin.web.application import Application
    from eggbin.web.context import Context

_ENVIRONMENTS: WeakKeyDictionary[Any, Environment] = WeakKeyDictionary()


class TemplateMissing(EggbinError):
    """`ctx.render` named a template no view directory holds."""


class RelativeEnvironment(Environment):
    """nunjucks' relative template names: `{% extends "../layout/layout.tpl" %}` from `news/list.tpl`."""

    def join_path(self, template: str, parent: str) -> str:
        if template.startswith(("./", "../")):
            return posixpath.normpath(posixpath.join(posixpath.dirname(parent), template))
        return template


def view_dirs(app: Application) -> list[Path]:
    options = app.config.get("view") or {}
    root = options.get("root") or (app.config.get("nunjucks") or {}).get("dir")
    if root:
        return [Path(p) for p in ([root] if isinstance(root, str | Path) else root)]
    return [unit.path / "app" / "view" for unit in reversed(app.units)]


def environment(app: Application) -> Environment:
    env = _ENVIRONMENTS.get(app)
    if env is None:
        options = app.config.get("view") or {}
        nunjucks = app.config.get("nunjucks") or {}
        cache = nunjucks.get("cache")
        env = RelativeEnvironment(
            loader=FileSystemLoader([str(p) for p in view_dirs(app)]),
            autoescape=bool(nunjucks.get("autoescape", options.get("autoescape", True))),
            auto_reload=bool(options.get("auto_reload", app.env == "local" if cache is None else not cache)),
            trim_blocks=bool(nunjucks.get("trim_blocks", False)),
            lstrip_blocks=bool(nunjucks.get("lstrip_blocks", False)),
            undefined=StrictUndefined if nunjucks.get("throw_on_undefined") else Undefined,
            enable_async=True,
        )
        env.filters.update(read_extension(app.units, "filter"))
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
        missing = exc.name if exc.name != template else template
        raise TemplateMissing(f"template `{missing}` not found in {dirs}") from exc
    return await compiled.render_async(locals_of(ctx, data))


async def render_string(ctx: Context, source: str, data: dict[str, Any] | None = None) -> str:
    return await environment(ctx.app).from_string(source).render_async(locals_of(ctx, data))
