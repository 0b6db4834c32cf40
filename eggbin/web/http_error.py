"""`HttpError`: what `ctx.throw` raises and the onerror middleware turns into a response.

`InvalidParamError` is egg-validate's 422: `code = "invalid_param"`, `message = "Validation Failed"` and
`errors = [{"message", "field", "code"}, ...]`, which onerror's JSON answers as `{code, message, errors}`.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any


class HttpError(Exception):
    """An error with an HTTP status; `expose` (status < 500) means its message may reach the client.

    `code` and `errors` are egg's error fields (onerror puts them in the JSON body when set); any other
    keyword becomes an attribute and a key of the JSON body too, as egg's `ctx.throw(status, msg, props)`.
    """

    def __init__(
        self,
        status: int,
        message: str = "",
        *,
        code: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        body: object = None,
        **props: object,
    ) -> None:
        message = message or status_phrase(status)
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.errors = errors
        self.body = body
        self.props = props
        self.expose = status < 500
        for key, value in props.items():
            if not hasattr(self, key):
                setattr(self, key, value)


class InvalidParamError(HttpError):
    """egg-validate's error: 422, `invalid_param`, `Validation Failed`, one entry per failed field."""

    def __init__(self, errors: list[dict[str, Any]], message: str = "Validation Failed") -> None:
        super().__init__(422, message, code="invalid_param", errors=errors)


def status_phrase(status: int) -> str:
    """The reason phrase of `status`; a status Python does not name (442) still gets one."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Server Error" if status >= 500 else "Client Error"


def http_error(*args: Any, **props: Any) -> Exception:
    """Koa's `ctx.throw` arguments (`http-errors`), in any order, as the exception to raise."""
    status, message, error = 500, "", None
    for arg in args:
        if isinstance(arg, bool):
            raise TypeError(f"ctx.throw got {arg!r}: pass a status, a message, props or an exception")
        if isinstance(arg, int):
            status = arg
        elif isinstance(arg, str):
            message = arg
        elif isinstance(arg, Mapping):
            props = {**arg, **props}
        elif isinstance(arg, Exception):
            error = arg
        else:
            raise TypeError(f"ctx.throw got {arg!r}: pass a status, a message, props or an exception")
    if not 400 <= status <= 599:
        status = 500  # http-errors' rule for anything that is not an error status
    if error is None:
        return HttpError(status, message, **props)
    explicit = any(isinstance(arg, int) and not isinstance(arg, bool) for arg in args)
    if explicit or not isinstance(getattr(error, "status", None), int):
        error.status = status  # type: ignore[attr-defined]
    error.expose = error.status < 500  # type: ignore[attr-defined]
    for key, value in props.items():
        setattr(error, key, value)
    return error
