"""bodyparser: JSON and urlencoded forms into `ctx.request.body` (multipart is the multipart plugin's).

Options (`config.bodyparser`): `json_limit`, `form_limit` (413 beyond), `strict` (JSON must be an
object or an array). Malformed bodies answer 400.
"""

from __future__ import annotations

from typing import Any

from eggbin.web.body import has_body, parse_form, parse_json, parse_size, read_limited
from eggbin.web.middleware import Middleware, Next

JSON_TYPES = frozenset({"application/json", "application/csp-report", "application/json-patch+json"})


def bodyparser(options: Any, app: Any) -> Middleware:
    json_limit = parse_size(options.get("json_limit", "1mb"))
    form_limit = parse_size(options.get("form_limit", "1mb"))
    strict = bool(options.get("strict", True))

    async def parse(ctx: Any, next_: Next) -> None:
        request = ctx.request
        request.body = {}
        if not has_body(request):
            return await next_()
        kind = request.content_type
        if kind in JSON_TYPES or kind.endswith("+json"):
            request.body = parse_json(await read_limited(request, json_limit), strict)
        elif kind == "application/x-www-form-urlencoded":
            request.body = parse_form(await read_limited(request, form_limit))
        await next_()

    return parse
