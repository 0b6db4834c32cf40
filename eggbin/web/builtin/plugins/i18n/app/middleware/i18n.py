"""i18n: templates get `__` and `gettext` (egg-i18n's view locals)."""

from __future__ import annotations

from typing import Any

from eggbin.web.middleware import Middleware, Next


def i18n(options: Any, app: Any) -> Middleware:
    async def handle(ctx: Any, next_: Next) -> None:
        gettext = ctx.gettext
        ctx.locals = {"__": gettext, "gettext": gettext}
        await next_()

    return handle
