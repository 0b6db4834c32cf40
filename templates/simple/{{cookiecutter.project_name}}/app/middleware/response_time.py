"""An app middleware: enable it by name in `config["middleware"]` (see config/default.py)."""

import time


def response_time(options, app):
    header = options.get("header", "X-Response-Time")

    async def middleware(ctx, next):
        start = time.perf_counter()
        await next()
        ctx.set(header, f"{(time.perf_counter() - start) * 1000:.1f}ms")

    return middleware
