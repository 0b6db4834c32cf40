"""Security basics: the CSRF token behind `ctx.csrf` and its check, and safe redirect targets.

CSRF (egg-security's double-submit): the token lives in the `csrfToken` cookie (readable by page scripts);
an unsafe request (POST/PUT/PATCH/DELETE) must echo it in the `x-csrf-token` header, the `_csrf` body field
or the `_csrf` query parameter.

Redirects: `ctx.redirect` goes to relative URLs, the request's own host and hosts of
`security.domain_white_list` (`"example.com"` exact, `".example.com"` any subdomain); any other target
becomes `/`. Unlike egg, an empty white list does not open every domain.
"""

from __future__ import annotations

import hmac
import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

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


def is_safe_domain(hostname: str, white_list: list[str]) -> bool:
    hostname = hostname.lower()
    for allowed in white_list:
        allowed = allowed.lower()
        if hostname == allowed.lstrip(".") or (allowed.startswith(".") and hostname.endswith(allowed)):
            return True
    return False


def safe_redirect_target(ctx: Context, url: str) -> str:
    """`url` when it stays on this site or a white-listed domain, else `/`."""
    # Browsers read `\` as `/`, so `/\evil.com` is protocol-relative: normalise before judging.
    parts = urlsplit(url.strip().replace("\\", "/"))
    if not parts.scheme and not parts.netloc:
        return url
    if parts.scheme not in ("", "http", "https") or not parts.hostname:
        return "/"
    security = ctx.app.config.get("security") or {}
    white_list = list(security.get("domain_white_list") or [])
    if parts.hostname.lower() == ctx.hostname.lower() or is_safe_domain(parts.hostname, white_list):
        return url
    ctx.logger.warning("redirect to `%s` refused: its domain is not in security.domain_white_list", url)
    return "/"
