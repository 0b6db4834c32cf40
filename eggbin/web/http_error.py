"""`HttpError`: what `ctx.throw` raises and the onerror middleware turns into a response."""

from __future__ import annotations

from typing import Any


class HttpError(Exception):
    """An error with an HTTP status; `expose` (status < 500) means its message may reach the client."""

    def __init__(self, status: int, message: str = "", *, body: Any = None, **props: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.body = body
        self.props = props
        self.expose = status < 500
