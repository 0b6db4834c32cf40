"""security: CSRF check of unsafe methods (403), `X-Content-Type-Options` and `X-Frame-Options` headers.

Options (`config.security`): `csrf` (`enable`, `ignore`, `cookie_name`, `header_name`, `body_name`,
`query_name`), `nosniff.enable`, `xframe` (`enable`, `value`), `domain_white_list` (read by `ctx.redirect`).
"""

from __future__ import annotations

from typing import Any

from eggbin.web.config import wrap
from eggbin.web.middleware import Middleware, Next, path_matcher
from eggbin.web.security import UNSAFE_METHODS


def security(options: Any, app: Any) -> Middleware:
    csrf = options.get("csrf")
    if isinstance(csrf, bool):  # egg's shorthand: `security: {csrf: false}`
        csrf = options["csrf"] = wrap({"enable": csrf})
    csrf = csrf if csrf is not None else {}
    skip = path_matcher(csrf["ignore"], "security.csrf") if csrf.get("ignore") else None
    headers = response_headers(options)

    async def secure(ctx: Any, next_: Next) -> None:
        ctx.response.headers.update(headers)
        # `enable` is read per request (tests switch it off at run time, see `mock.csrf()`).
        unsafe = ctx.request.scope["method"] in UNSAFE_METHODS
        if unsafe and csrf.get("enable", True) is not False and not (skip and skip(ctx)):
            ctx.assert_csrf()
        await next_()

    return secure


def response_headers(options: Any) -> dict[str, str]:
    headers = {}
    if (options.get("nosniff") or {}).get("enable", True) is not False:
        headers["x-content-type-options"] = "nosniff"
    xframe = options.get("xframe") or {}
    if xframe.get("enable", True) is not False:
        headers["x-frame-options"] = str(xframe.get("value") or "SAMEORIGIN")
    return headers
