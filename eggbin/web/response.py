"""`ctx.response`: status, headers and body, written to ASGI `send` without building a starlette Response.

Body rules (egg's): `str` → text/html, `dict`/`list` (or a pydantic model) → JSON, `bytes` → octet-stream,
async iterator or file object → streamed, a starlette `Response` (static files) → sent as it is with our
headers added; `None` with status unset → 204; status is 404 until a body is set.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterable
from typing import TYPE_CHECKING, Any

from starlette.responses import Response as StarletteResponse

from eggbin.web.request import mime_of

if TYPE_CHECKING:
    from starlette.types import Receive, Scope, Send

EMPTY_STATUSES = frozenset({204, 205, 304})
CHUNK = 64 * 1024
WHOLE_TYPES = frozenset({str, bytes, dict, list})


class Response:
    """The response half of `ctx`; headers are a plain dict of lower-case names (plus repeated cookies)."""

    def __init__(self) -> None:
        self.headers: dict[str, str] = {}
        self.cookies: list[str] = []
        self._status: int | None = None
        self._body: Any = None
        self._body_set = False

    @property
    def status(self) -> int:
        if self._status is not None:
            return self._status
        if not self._body_set:
            return 404
        return 204 if self._body is None else 200

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
        return self.headers.get("content-type", "")

    @type.setter
    def type(self, value: str) -> None:
        mime = mime_of(value)
        if mime.startswith("text/") and "charset" not in mime:
            mime += "; charset=utf-8"
        self.headers["content-type"] = mime

    @property
    def length(self) -> int | None:
        if "content-length" in self.headers:
            return int(self.headers["content-length"])
        content, _ = encode(self._body)
        return None if content is None else len(content)

    @length.setter
    def length(self, value: int) -> None:
        self.headers["content-length"] = str(value)

    def set(self, name: str, value: str) -> None:
        self.headers[name.lower()] = str(value)

    def get(self, name: str) -> str:
        return self.headers.get(name.lower(), "")

    def remove(self, name: str) -> None:
        self.headers.pop(name.lower(), None)

    def raw_headers(self, skip_type: bool = False) -> list[tuple[bytes, bytes]]:
        raw = [
            (key.encode("latin-1"), value.encode("latin-1"))
            for key, value in self.headers.items()
            if not (skip_type and key == "content-type")
        ]
        raw.extend((b"set-cookie", cookie.encode("latin-1")) for cookie in self.cookies)
        return raw

    async def send(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Write the response to ASGI `send`."""
        body, status = self._body, self.status
        if body is None or type(body) in WHOLE_TYPES:  # the common case first: no ABC checks
            await self._send_whole(status, body, send)
        elif isinstance(body, StarletteResponse):
            await self._send_starlette(body, scope, receive, send)
        elif isinstance(body, AsyncIterable):
            await self._send_stream(status, _aiter_bytes(body), send)
        elif hasattr(body, "read") and not isinstance(body, bytes | str):
            await self._send_stream(status, _file_chunks(body), send)
        else:
            await self._send_whole(status, body, send)

    async def _send_whole(self, status: int, body: Any, send: Send) -> None:
        content, default_type = encode(body)
        if status in EMPTY_STATUSES:
            for key in ("content-type", "content-length"):
                self.headers.pop(key, None)
            content = b""
        elif content is None:  # e.g. `ctx.status = 200` and no body: say so, or h11 falls back to chunked
            self.headers.pop("content-type", None)
            self.headers["content-length"] = "0"
            content = b""
        else:
            if default_type and "content-type" not in self.headers:
                self.headers["content-type"] = default_type
            self.headers.setdefault("content-length", str(len(content)))
        await send({"type": "http.response.start", "status": status, "headers": self.raw_headers()})
        await send({"type": "http.response.body", "body": content})

    async def _send_stream(self, status: int, chunks: AsyncIterable[bytes], send: Send) -> None:
        self.headers.setdefault("content-type", "application/octet-stream")
        await send({"type": "http.response.start", "status": status, "headers": self.raw_headers()})
        async for chunk in chunks:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    async def _send_starlette(
        self, response: StarletteResponse, scope: Scope, receive: Receive, send: Send
    ) -> None:
        if self._status is not None:
            response.status_code = self._status
        response.raw_headers.extend(self.raw_headers(skip_type=True))
        await response(scope, receive, send)


def encode(body: Any) -> tuple[bytes | None, str | None]:
    """The bytes of a whole body and the content type it implies."""
    if body is None:
        return None, None
    if isinstance(body, str):
        return body.encode(), "text/html; charset=utf-8"
    if isinstance(body, bytes | bytearray | memoryview):
        return bytes(body), "application/octet-stream"
    return json.dumps(
        body, ensure_ascii=False, separators=(",", ":"), default=_jsonable
    ).encode(), "application/json"


def _jsonable(value: Any) -> Any:
    """A pydantic model (a decorated controller may return one) as JSON data; anything else fails as usual."""
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json")
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


async def _aiter_bytes(body: AsyncIterable[Any]) -> AsyncIterable[bytes]:
    async for chunk in body:
        yield chunk.encode() if isinstance(chunk, str) else bytes(chunk)


async def _file_chunks(file: Any) -> AsyncIterable[bytes]:
    """A sync file object read in a worker thread, so the event loop never blocks on disk."""
    from anyio import to_thread

    try:
        while True:
            chunk = await to_thread.run_sync(file.read, CHUNK)
            if not chunk:
                return
            yield chunk.encode() if isinstance(chunk, str) else chunk
    finally:
        file.close()
