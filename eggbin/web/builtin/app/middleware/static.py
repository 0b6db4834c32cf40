"""static: files of the app's `app/public` at `/public/*`, with ETag, Last-Modified and 304 (starlette).

Options (`config.static`): `prefix` (default `/public/`), `dir` (default `<base_dir>/app/public`),
`max_age` (seconds of `Cache-Control: public`; 0 sends none). A missing file falls through to the router.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.exceptions import HTTPException
from starlette.staticfiles import StaticFiles

from eggbin.web.middleware import Middleware, Next, runs_when

if TYPE_CHECKING:
    from eggbin.web.application import Application
    from eggbin.web.config import Config
    from eggbin.web.context import Context


def static(options: Config, app: Application) -> Middleware:
    prefix = "/" + str(options.get("prefix") or "/public/").strip("/") + "/"
    directory = Path(options.get("dir") or Path(app.base_dir) / "app" / "public")
    directory.mkdir(parents=True, exist_ok=True)  # egg-static makes it too: uploads may be saved there
    files = StaticFiles(directory=directory, check_dir=False)
    max_age = int(options.get("max_age") or 0)

    def wanted(ctx: Context) -> bool:
        scope = ctx.request.scope
        return bool(scope["path"].startswith(prefix) and scope["method"] in ("GET", "HEAD"))

    @runs_when(wanted)
    async def serve(ctx: Context, next_: Next) -> None:
        scope = ctx.request.scope
        path = scope["path"]
        if not wanted(ctx):
            return await next_()
        relative = path[len(prefix) :]
        try:
            if not relative:
                raise HTTPException(404)
            response = await files.get_response(os.path.normpath(relative), scope)
        except HTTPException as exc:
            if exc.status_code == 404:
                return await next_()
            raise
        if max_age:
            response.headers["cache-control"] = f"public, max-age={max_age}"
        ctx.body = response
        ctx.status = response.status_code

    return serve
