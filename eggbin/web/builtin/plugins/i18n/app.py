"""Boot of the i18n plugin: reads every unit's locale files, gives templates `__` and `gettext`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from eggbin.errors import BootError
from eggbin.web.i18n import LOCALES, Locales, load_resources, locale_cookie_options
from eggbin.web.own_files import is_dir

if TYPE_CHECKING:
    from eggbin.web.application import Application


class Boot:
    def __init__(self, app: Application) -> None:
        self.app = app

    def config_will_load(self) -> None:
        options = self.app.config.i18n
        try:
            cookie_options = locale_cookie_options(options)
        except ValueError as exc:
            where = self.app.config_meta.get("i18n.cookie_max_age", "config")
            raise BootError(f"`i18n.cookie_max_age` (set in `{where}`): {exc}") from exc
        dirs = [Path(d) for d in options.get("dirs") or []]
        for unit in self.app.units:  # eggbin → plugins → framework → app: the app's texts win
            locale = unit.file("config", "locale")
            dirs.append(locale if is_dir(locale) else unit.file("config", "locales"))
        locales = Locales(load_resources(dirs), str(options.get("default_locale") or "en_US"), cookie_options)
        self.app.__dict__[LOCALES] = locales
        self.app.core_logger.info("[egg-i18n] locales: %s", ", ".join(sorted(locales.resources)) or "none")

    def did_load(self) -> None:
        # Templates call `__` / `gettext` with the request they render for. egg-i18n's middleware puts
        # them in `ctx.locals` on every request; shared through `app.locals` they cost a request nothing.
        gettext = TemplateGettext()
        self.app.locals = {"__": gettext, "gettext": gettext}


class TemplateGettext:
    """`__(key, *args)` in a template: the rendering request's translation (jinja2 passes the context).

    jinja2 is imported by the first render, not by every worker's boot: `jinja_pass_arg` (what
    `jinja2.pass_context` sets) is asked for only by a template calling this."""

    def __call__(self, context: Any, key: str = "", *args: object) -> str:
        return str(context["ctx"].__(key, *args))

    @property
    def jinja_pass_arg(self) -> object:
        from jinja2 import pass_context

        return pass_context(_marked).jinja_pass_arg  # type: ignore[attr-defined]


def _marked() -> None:
    """What `jinja2.pass_context` marks to tell `TemplateGettext.jinja_pass_arg` its value."""
