"""The ASGI scope of `app.create_anonymous_context()`: a request that never came over a socket."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit


def anonymous_scope(request: Mapping[str, Any]) -> dict[str, Any]:
    """`GET /` from 127.0.0.1 unless `request` gives `method`, `url` or `headers`."""
    url = urlsplit(str(request.get("url", "/")))
    headers = {"host": "127.0.0.1", **{k.lower(): str(v) for k, v in (request.get("headers") or {}).items()}}
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": str(request.get("method", "GET")).upper(),
        "scheme": "http",
        "path": url.path or "/",
        "raw_path": (url.path or "/").encode(),
        "query_string": url.query.encode(),
        "root_path": "",
        "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()],
        "client": ("127.0.0.1", 0),
        "server": ("127.0.0.1", 80),
    }


async def empty_receive() -> dict[str, Any]:
    """An empty request body."""
    return {"type": "http.request", "body": b"", "more_body": False}
