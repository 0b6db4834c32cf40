"""`app.jsonp(options)`: a route middleware that wraps JSON bodies for JSONP, after its security checks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from eggbin.web.http_error import HttpError
from eggbin.web.jsonp import callback_of, referrer_check

if TYPE_CHECKING:
    from eggbin.web.application import Application
    from eggbin.web.context import Context
    from eggbin.web.middleware import Next

OPTIONS = frozenset({"limit", "callback", "csrf", "white_list"})


def csrf_enabled(csrf: object) -> bool:
    """egg-security's CSRF switch: `security.csrf` off as `False` or as `{"enable": False}`."""
    if isinstance(csrf, Mapping):
        return csrf.get("enable", True) is not False
    return csrf is not False


def jsonp(app: Application, options: Mapping[str, Any] | None = None, **kwargs: Any) -> Any:
    """egg-jsonp's middleware factory; `options` (a dict or keywords) override `config.jsonp`."""
    given = {**(options or {}), **kwargs}
    unknown = set(given) - OPTIONS
    if unknown:
        raise TypeError(f"unknown jsonp option(s) {sorted(unknown)}; known: {sorted(OPTIONS)}")
    settings = {**(app.config.get("jsonp") or {}), **given}
    names = settings["callback"] if isinstance(settings["callback"], list | tuple) else [settings["callback"]]
    limit = int(settings.get("limit") or 50)
    check_csrf = bool(settings.get("csrf")) and csrf_enabled((app.config.get("security") or {}).get("csrf"))
    check_referrer = referrer_check(settings.get("white_list"))
    if not check_csrf and check_referrer is None:
        app.core_logger.warning(
            "[egg-jsonp] SECURITY WARNING!! csrf check and referrer check are both closed!"
        )

    def assert_safe(ctx: Context) -> None:
        if not check_csrf and check_referrer is None:
            return
        referrer = ctx.get("referer")
        if check_referrer is not None and check_referrer(referrer):
            return
        if check_csrf:
            try:
                ctx.assert_csrf()
                return
            except HttpError:
                pass
        raise HttpError(403, "jsonp request security validate failed", referrer=referrer)

    async def middleware(ctx: Any, next_: Next) -> None:  # `ctx.create_jsonp_body`: an extend
        ctx.__dict__["_jsonp_function"] = callback_of(ctx.query, list(names), limit)
        assert_safe(ctx)
        await next_()
        ctx.create_jsonp_body(ctx.body)

    return middleware
