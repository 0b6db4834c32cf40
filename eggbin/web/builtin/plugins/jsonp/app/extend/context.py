"""`ctx.accept_jsonp` and `ctx.create_jsonp_body(body)` (egg-jsonp)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from eggbin.web.jsonp import jsonp_body

if TYPE_CHECKING:
    from eggbin.web.context import Context


def _accept_jsonp(ctx: Context) -> bool:
    return bool(ctx.__dict__.get("_jsonp_function"))


accept_jsonp = property(_accept_jsonp, doc="whether this response is answered as JSONP")


def create_jsonp_body(ctx: Context, body: object) -> None:
    """Set `body`, wrapped in the request's JSONP callback when it has one."""
    callback = ctx.__dict__.get("_jsonp_function")
    if not callback:
        ctx.body = body
        return
    ctx.set("x-content-type-options", "nosniff")
    ctx.type = "application/javascript; charset=utf-8"
    ctx.body = jsonp_body(body, callback)
