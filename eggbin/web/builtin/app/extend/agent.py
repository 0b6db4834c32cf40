"""eggbin's own `agent` extensions: egg-security's `agent.safe_curl`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from eggbin.web.application import Agent


async def safe_curl(app: Agent, url: str, options: Any = None, **keywords: Any) -> Any:
    """`curl` refusing the addresses `config.security.ssrf` forbids (egg-security's `safeCurl`)."""
    from eggbin.web.curl import safe_curl as send

    return await send(app, url, options, **keywords)
