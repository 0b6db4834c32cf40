"""eggbin's own `app` extensions: egg-security's `app.safe_curl`."""

from __future__ import annotations

from typing import Any


async def safe_curl(app: Any, url: str, **options: Any) -> Any:
    """`curl` refusing the addresses `config.security.ssrf` forbids (egg-security's `safeCurl`)."""
    from eggbin.web.curl import safe_curl as send

    return await send(app, url, **options)
