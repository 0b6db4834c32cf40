"""CSRF: the token behind `ctx.csrf` and its check (safe redirects live in `eggbin.web.redirect`).

CSRF (egg-security's double-submit): the token lives in the `csrfToken` cookie (readable by page scripts);
an unsafe request (POST/PUT/PATCH/DELETE) must echo it in the `x-csrf-token` header, the `_csrf` body field
or the `_csrf` query parameter.
"""

from __future__ import annotations

import hmac
import secrets
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from eggbin.web.context import Context

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_DEFAULTS = {
    "cookie_name": "csrfToken",
    "header_name": "x-csrf-token",
    "body_name": "_csrf",
    "query_name": "_csrf",
}


def csrf_options(ctx: Context) -> dict[str, Any]:
    security = ctx.app.config.get("security") or {}
    return {**CSRF_DEFAULTS, **(security.get("csrf") or {})}


def csrf_token(ctx: Context) -> str:
    """The request's token: the one its cookie carries, else a new one set on the response."""
    options = csrf_options(ctx)
    token = ctx.cookies.get(options["cookie_name"], signed=False)
    if not token:
        token = secrets.token_urlsafe(24)
        ctx.cookies.set(options["cookie_name"], token, signed=False, http_only=False)
    return token


def csrf_failure(ctx: Context, options: dict[str, Any]) -> str | None:
    """Why the request fails the CSRF check (`missing csrf token`, `invalid csrf token`), or `None`."""
    expected = ctx.cookies.get(options["cookie_name"], signed=False)
    if not expected:
        return "missing csrf token"
    sent = ctx.get(options["header_name"]) or ctx.query.get(options["query_name"], "")
    body = ctx.request.body
    if not sent and isinstance(body, dict):
        sent = str(body.get(options["body_name"], ""))
    if not sent:
        return "missing csrf token"
    if not hmac.compare_digest(sent.encode(), expected.encode()):
        return "invalid csrf token"
    return None
