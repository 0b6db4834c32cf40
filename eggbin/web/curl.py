"""`ctx.curl(url, **opts)`: an outgoing HTTP request (httpx), answered as egg's `{status, headers, data}`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class CurlResult:
    """What `ctx.curl` returns: `data` is bytes, or text / parsed JSON per `data_type`."""

    status: int
    headers: dict[str, str]
    data: Any


async def curl(
    url: str,
    *,
    method: str = "GET",
    data: Any = None,
    headers: dict[str, str] | None = None,
    content_type: str | None = None,
    data_type: str | None = None,
    timeout: float = 5.0,
    follow_redirects: bool = False,
) -> CurlResult:
    """Send one request; `data` goes in the query for GET/HEAD, else as JSON (`content_type="json"`)/form."""
    method = method.upper()
    request: dict[str, Any] = {"headers": headers or {}}
    if data is not None:
        request.update(_payload(method, data, content_type))
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=follow_redirects) as client:
        response = await client.request(method, url, **request)
    return CurlResult(response.status_code, dict(response.headers), _decode(response, data_type))


def _payload(method: str, data: Any, content_type: str | None) -> dict[str, Any]:
    if method in ("GET", "HEAD"):
        return {"params": data}
    if isinstance(data, bytes | str):
        return {"content": data}
    if content_type == "json":
        return {"json": data}
    return {"data": data}


def _decode(response: httpx.Response, data_type: str | None) -> Any:
    if data_type == "json":
        return response.json() if response.content else None
    if data_type == "text":
        return response.text
    return response.content
