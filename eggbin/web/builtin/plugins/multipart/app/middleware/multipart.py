"""multipart: in `buffer` and `file` modes (and `file_mode_match` paths), read the upload before the handler.

In `stream` mode the body is left for `ctx.get_file_stream()` / `ctx.multipart()`. Temp files go once
the response is sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from eggbin.web.body import has_body
from eggbin.web.middleware import Middleware, Next, path_matcher, runs_when
from eggbin.web.uploads import default_tmpdir, discard_request, save_request

if TYPE_CHECKING:
    from eggbin.web.application import Application
    from eggbin.web.config import Config
    from eggbin.web.context import Context


def multipart(options: Config, app: Application) -> Middleware:
    mode = options.get("mode", "buffer")
    match = options.get("file_mode_match")
    file_mode_match = path_matcher(match, "multipart.file_mode_match") if match else None
    tmpdir = str(options.get("tmpdir") or default_tmpdir(app.name))

    def wanted(ctx: Context) -> bool:
        request = ctx.request
        return has_body(request) and request.content_type.startswith("multipart/")  # cheap test first

    @runs_when(wanted)
    async def handle(ctx: Context, next_: Next) -> None:
        if not wanted(ctx):
            return await next_()
        file_mode = mode == "file" or (file_mode_match is not None and file_mode_match(ctx))
        if mode == "stream" and not file_mode:
            return await next_()
        try:
            await save_request(ctx, tmpdir if file_mode else None)
            await next_()
        finally:
            discard_request(ctx)

    return handle
