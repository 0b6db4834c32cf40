"""The scrape endpoint: bare ASGI (no context, middleware, router or log line), for allowed peers only."""

from __future__ import annotations

from typing import TYPE_CHECKING

from eggbin.web.builtin.plugins.metrics.store import Metrics
from eggbin.web.proxy import Network, is_trusted

if TYPE_CHECKING:
    from starlette.types import Receive, Scope, Send

METHODS = ("GET", "HEAD")
# a request relayed by a proxy: its peer is the proxy, whose address says nothing of the client
FORWARDED = frozenset({b"forwarded", b"x-forwarded-for", b"x-real-ip"})


class Scrape:
    def __init__(self, metrics: Metrics, allow: tuple[Network, ...]) -> None:
        self.metrics, self.allow = metrics, allow

    def allowed(self, scope: Scope) -> bool:
        client = scope.get("client")
        if not is_trusted(client[0] if client else None, self.allow):  # no client: a unix socket peer
            return False
        return not any(name in FORWARDED for name, _ in scope.get("headers", ()))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope.get("method", "GET")
        if method not in METHODS:
            await respond(send, 405, b"method not allowed\n", [(b"allow", b"GET, HEAD")])
        elif not self.allowed(scope):
            await respond(send, 403, b"forbidden: see config.metrics.allow\n")
        else:
            body, content_type = self.metrics.exposition()
            await respond(send, 200, b"" if method == "HEAD" else body, [], content_type, len(body))


async def respond(
    send: Send,
    status: int,
    body: bytes,
    extra: list[tuple[bytes, bytes]] | None = None,
    content_type: str = "text/plain; charset=utf-8",
    length: int | None = None,
) -> None:
    headers = [
        (b"content-type", content_type.encode()),
        (b"content-length", str(len(body) if length is None else length).encode()),
        (b"cache-control", b"no-store"),
        *(extra or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
