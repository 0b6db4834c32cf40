"""cors (egg-cors' role): Starlette's `CORSMiddleware`, an ASGI middleware reused as an egg middleware.

Enable it with `config.middleware = [..., "cors"]`; `config.cors` holds Starlette's keyword arguments
(`allow_origins`, `allow_origin_regex`, `allow_methods`, `allow_headers`, `allow_credentials`,
`expose_headers`, `max_age`), which are egg-cors' keys in snake_case, plus egg-cors' own spellings
`origin` (→ `allow_origins`) and `credentials` (→ `allow_credentials`); a comma-separated string works
where a list is expected. Unlike egg-cors, no origin is allowed until `allow_origins` names it.
"""

from __future__ import annotations

from typing import Any

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp

LISTS = ("allow_origins", "allow_methods", "allow_headers", "expose_headers")


class Cors(CORSMiddleware):
    """`CORSMiddleware` that also takes egg-cors' `origin` / `credentials` and comma-separated lists."""

    def __init__(self, app: ASGIApp, origin: Any = None, credentials: bool | None = None, **options: Any):
        if origin is not None:
            options.setdefault("allow_origins", origin)
        if credentials is not None:
            options.setdefault("allow_credentials", credentials)
        for key in LISTS:
            if isinstance(options.get(key), str):  # `"GET,POST"` would otherwise be a set of letters
                options[key] = [item.strip() for item in options[key].split(",") if item.strip()]
        super().__init__(app, **options)


cors = Cors
