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

An app's calls share its `CurlClients` (`app.curl_clients`, one per process in a cluster): keep-alive
connections are reused from call to call, and the clients are closed with the app. Options stay per call
(the timeout and `follow_redirect` ride on the request); a call without an app (`curl(url)`) still makes
and closes its own client.
"""

from __future__ import annotations

import asyncio
import difflib
import json
import re
from collections import OrderedDict
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
DEFAULT_MAX_REDIRECTS = 10
MAX_POOLED_CLIENTS = 8  # distinct (max_redirects, check_address) pairs kept; the least recent is closed


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


def timeout_of(value: object) -> httpx.Timeout:
    """egg's timeout: milliseconds, `"30s"`, or `[connect, response]`."""
    if isinstance(value, list | tuple):
        if len(value) != 2:
            raise ValueError(f"curl timeout `{value!r}` must be one duration or a [connect, response] pair")
        connect, response = (_seconds(item) for item in value)
        return httpx.Timeout(response, connect=connect)
    return httpx.Timeout(_seconds(DEFAULT_TIMEOUT_MS if value is None else value))


def _seconds(value: object) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value) / 1000
    found = _DURATION.match(value) if isinstance(value, str) else None
    if found is None or float(found[1]) <= 0:
        raise ValueError(f'curl timeout `{value!r}` is not a duration: use milliseconds or e.g. `"30s"`')
    return float(found[1]) * _MS[found[2] or "ms"] / 1000


class CurlClients:
    """The pooled `httpx.AsyncClient`s of one app, made on first use, closed by `aclose()` at shutdown.

    One client per (`max_redirects`, `check_address`): a connection opened under one SSRF check is never
    reused by a request under another check, or under none. A client belongs to the event loop it was
    made on; a call from another loop gets a new one.
    """

    def __init__(self) -> None:
        self._clients: OrderedDict[tuple[int, Any], tuple[asyncio.AbstractEventLoop, httpx.AsyncClient]]
        self._clients = OrderedDict()
        self._ssrf: tuple[Any, Any] | None = None  # (config.security.ssrf, its check): built once

    def client(self, max_redirects: int, check_address: Any) -> httpx.AsyncClient:
        loop, key = asyncio.get_running_loop(), (max_redirects, check_address)
        found = self._clients.get(key)
        if found is not None and found[0] is loop and not found[1].is_closed:
            self._clients.move_to_end(key)
            return found[1]
        client = _new_client(max_redirects, check_address)
        self._clients[key] = (loop, client)
        while len(self._clients) > MAX_POOLED_CLIENTS:
            _, (owner, old) = self._clients.popitem(last=False)
            if owner is loop:
                _close_later(old)
        return client

    def ssrf_check(self, ssrf: Any) -> Any:
        """`check_from_config(ssrf)`, the same function while the config is the same: one pooled client."""
        from eggbin.web.ssrf import check_from_config

        if self._ssrf is None or self._ssrf[0] is not ssrf:
            self._ssrf = (ssrf, check_from_config(ssrf))
        return self._ssrf[1]

    async def aclose(self) -> None:
        """Close the clients made on this loop (the others' loops are gone with their connections)."""
        loop = asyncio.get_running_loop()
        clients, self._clients = list(self._clients.values()), OrderedDict()
        for owner, client in clients:
            if owner is loop:
                await client.aclose()


_closing: set[asyncio.Task[None]] = set()


def _close_later(client: httpx.AsyncClient) -> None:
    task = asyncio.get_running_loop().create_task(client.aclose())
    _closing.add(task)  # held until done: the loop keeps only a weak reference to its tasks
    task.add_done_callback(_closing.discard)


def _new_client(max_redirects: int, check_address: Any) -> httpx.AsyncClient:
    # No cookie jar: a pooled client would send one request's `Set-Cookie` with every later call.
    from http.cookiejar import CookieJar, DefaultCookiePolicy

    jar = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
    return httpx.AsyncClient(max_redirects=max_redirects, cookies=jar, **_checked(check_address))


async def curl(
    url: str, options: Mapping[str, Any] | None = None, *, clients: CurlClients | None = None, **keywords: Any
) -> CurlResult:
    """Send one request the way egg's `ctx.curl` does: on `clients` (pooled), else on a client of its own."""
    opts = curl_options(options, keywords)
    method = str(opts.get("method") or "GET").upper()
    max_redirects = opts.get("max_redirects")
    max_redirects = DEFAULT_MAX_REDIRECTS if max_redirects is None else int(max_redirects)  # 0: none
    pooled = clients.client(max_redirects, opts.get("check_address")) if clients else None
    client = pooled or _new_client(max_redirects, opts.get("check_address"))
    owned = None if pooled else client  # closed here once the response is done
    try:
        request = client.build_request(
            method,
            url,
            **_payload(method, opts),
            timeout=timeout_of(opts.get("timeout")),
            extensions={CURL_URL: url},
        )
        response = await client.send(request, stream=True, follow_redirects=bool(opts.get("follow_redirect")))
    except BaseException:
        if owned is not None:
            await owned.aclose()
        raise
    if opts.get("streaming"):
        return CurlResult(response.status_code, dict(response.headers), None, _raw_chunks(response, owned))
    try:
        await response.aread()
    finally:
        await response.aclose()
        if owned is not None:
            await owned.aclose()
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


async def _raw_chunks(response: httpx.Response, owned: httpx.AsyncClient | None) -> AsyncIterator[bytes]:
    """The streamed response body as it came (egg's `res.res`); the connection is released at its end."""
    try:
        async for chunk in response.aiter_raw():
            yield chunk
    finally:
        await response.aclose()
        if owned is not None:
            await owned.aclose()


async def safe_curl(
    app: Any, url: str, options: Mapping[str, Any] | None = None, **keywords: Any
) -> CurlResult:
    """egg-security's `safeCurl`: `curl` with the `check_address` of `config.security.ssrf`."""
    clients: CurlClients = app.curl_clients
    check = clients.ssrf_check((app.config.get("security") or {}).get("ssrf"))
    opts = curl_options(options, keywords)
    if check is None:
        app.logger.warning("[egg-security] please configure `config.security.ssrf` first")
    else:
        opts.setdefault("check_address", check)
    return await curl(url, opts, clients=clients)
