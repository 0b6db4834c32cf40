"""compress (koa-compress' role, the middleware egg's docs reuse from Koa): Starlette's `GZipMiddleware`.

Enable it with `config.middleware = [..., "compress"]`. `config.compress`: `threshold` (koa-compress'
name: bodies of fewer bytes stay plain, default 1024) and `level` (zlib, default 6), or Starlette's own
`minimum_size`, `compresslevel` and `exclude_content_types`. Clients that do not send
`Accept-Encoding: gzip` get the plain body; streamed responses are compressed as they stream.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from starlette.types import ASGIApp


class Compress:
    """Makes a `GZipMiddleware` with koa-compress' option names. Not its subclass: every boot loads this
    file, and starlette's gzip module (with `gzip` and anyio's `lowlevel`, ~1.6 ms) is imported only by
    the boot of an app that turns compress on."""

    def __new__(cls, app: ASGIApp, threshold: int = 1024, level: int = 6, **options: Any) -> Any:
        from starlette.middleware.gzip import GZipMiddleware

        options.setdefault("minimum_size", threshold)
        options.setdefault("compresslevel", level)
        return GZipMiddleware(app, **options)


compress = Compress
