"""eggbin's own `app` extensions: `app.locals` (egg's view locals) and egg-security's `app.safe_curl`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from eggbin.web.application import Application


def _get_locals(app: Application) -> dict[str, Any]:
    found: dict[str, Any] | None = app.__dict__.get("_locals")
    if found is None:
        found = app.__dict__["_locals"] = {}
    return found


def _merge_locals(app: Application, values: dict[str, Any]) -> None:
    _get_locals(app).update(values)


locals = property(_get_locals, _merge_locals, doc="template data shared by every request; setting merges")


async def safe_curl(app: Application, url: str, options: Any = None, **keywords: Any) -> Any:
    """`curl` refusing the addresses `config.security.ssrf` forbids (egg-security's `safeCurl`)."""
    from eggbin.web.curl import safe_curl as send

    return await send(app, url, options, **keywords)
