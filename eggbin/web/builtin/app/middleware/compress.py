"""compress (koa-compress' role, the middleware egg's docs reuse from Koa): Starlette's `GZipMiddleware`.

Enable it with `config.middleware = [..., "compress"]`. `config.compress`: `threshold` (koa-compress'
name: bodies of fewer bytes stay plain, default 1024) and `level` (zlib, default 6), or Starlette's own
`minimum_size`, `compresslevel` and `exclude_content_types`. Clients that do not send
`Accept-Encoding: gzip` get the plain body; streamed responses are compressed as they stream.
"""

from __future__ import annotations

from typing import Any

from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp


class Compress(GZipMiddleware):
    """`GZipMiddleware` with koa-compress' option names."""

    def __init__(self, app: ASGIApp, threshold: int = 1024, level: int = 6, **options: Any) -> None:
        options.setdefault("minimum_size", threshold)
        options.setdefault("compresslevel", level)
        super().__init__(app, **options)


compress = Compress
