"""`ctx.curl(url, **opts)`: an outgoing HTTP request (httpx), answered as egg's `{status, headers, data}`.

`check_address` (urllib's option) checks every address the request connects to, redirects included;
`ctx.safe_curl` passes the one `config.security.ssrf` describes (see `eggbin.web.ssrf`).
"""

from __future__ import annotations

from collections.abc import Callable
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
    check_address: Callable[..., Any] | None = None,
) -> CurlResult:
    """Send one request; `data` goes in the query for GET/HEAD, else as JSON (`content_type="json"`)/form.

    With `check_address(ip, family, hostname)`, a connection to an address it refuses raises
    `IllegalAddressError`.
    """
    method = method.upper()
    request: dict[str, Any] = {"headers": headers or {}}
    if data is not None:
        request.update(_payload(method, data, content_type))
    client_options: dict[str, Any] = {"timeout": timeout, "follow_redirects": follow_redirects}
    if check_address is not None:
        from eggbin.web.checked_transport import AddressCheckingTransport
        from eggbin.web.ssrf import with_three_arguments

        client_options["transport"] = AddressCheckingTransport(with_three_arguments(check_address))
        client_options["trust_env"] = False  # an HTTP_PROXY from the environment would hide the destination
    async with httpx.AsyncClient(**client_options) as client:
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


async def safe_curl(app: Any, url: str, **options: Any) -> CurlResult:
    """egg-security's `safeCurl`: `curl` with the `check_address` of `config.security.ssrf`."""
    from eggbin.web.ssrf import check_from_config

    check = check_from_config((app.config.get("security") or {}).get("ssrf"))
    if check is None:
        app.logger.warning("[egg-security] please configure `config.security.ssrf` first")
    else:
        options.setdefault("check_address", check)
    return await curl(url, **options)
