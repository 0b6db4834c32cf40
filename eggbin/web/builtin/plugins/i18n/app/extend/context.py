"""`ctx.__(key, *args)`, `ctx.gettext` and `ctx.locale` (egg-i18n / koa-locales)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from eggbin.web.i18n import locales_of, request_locale, set_request_locale

if TYPE_CHECKING:
    from eggbin.web.context import Context


def __(ctx: Context, key: str = "", *args: object) -> str:
    """`key` translated for the request's locale, then formatted with `args` (egg's rules)."""
    if not key:
        return ""
    return locales_of(ctx.app).gettext(request_locale(ctx)[0], key, *args)


gettext = __


def _get_locale(ctx: Context) -> str:
    return request_locale(ctx)[0]


def _locale_origin(ctx: Context) -> str:
    return request_locale(ctx)[1]


locale = property(_get_locale, set_request_locale, doc="the request's locale, lower case (`zh-cn`)")
locale_origin = property(
    _locale_origin, doc="where the locale came from: query, cookie, header, default, set"
)
