"""site_file (egg's `siteFile`): answer a few fixed paths such as `/favicon.ico` at once.

`config.site_file = {"/favicon.ico": <bytes> | <Path> | "<url>" | fn(ctx), "cache_control": ...}`: bytes
or a file are the body (typed by the path's extension, cached `cache_control`), a URL is redirected to,
a function (sync or async) returns either. GET and HEAD only; anything else goes on to the next middleware.
"""

from __future__ import annotations

import inspect
import mimetypes
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from eggbin.web.middleware import Middleware, Next, runs_when

if TYPE_CHECKING:
    from eggbin.web.application import Application
    from eggbin.web.config import Config
    from eggbin.web.context import Context

OPTION_KEYS = frozenset({"enable", "match", "ignore", "cache_control"})


def site_file(options: Config, app: Application) -> Middleware:
    files = {path: value for path, value in dict.items(options) if path not in OPTION_KEYS and value}
    cache_control = str(options.get("cache_control") or "public, max-age=2592000")
    read: dict[str, bytes] = {}

    def wanted(ctx: Context) -> bool:
        return bool(files) and ctx.path in files and ctx.method in ("GET", "HEAD")

    @runs_when(wanted)
    async def serve(ctx: Context, next_: Next) -> None:
        content = files.get(ctx.path) if ctx.method in ("GET", "HEAD") else None
        if content is None:
            return await next_()
        if callable(content):
            content = content(ctx)
            if inspect.isawaitable(content):
                content = await content
        if isinstance(content, str):
            ctx.unsafe_redirect(content)  # the app's own config chose it: no white list to pass
            return
        if isinstance(content, Path):
            content = read.get(ctx.path) or read.setdefault(ctx.path, content.read_bytes())
        if not isinstance(content, bytes | bytearray):
            return await next_()
        ctx.set("cache-control", cache_control)
        ctx.body = bytes(content)
        ctx.type = mimetypes.guess_type(PurePosixPath(ctx.path).name)[0] or "application/octet-stream"

    return serve
