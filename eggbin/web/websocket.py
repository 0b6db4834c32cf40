"""WebSockets: `app.router.websocket(path, handler)`, served by every worker (uvicorn on `websockets`).

    handshake → origin check → config middleware with `websocket: True` (config order)
              → the route's own middleware → `handler(ctx)`, talking through `ctx.websocket`

`ctx.websocket` is Starlette's `WebSocket`: `accept()`, `receive_text/bytes/json()`, `send_text/bytes/json()`,
`close(code, reason)`, `iter_text()`...; a client that leaves raises `WebSocketDisconnect` out of `receive_*`.
Before the handshake is accepted an error is answered over HTTP (403 for a foreign origin, 404 for no
route, an `HttpError`'s own status, else 500) through ASGI's denial-response extension; after it, an error
closes the socket with 1011. A handler that returns without closing closes with 1000.

Cross-site WebSocket hijacking: browsers send cookies with any page's handshake and no CORS applies, so
a handshake whose `Origin` is neither this host nor in `security.domain_white_list` is refused
(`websocket.check_origin`, on by default). Clients that send no `Origin` (not browsers) pass.
"""

from __future__ import annotations

import contextlib
from http import HTTPStatus
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from starlette.responses import JSONResponse
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from eggbin.web.http_error import HttpError
from eggbin.web.redirect import is_safe_domain
from eggbin.web.router import WEBSOCKET

if TYPE_CHECKING:
    from starlette.types import Receive, Scope, Send

    from eggbin.web.application import Application
    from eggbin.web.context import Context
    from eggbin.web.middleware import Middleware, Next

INTERNAL_ERROR = 1011
NORMAL_CLOSURE = 1000
DENIAL = "websocket.http.response"

__all__ = ["WebSocket", "WebSocketDisconnect", "serve_websocket", "websocket_router"]


async def serve_websocket(app: Application, scope: Scope, receive: Receive, send: Send) -> None:
    """One WebSocket connection, from handshake to close."""
    ctx = app.context_class(app, scope, receive)
    ctx.websocket = socket = WebSocket(scope, receive, send)
    try:
        refused = foreign_origin(ctx)
        if refused:
            raise HttpError(403, refused)
        await app.websocket_pipeline(ctx)
    except WebSocketDisconnect as exc:
        ctx.logger.debug("websocket %s closed by the client (%s)", ctx.path, exc.code)
    except Exception as exc:
        await fail(ctx, socket, exc)
        return
    with contextlib.suppress(RuntimeError, OSError, WebSocketDisconnect):  # the client may be gone
        if socket.application_state is WebSocketState.CONNECTED:
            if socket.client_state is WebSocketState.CONNECTED:
                await socket.close(NORMAL_CLOSURE)
        elif socket.application_state is WebSocketState.CONNECTING:
            await deny(ctx, socket, 403, "the handler did not accept the connection")


async def fail(ctx: Context, socket: WebSocket, exc: Exception) -> None:
    """An error out of the handler or a middleware: HTTP before the handshake, close 1011 after."""
    status = exc.status if isinstance(exc, HttpError) and 400 <= exc.status <= 599 else 500
    if status >= 500:
        ctx.logger.exception("websocket %s failed: %s", ctx.path, exc)
        ctx.app.emit("error", exc, ctx)
    with contextlib.suppress(RuntimeError, OSError, WebSocketDisconnect):
        if socket.application_state is WebSocketState.CONNECTING:
            exposed = isinstance(exc, HttpError) and exc.expose and exc.message
            message = str(exc) if exposed else HTTPStatus(status).phrase
            await deny(ctx, socket, status, message)
        elif socket.application_state is WebSocketState.CONNECTED:
            await socket.close(INTERNAL_ERROR if status >= 500 else 1008)


async def deny(ctx: Context, socket: WebSocket, status: int, message: str) -> None:
    """Refuse the handshake with an HTTP response (a plain close, seen as 403, without the extension)."""
    if DENIAL in (ctx.request.scope.get("extensions") or {}):
        await socket.send_denial_response(JSONResponse({"message": message}, status))
    else:
        await socket.close(1008)


def foreign_origin(ctx: Context) -> str | None:
    """Why the handshake's `Origin` is refused, or `None` (see the module docstring)."""
    options = ctx.app.config.get("websocket") or {}
    origin = ctx.get("origin")
    if not origin or options.get("check_origin", True) is False:
        return None
    host = urlsplit(origin).netloc.lower()
    hostname = urlsplit(origin).hostname or ""
    if host == ctx.host.lower():
        return None
    security = ctx.app.config.get("security") or {}
    if is_safe_domain(hostname, list(security.get("domain_white_list") or [])):
        return None
    ctx.logger.warning("websocket %s refused: origin `%s` is not this site", ctx.path, origin)
    return f"origin `{origin}` is not allowed"


def websocket_router(app: Application) -> Middleware:
    """The innermost middleware of a WebSocket: its route (params as for HTTP), or a 404."""
    router = app.router

    async def route(ctx: Context, next_: Next) -> None:
        found = router.match(WEBSOCKET, ctx.request.scope["path"])
        if found is None:
            raise HttpError(404, "Not Found")
        matched, ctx.params = found
        await (matched.run or matched.prepare(app))(ctx)

    return route
