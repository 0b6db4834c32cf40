"""`HttpError`: what `ctx.throw` raises and the onerror middleware turns into a response.

`InvalidParamError` is egg-validate's 422: `code = "invalid_param"`, `message = "Validation Failed"` and
`errors = [{"message", "field", "code"}, ...]`, which onerror's JSON answers as `{code, message, errors}`.
"""

from __future__ import annotations

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
        body: Any = None,
        **props: Any,
    ) -> None:
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
