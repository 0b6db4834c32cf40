"""notfound: what nothing answered gets egg's 404 (`{"message": "Not Found"}` or `<h1>404 Not Found</h1>`).

`config.notfound.page_url`: HTML requests are redirected there instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from eggbin.web.middleware import Middleware, Next, runs_when

if TYPE_CHECKING:
    from eggbin.web.application import Application
    from eggbin.web.config import Config
    from eggbin.web.context import Context


def notfound(options: Config, app: Application) -> Middleware:
    page_url = str(options.get("page_url") or "")

    @runs_when(None)  # always runs, leaves the request be
    async def handle(ctx: Context, next_: Next) -> None:
        await next_()
        response = ctx.response
        if response.body is not None or response.status != 404:
            return
        if ctx.accept_json:
            ctx.body = {"message": "Not Found"}
        elif page_url and ctx.path != page_url:
            ctx.unsafe_redirect(page_url)
            return
        else:
            ctx.body = "<h1>404 Not Found</h1>"
        ctx.status = 404

    return handle
