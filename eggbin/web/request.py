"""`ctx.request`: the incoming request, read lazily from the ASGI scope (nothing is parsed until asked).

Proxy mode (egg's): with `config.proxy` on, `ip`/`ips` come from `config.ip_headers` (keeping only the last
`config.max_ips_count` hops when > 0), `protocol` from `config.protocol_headers`, `host` from
`config.host_headers`; with it off, only the socket and the `Host` header are trusted.
`config.trusted_proxies` limits whom proxy mode believes (see `eggbin.web.proxy`).
"""

from __future__ import annotations

import mimetypes
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from starlette.datastructures import Headers

from eggbin.web.proxy import client_chain, is_trusted, trusted_networks

if TYPE_CHECKING:
    from starlette.types import Receive, Scope

    from eggbin.web.application import Application

WS_SCHEMES = {"ws": "http", "wss": "https"}  # a WebSocket's `ctx.protocol` is its handshake's
SHORT_TYPES = {
    "json": "application/json",
    "html": "text/html",
    "text": "text/plain",
    "form": "application/x-www-form-urlencoded",
    "multipart": "multipart/form-data",
}


def mime_of(name: str) -> str:
    """`json` → `application/json`; a full mime type is returned as it is."""
    if "/" in name:
        return name
    return SHORT_TYPES.get(name) or mimetypes.types_map.get(f".{name}", name)


class Request:
    """The request half of `ctx`; `body` and `files` are filled by the body_parser middleware."""

    # Class-level until set: a request that never reads them pays no attribute store.
    body: Any = None
    raw_body: bytes | None = None
    _headers: Headers | None = None
    _query: list[tuple[str, str]] | None = None
    declares_body: bool | None = None  # `eggbin.web.body.has_body`'s answer, once asked

    def __init__(self, app: Application, scope: Scope, receive: Receive) -> None:
        self.app = app
        self.scope = scope
        self.receive = receive
        self.files: list[Any] = []

    @property
    def method(self) -> str:
        return str(self.scope.get("method", "GET"))  # a WebSocket handshake is a GET with no `method` key

    @property
    def path(self) -> str:
        return str(self.scope["path"])

    @property
    def querystring(self) -> str:
        return bytes(self.scope.get("query_string", b"")).decode("latin-1")

    @property
    def url(self) -> str:
        """Path and query string, as the client sent them."""
        query = self.querystring
        return f"{self.path}?{query}" if query else self.path

    @property
    def href(self) -> str:
        return f"{self.protocol}://{self.host}{self.url}"

    @property
    def headers(self) -> Headers:
        if self._headers is None:
            self._headers = Headers(scope=self.scope)
        return self._headers

    def get(self, name: str) -> str:
        """A request header, `""` when absent."""
        return self.headers.get(name, "")

    def _pairs(self) -> list[tuple[str, str]]:
        if self._query is None:  # most requests have none: `parse_qsl("")` is a few Python calls for nothing
            raw = self.scope.get("query_string")
            self._query = parse_qsl(self.querystring, keep_blank_values=True) if raw else []
        return self._query

    @property
    def query(self) -> dict[str, str]:
        """The query string; a repeated key gives its first value (egg's rule)."""
        found: dict[str, str] = {}
        for key, value in self._pairs():
            found.setdefault(key, value)
        return found

    @property
    def queries(self) -> dict[str, list[str]]:
        """The query string with every value of every key."""
        found: dict[str, list[str]] = {}
        for key, value in self._pairs():
            found.setdefault(key, []).append(value)
        return found

    # proxy-aware identity
    def _believes_proxy(self) -> bool:
        """Proxy mode is on and this request's peer may speak for the client."""
        config = self.app.config
        if not config.get("proxy"):
            return False
        networks = trusted_networks(config)
        if networks is None:
            return True
        client = self.scope.get("client")
        return is_trusted(str(client[0]) if client else None, networks)

    def _proxy_header(self, setting: str) -> str:
        for name in str(self.app.config.get(setting) or "").split(","):
            value = self.headers.get(name.strip()) if name.strip() else None
            if value:
                return value
        return ""

    @property
    def ips(self) -> list[str]:
        """The client and proxies from `config.ip_headers`, only in proxy mode."""
        if not self._believes_proxy():
            return []
        ips = [ip.strip() for ip in self._proxy_header("ip_headers").split(",") if ip.strip()]
        networks = trusted_networks(self.app.config)
        if networks is not None:
            ips = client_chain(ips, networks)
        limit = int(self.app.config.get("max_ips_count") or 0)
        return ips[-limit:] if limit > 0 else ips

    @property
    def ip(self) -> str:
        ips = self.ips
        if ips:
            return ips[0]
        client = self.scope.get("client")
        return str(client[0]) if client else ""

    @property
    def protocol(self) -> str:
        if self._believes_proxy():
            forwarded = self._proxy_header("protocol_headers").split(",")[0].strip()
            if forwarded:
                return forwarded.lower()
        scheme = str(self.scope.get("scheme", "http"))
        return WS_SCHEMES.get(scheme, scheme)

    @property
    def secure(self) -> bool:
        return self.protocol == "https"

    @property
    def host(self) -> str:
        """`host[:port]`: `config.host_headers` in proxy mode, else the `Host` header."""
        if self._believes_proxy():
            forwarded = self._proxy_header("host_headers").split(",")[0].strip()
            if forwarded:
                return forwarded
        return self.headers.get("host", "")

    @property
    def hostname(self) -> str:
        host = self.host
        if host.startswith("["):  # IPv6 literal: `[::1]:7001`
            return host[1 : host.find("]")]
        return host.rsplit(":", 1)[0] if ":" in host else host

    # content negotiation
    def accepts(self, *types: str) -> str | None:
        """The best of `types` for the `Accept` header (`"json"`, `"text/html"`…), `None` if none fits."""
        if not types:
            return None
        accept = self.headers.get("accept")
        if not accept:
            return types[0]
        ranges = parse_accept(accept)
        best, best_rank = None, (0.0, -1, 0)
        for candidate in types:
            rank = _rank(mime_of(candidate), ranges)
            if rank[0] > 0 and rank > best_rank:
                best, best_rank = candidate, rank
        return best

    @property
    def is_ajax(self) -> bool:
        return self.headers.get("x-requested-with") == "XMLHttpRequest"

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    @property
    def charset(self) -> str:
        """The `charset` parameter of `Content-Type`, `""` when it has none."""
        for param in self.headers.get("content-type", "").split(";")[1:]:
            key, _, value = param.strip().partition("=")
            if key.lower() == "charset":
                return value.strip().strip('"')
        return ""


def parse_accept(accept: str) -> list[tuple[str, float, int]]:
    """`Accept`-style header → `(value lower-cased, quality, position)` for each range."""
    ranges = []
    for index, part in enumerate(accept.split(",")):
        mime, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if mime:
            ranges.append((mime.strip().lower(), quality, index))
    return ranges


def _rank(mime: str, ranges: list[tuple[str, float, int]]) -> tuple[float, int, int]:
    """(quality, specificity, -position) of the best `Accept` range covering `mime`."""
    kind = mime.split("/", 1)[0]
    best = (0.0, -1, 0)
    for pattern, quality, index in ranges:
        if pattern == mime:
            specificity = 2
        elif pattern == f"{kind}/*":
            specificity = 1
        elif pattern == "*/*":
            specificity = 0
        else:
            continue
        rank = (quality, specificity, -index)
        if rank[1] > best[1] or (rank[1] == best[1] and rank > best):
            best = rank
    return best
