"""`ctx`: Koa's context over starlette's Request; the response is built from `status`, `headers`, `body`.

Body rules (egg's): `str` → text/html, `dict`/`list` → JSON, `bytes` → octet-stream, async iterator →
streamed; `None` with status unset → 204; status is 404 until a body is set.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterable
from typing import TYPE_CHECKING, Any

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

if TYPE_CHECKING:
    from starlette.types import Receive, Scope

    from eggbin.web.application import Application


class HttpError(Exception):
    """`ctx.throw(status, message, **props)`: an error that becomes a response with that status."""

    def __init__(self, status: int, message: str = "", **props: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.props = props
        self.expose = status < 500


class Context:
    """One request and its response."""

    def __init__(self, app: Application, scope: Scope, receive: Receive) -> None:
        self.app = app
        self.request = Request(scope, receive)
        self.params: dict[str, Any] = {}
        self.state: dict[str, Any] = {}
        self.starttime = time.time()
        self.response_headers = MutableHeaders()
        self._status: int | None = None
        self._body: Any = None
        self._body_set = False
        self._service: Any = None

    # request
    @property
    def method(self) -> str:
        return self.request.method

    @property
    def path(self) -> str:
        return self.request.url.path

    @property
    def url(self) -> str:
        query = self.request.url.query
        return f"{self.path}?{query}" if query else self.path

    @property
    def query(self) -> dict[str, str]:
        return dict(self.request.query_params)

    @property
    def queries(self) -> dict[str, list[str]]:
        params = self.request.query_params
        return {key: params.getlist(key) for key in params}

    @property
    def headers(self) -> Any:
        return self.request.headers

    def get(self, name: str) -> str:
        return self.request.headers.get(name, "")

    # response
    def set(self, name: str, value: str) -> None:
        self.response_headers[name] = value

    @property
    def status(self) -> int:
        if self._status is not None:
            return self._status
        return 404 if not self._body_set else (204 if self._body is None else 200)

    @status.setter
    def status(self, value: int) -> None:
        self._status = value

    @property
    def body(self) -> Any:
        return self._body

    @body.setter
    def body(self, value: Any) -> None:
        self._body = value
        self._body_set = True

    @property
    def type(self) -> str:
        return self.response_headers.get("content-type", "")

    @type.setter
    def type(self, value: str) -> None:
        self.response_headers["content-type"] = value

    # helpers
    @property
    def service(self) -> Any:
        if self._service is None:
            from eggbin.web.service import ServiceTree

            self._service = ServiceTree(self, self.app.service_classes)
        return self._service

    @property
    def logger(self) -> Any:
        return self.app.logger

    def throw(self, status: int, message: str = "", **props: Any) -> None:
        raise HttpError(status, message, **props)

    def build_response(self) -> Response:
        """The response `status`, `headers` and `body` describe."""
        body, status, headers = self._body, self.status, self.response_headers
        media_type = headers.get("content-type")
        if isinstance(body, AsyncIterable):
            response: Response = StreamingResponse(body, status, media_type=media_type)
        else:
            content, default_type = _encode(body)
            response = Response(content, status, media_type=media_type or default_type)
        for key, value in headers.items():
            if key != "content-type":
                response.headers.append(key, value)
        return response


def _encode(body: Any) -> tuple[bytes | None, str | None]:
    if body is None:
        return None, None
    if isinstance(body, str):
        return body.encode(), "text/html; charset=utf-8"
    if isinstance(body, bytes | bytearray | memoryview):
        return bytes(body), "application/octet-stream"
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode(), "application/json"
