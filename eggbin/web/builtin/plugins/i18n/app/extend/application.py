"""`app.__(locale, key, *args)` and `app.gettext`: a text for any locale, outside a request."""

from __future__ import annotations

from typing import TYPE_CHECKING

from eggbin.web.i18n import format_locale, locales_of

if TYPE_CHECKING:
    from eggbin.web.application import Application


def __(app: Application, locale: str = "", key: str = "", *args: object) -> str:
    if not key:
        return ""
    return locales_of(app).gettext(format_locale(locale), key, *args)


gettext = __
