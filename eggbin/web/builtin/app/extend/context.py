"""eggbin's own `ctx` extensions: loggers whose lines carry the request (`[user/ip/trace/ms METHOD url]`),
`ctx.locals` (what its templates see), and egg-security's `ctx.nonce`, `ctx.is_safe_domain` and
`ctx.safe_curl`."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from eggbin.web.logger import ContextLogger

if TYPE_CHECKING:
    from eggbin.web.context import Context


def _logger(ctx: Context) -> ContextLogger:
    return ContextLogger(ctx, ctx.app.logger)


def _core_logger(ctx: Context) -> ContextLogger:
    return ContextLogger(ctx, ctx.app.core_logger)


logger = property(_logger, doc="`app.logger` with the request prefix")
core_logger = property(_core_logger, doc="`app.core_logger` with the request prefix")


def _get_locals(ctx: Context) -> dict[str, Any]:
    found: dict[str, Any] | None = ctx.__dict__.get("_locals")
    if found is None:
        found = ctx.__dict__["_locals"] = dict(ctx.app.__dict__.get("_locals") or {})
    return found


def _merge_locals(ctx: Context, values: dict[str, Any]) -> None:
    _get_locals(ctx).update(values)


locals = property(_get_locals, _merge_locals, doc="what this request's templates see; setting merges")


def _nonce(ctx: Context) -> str:
    nonce = ctx.__dict__.get("_egg_nonce")
    if nonce is None:
        nonce = ctx.__dict__["_egg_nonce"] = secrets.token_urlsafe(12)
    return str(nonce)


nonce = property(_nonce, doc="a random value of this request, for CSP's `'nonce-...'` (egg-security)")


def is_safe_domain(ctx: Context, domain: str, custom_white_list: list[str] | None = None) -> bool:
    """Whether `domain` is in `security.domain_white_list` (or the list given), egg-security's rule."""
    from eggbin.web.redirect import is_safe_domain as matches

    white_list = custom_white_list
    if white_list is None:
        white_list = list((ctx.app.config.get("security") or {}).get("domain_white_list") or [])
    return matches(domain, white_list)


async def safe_curl(ctx: Context, url: str, options: Any = None, **keywords: Any) -> Any:
    """`ctx.curl` refusing the addresses `config.security.ssrf` forbids (egg-security's `safeCurl`)."""
    from eggbin.web.curl import safe_curl as send

    return await send(ctx.app, url, options, **keywords)
