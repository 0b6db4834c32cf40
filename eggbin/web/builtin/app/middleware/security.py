"""security: CSRF check of unsafe methods (403), `X-Content-Type-Options` and `X-Frame-Options` headers.

Options (`config.security`): `csrf` (`enable`, `ignore`, `cookie_name`, `header_name`, `body_name`,
`query_name`), `nosniff.enable`, `xframe` (`enable`, `value`), `domain_white_list` (read by `ctx.redirect`).
"""

from __future__ import annotations

from typing import Any

from eggbin.web.http_error import HttpError
from eggbin.web.middleware import Middleware, Next, path_matcher
from eggbin.web.security import CSRF_DEFAULTS, UNSAFE_METHODS, csrf_failure


def security(options: Any, app: Any) -> Middleware:
    csrf = {**CSRF_DEFAULTS, **(options.get("csrf") or {})}
    check_csrf = csrf.get("enable", True) is not False
    skip = path_matcher(csrf["ignore"], "security.csrf") if csrf.get("ignore") else None
    headers = response_headers(options)

    async def secure(ctx: Any, next_: Next) -> None:
        ctx.response.headers.update(headers)
        if check_csrf and ctx.request.scope["method"] in UNSAFE_METHODS and not (skip and skip(ctx)):
            failure = csrf_failure(ctx, csrf)
            if failure:
                raise HttpError(403, failure)
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
