"""onerror: any exception becomes a response: JSON for JSON requests, HTML otherwise.

egg-onerror's rules: the JSON body is `{code, message, errors}` (keys left out when the error has no such
field, plus any `ctx.throw` props). In the development envs (`local`, `unittest`) a 5xx also shows its own
message, `name` and `stack`; in any other env it says only its status phrase, while a 4xx always shows
its message. `config.onerror.all(err, ctx)` replaces all of this, `json` / `html` replace one kind.
Errors of 5xx are logged with their trace; every error is emitted as the app's `error` event.
"""

from __future__ import annotations

import inspect
import traceback
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from eggbin.web.http_error import HttpError
from eggbin.web.http_error import status_phrase as phrase
from eggbin.web.middleware import Middleware, Next, runs_when

if TYPE_CHECKING:
    from eggbin.web.application import Application
    from eggbin.web.config import Config
    from eggbin.web.context import Context

DEVELOPMENT_ENVS = ("local", "unittest")  # egg-onerror's `isProd` is false for these


def onerror(options: Config, app: Application) -> Middleware:
    @runs_when(None)  # always runs, leaves the request be
    async def handle(ctx: Context, next_: Next) -> None:
        try:
            await next_()
            ctx.response.prepare()  # a body that cannot be encoded fails here, answered and logged
        except Exception as exc:
            await respond(ctx, exc, options)

    return handle


def status_of(exc: Exception) -> int:
    status = exc.status if isinstance(exc, HttpError) else getattr(exc, "status", 500)
    return status if isinstance(status, int) and 400 <= status <= 599 else 500


async def respond(ctx: Context, exc: Exception, options: Mapping[str, Any]) -> None:
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
    development = ctx.app.env in DEVELOPMENT_ENVS
    message = message_of(exc, status, development)
    show_stack = development and status >= 500
    if kind == "json":
        ctx.body = json_body(exc, message, show_stack)
    else:
        ctx.body = html_body(status, message, exc if show_stack else None)
    ctx.status = status


def report(ctx: Context, exc: Exception, status: int) -> None:
    if status >= 500:
        ctx.logger.exception("%s: %s", type(exc).__name__, exc)
    else:
        ctx.logger.debug("%s %s answered %s: %s", ctx.method, ctx.url, status, exc)
    emit = getattr(ctx.app, "emit", None)
    if callable(emit):
        emit("error", exc, ctx)


def message_of(exc: Exception, status: int, development: bool) -> str:
    """The error's own message for a 4xx, or in a development env; else the status phrase."""
    if status >= 500 and not development:
        return phrase(status)
    message = exc.message if isinstance(exc, HttpError) else str(exc)
    return message or phrase(status)


def json_body(exc: Exception, message: str, show_stack: bool) -> Any:
    if isinstance(exc, HttpError) and exc.body is not None:
        return exc.body
    body: dict[str, Any] = {}
    code = getattr(exc, "code", None)  # egg's `err.code`; a method or other object is not one
    if isinstance(code, str | int) and not isinstance(code, bool):
        body["code"] = code
    body["message"] = message
    errors = getattr(exc, "errors", None)
    if isinstance(errors, list):
        body["errors"] = errors
    if isinstance(exc, HttpError):
        body.update(exc.props)
    if show_stack:
        body["name"] = type(exc).__name__
        body["stack"] = "".join(traceback.format_exception(exc))
    return body


def html_body(status: int, message: str, exc: Exception | None) -> str:
    from html import escape  # at the first error page: `html` brings its entity table (~2 ms at start)

    page = f"<h1>{status} {escape(phrase(status))}</h1>\n<p>{escape(message)}</p>"
    if exc is not None:
        page += f"\n<pre>{escape(''.join(traceback.format_exception(exc)))}</pre>"
    return page
