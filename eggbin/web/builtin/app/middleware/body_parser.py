"""body_parser (egg's `bodyParser`): JSON, forms and text into `ctx.request.body` (multipart: its plugin).

Options (`config.body_parser`, egg's keys in snake_case): `enable_types` (default `["json", "form"]`; add
`"text"`, or `"xml"` for XML as text), `extend_types` (`{"json": [...], "form": [...], "text": [...]}`:
more content types parsed as that kind), `json_limit`, `form_limit`, `text_limit` (413 beyond), `strict`
(JSON must be an object or an array), `encoding`.
A body of any other type is left unread (`ctx.request.body` is `{}`); a malformed one answers 400.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from eggbin.web.body import (
    BodyTypes,
    has_body,
    parse_form,
    parse_json,
    parse_size,
    parse_text,
    read_limited,
)
from eggbin.web.middleware import Middleware, Next, runs_when

if TYPE_CHECKING:
    from eggbin.web.application import Application
    from eggbin.web.config import Config
    from eggbin.web.context import Context


def body_parser(options: Config, app: Application) -> Middleware:
    types = BodyTypes.from_options(options.get("enable_types"), options.get("extend_types"))
    json_limit = parse_size(options.get("json_limit", "1mb"))
    form_limit = parse_size(options.get("form_limit", "1mb"))
    text_limit = parse_size(options.get("text_limit", "1mb"))
    strict = bool(options.get("strict", True))
    encoding = str(options.get("encoding") or "utf-8")

    def wanted(ctx: Context) -> bool:
        request = ctx.request
        request.body = {}  # what a request without a body gets, whether this layer runs or not
        return has_body(request)

    @runs_when(wanted)
    async def parse(ctx: Context, next_: Next) -> None:
        request = ctx.request
        if not wanted(ctx):
            return await next_()
        kind = types.kind_of(request.content_type)
        if kind == "json":
            request.body = parse_json(await read_limited(request, json_limit), strict, encoding)
        elif kind == "form":
            request.body = parse_form(await read_limited(request, form_limit), encoding)
        elif kind == "text":
            request.body = parse_text(await read_limited(request, text_limit), request.charset or encoding)
        await next_()

    return parse
