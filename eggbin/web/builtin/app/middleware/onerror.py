"""onerror: any exception becomes a response: JSON for JSON requests, HTML otherwise.

The stack trace reaches the client only in the `local` env; outside it a 5xx says only its status
phrase. `config.onerror.all(err, ctx)` replaces all of this, `json` / `html` replace one kind.
Errors of 5xx are logged with their trace; every error is emitted as the app's `error` event.
"""

from __future__ import annotations

import inspect
import traceback
from html import escape
from http import HTTPStatus
from typing import Any

from eggbin.web.http_error import HttpError
from eggbin.web.middleware import Middleware, Next


def onerror(options: Any, app: Any) -> Middleware:
    async def handle(ctx: Any, next_: Next) -> None:
        try:
            await next_()
        except Exception as exc:
            await respond(ctx, exc, options)

    return handle


def status_of(exc: Exception) -> int:
    status = exc.status if isinstance(exc, HttpError) else getattr(exc, "status", 500)
    return status if isinstance(status, int) and 400 <= status <= 599 else 500


async def respond(ctx: Any, exc: Exception, options: Any) -> None:
    status = status_of(exc)
    report(ctx, exc, status)
    kind = "json" if ctx.accept_json else "html"
    for key in ("content-type", "content-length"):
        ctx.response.remove(key)
    ctx.status = status
    hook = options.get("all") or options.get(kind)
    if callable(hook):
        result = hook(exc, ctx)
        if inspect.isawaitable(result):
            await result
        return
    show_stack = ctx.app.env == "local"
    message = message_of(exc, status, show_stack)
    if kind == "json":
        ctx.body = json_body(exc, message, show_stack)
    else:
        ctx.body = html_body(status, message, exc if show_stack else None)
    ctx.status = status


def report(ctx: Any, exc: Exception, status: int) -> None:
    if status >= 500:
        ctx.logger.exception("%s: %s", type(exc).__name__, exc)
    else:
        ctx.logger.debug("%s %s answered %s: %s", ctx.method, ctx.url, status, exc)
    emit = getattr(ctx.app, "emit", None)
    if callable(emit):
        emit("error", exc, ctx)


def message_of(exc: Exception, status: int, local: bool) -> str:
    phrase = HTTPStatus(status).phrase
    if isinstance(exc, HttpError) and (exc.expose or local):
        return exc.message or phrase
    return str(exc) or phrase if local else phrase


def json_body(exc: Exception, message: str, show_stack: bool) -> Any:
    if isinstance(exc, HttpError) and exc.body is not None:
        return exc.body
    body: dict[str, Any] = {"message": message}
    if isinstance(exc, HttpError):
        body.update(exc.props)
    if show_stack:
        body["stack"] = "".join(traceback.format_exception(exc))
    return body


def html_body(status: int, message: str, exc: Exception | None) -> str:
    page = f"<h1>{status} {escape(HTTPStatus(status).phrase)}</h1>\n<p>{escape(message)}</p>"
    if exc is not None:
        page += f"\n<pre>{escape(''.join(traceback.format_exception(exc)))}</pre>"
    return page
