"""cors (egg-cors' role): Starlette's `CORSMiddleware`, an ASGI middleware reused as an egg middleware.

Enable it with `config.middleware = [..., "cors"]`; `config.cors` holds Starlette's keyword arguments
(`allow_origins`, `allow_origin_regex`, `allow_methods`, `allow_headers`, `allow_credentials`,
`expose_headers`, `max_age`), which are egg-cors' keys in snake_case, plus egg-cors' own spellings
`origin` (→ `allow_origins`) and `credentials` (→ `allow_credentials`); a comma-separated string works
where a list is expected. Unlike egg-cors, no origin is allowed until `allow_origins` names it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from starlette.types import ASGIApp

LISTS = ("allow_origins", "allow_methods", "allow_headers", "expose_headers")


class Cors:
    """Makes a `CORSMiddleware` that also takes egg-cors' `origin` / `credentials` and comma-separated lists
    (not its subclass: starlette's module is imported only by the boot of an app that turns cors on)."""

    def __new__(
        cls, app: ASGIApp, origin: Any = None, credentials: bool | None = None, **options: Any
    ) -> Any:
        from starlette.middleware.cors import CORSMiddleware

        if origin is not None:
            options.setdefault("allow_origins", origin)
        if credentials is not None:
            options.setdefault("allow_credentials", credentials)
        for key in LISTS:
            if isinstance(options.get(key), str):  # `"GET,POST"` would otherwise be a set of letters
                options[key] = [item.strip() for item in options[key].split(",") if item.strip()]
        return CORSMiddleware(app, **options)


cors = Cors
