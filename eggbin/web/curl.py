"""`ctx.curl(url, options)`, `app.curl(...)`: egg's HTTP client on httpx, answering `{status, headers, data}`.

Options (egg's urllib options in snake_case, as a dict or as keywords): `method`, `data` (the query string
for GET/HEAD, else a form, or JSON with `content_type="json"`; a str/bytes is sent as it is), `content`,
`headers`, `content_type`, `data_type` (`"json"`/`"text"`: how to read the response; bytes otherwise),
`timeout` (egg's milliseconds, a `"30s"`-style string, or a `[connect, response]` pair; default 5 s),
`follow_redirect`, `max_redirects`, `files`, `stream`, `data_as_query_string`, and `streaming` (the
response body is not read: `result.res` is an async iterator of its raw bytes, for `ctx.body`).
An unknown option is refused with the name it probably meant (`dataType` → `data_type`).

`check_address(ip, family, hostname)` (urllib's option) checks every address the request connects to,
redirects included; `ctx.safe_curl` / `app.safe_curl` pass the one `config.security.ssrf` describes (see
`eggbin.web.ssrf`).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

CURL_URL = "eggbin.curl_url"  # request extension: the URL as the app passed it (mock.http_client matches it)
OPTIONS = frozenset({
    "method", "data", "content", "headers", "content_type", "data_type", "timeout", "follow_redirect",
    "max_redirects", "streaming", "files", "stream", "data_as_query_string", "check_address",
})  # fmt: skip
DEFAULT_TIMEOUT_MS = 5000.0
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$")
_MS = {"ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass(frozen=True)
class CurlResult:
    """What `ctx.curl` returns: `data` is bytes, or text / parsed JSON per `data_type`; `res` the response."""

    status: int
    headers: dict[str, str]
    data: Any
    res: Any = None


def curl_options(options: Mapping[str, Any] | None, keywords: Mapping[str, Any]) -> dict[str, Any]:
    """egg's options object and keyword arguments as one dict; unknown names are refused."""
    merged = {**(options or {}), **keywords}
    for name in merged:
        if name not in OPTIONS:
            snake = re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()
            guess = snake if snake in OPTIONS else next(iter(difflib.get_close_matches(name, OPTIONS, 1)), "")
            hint = f": did you mean `{guess}`?" if guess else f" (known: {', '.join(sorted(OPTIONS))})"
            raise TypeError(f"unknown curl option `{name}`{hint}")
    return merged


def timeout_of(value: Any) -> httpx.Timeout:
    """egg's timeout: milliseconds, `"30s"`, or `[connect, response]`."""
    if isinstance(value, list | tuple):
        if len(value) != 2:
            raise ValueError(f"curl timeout `{value!r}` must be one duration or a [connect, response] pair")
        connect, response = (_seconds(item) for item in value)
        return httpx.Timeout(response, connect=connect)
    return httpx.Timeout(_seconds(DEFAULT_TIMEOUT_MS if value is None else value))


def _seconds(value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value) / 1000
    found = _DURATION.match(value) if isinstance(value, str) else None
    if found is None or float(found[1]) <= 0:
        raise ValueError(f'curl timeout `{value!r}` is not a duration: use milliseconds or e.g. `"30s"`')
    return float(found[1]) * _MS[found[2] or "ms"] / 1000


async def curl(url: str, options: Mapping[str, Any] | None = None, **keywords: Any) -> CurlResult:
    """Send one request the way egg's `ctx.curl` does."""
    opts = curl_options(options, keywords)
    method = str(opts.get("method") or "GET").upper()
    client = httpx.AsyncClient(
        timeout=timeout_of(opts.get("timeout")),
        follow_redirects=bool(opts.get("follow_redirect")),
        max_redirects=int(opts.get("max_redirects") or 10),
        **_checked(opts.get("check_address")),
    )
    try:
        request = client.build_request(method, url, **_payload(method, opts), extensions={CURL_URL: url})
        response = await client.send(request, stream=True)
    except BaseException:
        await client.aclose()
        raise
    if opts.get("streaming"):
        return CurlResult(response.status_code, dict(response.headers), None, _raw_chunks(response, client))
    try:
        await response.aread()
    finally:
        await response.aclose()
        await client.aclose()
    return CurlResult(response.status_code, dict(response.headers), _decode(response, opts), response)


def _checked(check_address: Any) -> dict[str, Any]:
    """With `check_address`, a transport that asks it before connecting to each address (redirects too)."""
    if check_address is None:
        return {}
    from eggbin.web.checked_transport import AddressCheckingTransport
    from eggbin.web.ssrf import with_three_arguments

    # trust_env off: an HTTP_PROXY from the environment would hide the real destination
    return {"transport": AddressCheckingTransport(with_three_arguments(check_address)), "trust_env": False}


def _payload(method: str, opts: dict[str, Any]) -> dict[str, Any]:
    headers = dict(opts.get("headers") or {})
    content_type, data = opts.get("content_type"), opts.get("data")
    request: dict[str, Any] = {"headers": headers}
    if content_type and content_type != "json":
        headers.setdefault("content-type", content_type)
    if opts.get("content") is not None or opts.get("stream") is not None:
        request["content"] = opts["content"] if opts.get("content") is not None else opts["stream"]
    if opts.get("files"):
        request["files"] = opts["files"]
    if data is None:
        return request
    if method in ("GET", "HEAD") or opts.get("data_as_query_string"):
        request["params"] = data
    elif isinstance(data, bytes | str):
        request["content"] = data
    elif content_type == "json":
        request["json"] = data
    else:
        request["data"] = data
    return request


def _decode(response: httpx.Response, opts: dict[str, Any]) -> Any:
    data_type = opts.get("data_type")
    if data_type == "json":
        return json.loads(response.content) if response.content.strip() else None
    if data_type == "text":
        return response.text
    return response.content


async def _raw_chunks(response: httpx.Response, client: httpx.AsyncClient) -> AsyncIterator[bytes]:
    """The streamed response body as it came (egg's `res.res`); the connection closes at its end."""
    try:
        async for chunk in response.aiter_raw():
            yield chunk
    finally:
        await response.aclose()
        await client.aclose()


async def safe_curl(
    app: Any, url: str, options: Mapping[str, Any] | None = None, **keywords: Any
) -> CurlResult:
    """egg-security's `safeCurl`: `curl` with the `check_address` of `config.security.ssrf`."""
    from eggbin.web.ssrf import check_from_config

    check = check_from_config((app.config.get("security") or {}).get("ssrf"))
    opts = curl_options(options, keywords)
    if check is None:
        app.logger.warning("[egg-security] please configure `config.security.ssrf` first")
    else:
        opts.setdefault("check_address", check)
    return await curl(url, opts)
