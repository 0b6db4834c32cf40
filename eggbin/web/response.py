"""`ctx.response`: status, headers and body, written to ASGI `send` without building a starlette Response.

Body rules (Koa's, set when the body is): `str` → text/html if it starts with `<`, else text/plain;
`dict`/`list` (and datetimes, UUIDs, pydantic models, dataclasses, Structs) → JSON; `bytes` → octet-stream;
async iterator or file object → streamed; a starlette `Response` (static files) → sent as it is with our
headers added. A type set before is kept (JSON excepted, as Koa does); `None` with status unset → 204;
status is 404 until a body is set. `prepare()` encodes a JSON body early, so a value that cannot be
encoded fails inside the middleware chain (onerror answers it and logs it) rather than after it.

Header values are checked when set (Node's rule: tab, visible ASCII and latin-1 text only): a CR, LF or
NUL would split the response, and uvicorn would then drop the connection without answering, so the
offending `ctx.set` raises instead and onerror answers 500.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import uuid
from collections.abc import AsyncIterable, Iterable
from json.encoder import encode_basestring
from typing import IO, TYPE_CHECKING, Any

from msgspec import Struct
from msgspec.structs import asdict
from starlette.responses import Response as StarletteResponse

from eggbin.web.header_lines import PAIRS, prove
from eggbin.web.request import mime_of

if TYPE_CHECKING:
    from starlette.types import Receive, Scope, Send

EMPTY_STATUSES = frozenset({204, 205, 304})
CHUNK = 64 * 1024
WHOLE_TYPES = frozenset({str, bytes, dict, list})
HTML = "text/html; charset=utf-8"
TEXT = "text/plain; charset=utf-8"
JSON_TYPE = "application/json"
BINARY = "application/octet-stream"
# RFC 9110 `token` for names; Node's `checkInvalidHeaderChar` for values.
INVALID_NAME = re.compile(r"[^!#$%&'*+\-.^_`|~0-9A-Za-z]")
INVALID_VALUE = re.compile(r"[^\t\x20-\x7e\x80-\xff]")


def remember_header(name: str, value: str) -> None:
    """A header that many responses carry unchanged, checked once now (at boot, not per request): its pair
    is encoded once, and the workers' protocol writes its line unchecked (`eggbin.web.header_lines`)."""
    check_header(name, value)
    prove(name, value)


def check_header(name: str, value: str) -> None:
    """Raise `ValueError` for a header that would corrupt the response (CR, LF, NUL, a bad name...)."""
    if not isinstance(name, str) or not name or INVALID_NAME.search(name):
        raise ValueError(f"invalid response header name {name!r}: use letters, digits and !#$%&'*+-.^_`|~")
    if not isinstance(value, str):
        raise TypeError(f"response header `{name}` must be a str, got {type(value).__name__}")
    if value.isascii() and value.isprintable():
        return  # the common case, decided in C
    if INVALID_VALUE.search(value):
        raise ValueError(
            f"invalid character in response header `{name}`: {value!r} "
            "(control characters such as CR, LF and NUL, and characters beyond latin-1, are refused)"
        )


class HeaderDict(dict[str, str]):
    """The response's headers: every value written through it is checked by `check_header`."""

    __slots__ = ()
    put = dict.__setitem__  # for values eggbin made itself (lengths, mime types): no check needed

    def __setitem__(self, name: str, value: str) -> None:
        check_header(name, value)
        dict.__setitem__(self, name, value)

    def update(self, *args: object, **kwargs: str) -> None:
        for name, value in dict(*args, **kwargs).items():
            self[name] = value

    def setdefault(self, name: str, value: str) -> str:
        if name not in self:
            self[name] = value
        return self[name]

    # Headers that were checked already (once, at boot), added at C speed for every request.
    update_checked = dict.update


class Response:
    """The response half of `ctx`; headers are a plain dict of lower-case names (plus repeated cookies)."""

    def __init__(self) -> None:
        self.headers = HeaderDict()
        self.cookies: list[str] = []
        self._status: int | None = None
        self._body: Any = None
        self._body_set = False
        self._encoded: tuple[Any, bytes] | None = None  # (body, its JSON) once `prepare()` ran

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
        headers = self.headers
        headers.pop("content-length", None)
        kind = type(value)
        if kind is str:
            if "content-type" not in headers:
                headers.put("content-type", HTML if value.lstrip()[:1] == "<" else TEXT)
        elif kind is dict or kind is list:
            headers.put("content-type", JSON_TYPE)  # Koa: an object body is always JSON
        elif value is None:
            headers.pop("content-type", None)
        elif isinstance(value, bytes | bytearray | memoryview | AsyncIterable) or hasattr(value, "read"):
            if "content-type" not in headers:
                headers.put("content-type", BINARY)
        elif not isinstance(value, StarletteResponse):
            headers.put("content-type", JSON_TYPE)

    def prepare(self) -> None:
        """Encode a JSON body now: a value that cannot be encoded raises here, in the middleware chain."""
        body = self._body
        kind = type(body)
        if body is None or kind is str or kind is bytes or self._encoded is not None:
            return
        if isinstance(body, bytes | bytearray | memoryview):
            return
        if kind is dict or kind is list or not _sent_as_is(body):
            self._encoded = (body, to_json(body))

    @property
    def type(self) -> str:
        return self.headers.get("content-type", "")

    @type.setter
    def type(self, value: str) -> None:
        header = _SHORT_TYPE_HEADERS.get(value)  # `ctx.type = "text"` / `"json"`: the usual case
        if header is None:
            header = content_type_header(value)
        self.headers.put("content-type", header)

    @property
    def length(self) -> int | None:
        if "content-length" in self.headers:
            return int(self.headers["content-length"])
        content, _ = encode(self._body)
        return None if content is None else len(content)

    @length.setter
    def length(self, value: int) -> None:
        self.headers.put("content-length", str(int(value)))

    def set(self, name: str, value: str) -> None:
        """Set a header; a value that would split the response raises `ValueError` (see `check_header`)."""
        self.headers[str(name).lower()] = str(value)

    def get(self, name: str) -> str:
        return self.headers.get(name.lower(), "")

    def remove(self, name: str) -> None:
        self.headers.pop(name.lower(), None)

    def raw_headers(self, skip_type: bool = False) -> list[tuple[bytes, bytes]]:
        items = self.headers.items()
        # In C for the proven headers (most of a small response's), encoded for the others.
        raw = list(map(PAIRS.__getitem__, items if not skip_type else _without_type(items)))
        if self.cookies:
            raw.extend((b"set-cookie", cookie.encode("latin-1")) for cookie in self.cookies)
        return raw

    async def send(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Write the response to ASGI `send`."""
        body, status = self._body, self.status
        if body is None or type(body) in WHOLE_TYPES:  # the common case first: no ABC checks
            pass
        elif isinstance(body, StarletteResponse):
            return await self._send_starlette(body, scope, receive, send)
        elif isinstance(body, AsyncIterable):
            return await self._send_stream(status, _aiter_bytes(body), send)
        elif hasattr(body, "read") and not isinstance(body, bytes | str):
            return await self._send_stream(status, _file_chunks(body), send)
        content = self._whole(status, body)  # a whole body, written here: one coroutine less
        await send({"type": "http.response.start", "status": status, "headers": self.raw_headers()})
        await send({"type": "http.response.body", "body": content})

    def _whole(self, status: int, body: object) -> bytes:
        """The bytes of a whole body, its `content-type` and `content-length` set (none if it has none)."""
        encoded = self._encoded
        content: bytes | None
        default_type: str | None
        if type(body) is str:  # its type was set with it (the body setter) unless removed since
            content, default_type = body.encode(), HTML if body.lstrip()[:1] == "<" else TEXT
        elif encoded and encoded[0] is body:
            content, default_type = encoded[1], JSON_TYPE
        else:
            content, default_type = encode(body)
        if status in EMPTY_STATUSES:
            for key in ("content-type", "content-length"):
                self.headers.pop(key, None)
            content = b""
        elif content is None:  # e.g. `ctx.status = 200` and no body: say so, or h11 falls back to chunked
            self.headers.pop("content-type", None)
            self.headers.put("content-length", "0")
            content = b""
        else:
            headers = self.headers
            if default_type and "content-type" not in headers:
                headers.put("content-type", default_type)
            if "content-length" not in headers:
                headers.put("content-length", str(len(content)))
        return content

    async def _send_stream(self, status: int, chunks: AsyncIterable[bytes], send: Send) -> None:
        if "content-type" not in self.headers:
            self.headers.put("content-type", "application/octet-stream")
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


def _without_type(items: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    return [item for item in items if item[0] != "content-type"]


def content_type_header(value: str) -> str:
    """The `content-type` for `ctx.type = value`: a short name's mime type, `text/*` with its charset."""
    mime = mime_of(value)
    if mime == value:  # the caller's own text (a short name maps to a known type): check it
        check_header("content-type", value)
    if mime.startswith("text/") and "charset" not in mime:
        mime += "; charset=utf-8"
    return mime


_SHORT_TYPE_HEADERS = {name: content_type_header(name) for name in ("text", "html", "json", "form")}
for _type in {HTML, TEXT, JSON_TYPE, BINARY, *_SHORT_TYPE_HEADERS.values()}:
    remember_header("content-type", _type)


def encode(body: object) -> tuple[bytes | None, str | None]:
    """The bytes of a whole body and the content type it implies."""
    if body is None:
        return None, None
    if isinstance(body, str):
        return body.encode(), HTML if body.lstrip()[:1] == "<" else TEXT
    if isinstance(body, bytes | bytearray | memoryview):
        return bytes(body), BINARY
    return to_json(body), JSON_TYPE


def to_json(value: object) -> bytes:
    """JSON as egg's `JSON.stringify` gives it: dates as ISO strings; a value it cannot encode raises."""
    if _make_encoder is None:  # a Python built without the `_json` accelerator
        return _ENCODER.encode(value).encode()
    # What `json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_json_value)` does, without
    # building a `JSONEncoder` and its C encoder from the keywords on every response: the same bytes.
    # A fresh `markers` dict each call: it is the circular-reference check's state.
    chunks = _make_encoder({}, _json_value, encode_basestring, None, ":", ",", False, False, True)(value, 0)
    return "".join(chunks).encode()


def _json_value(value: object) -> Any:
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, Struct):  # eggbin's own records (`ctx.request.files` entries): their fields
        return asdict(value)
    dump = getattr(value, "model_dump", None)  # a pydantic model
    if callable(dump):
        return dump(mode="json")
    raise TypeError(f"a response body holds a `{type(value).__name__}`, which cannot be sent as JSON")


# The C encoder `json.dumps` itself uses (None without the `_json` accelerator; not in typeshed).
_make_encoder: Any = getattr(json.encoder, "c_make_encoder", None)
# `json.dumps`'s settings above (compact, non-ASCII kept, circular check, NaN allowed), built once.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_json_value)


def _sent_as_is(body: object) -> bool:
    return isinstance(body, StarletteResponse | AsyncIterable) or hasattr(body, "read")


async def _aiter_bytes(body: AsyncIterable[Any]) -> AsyncIterable[bytes]:
    async for chunk in body:
        yield chunk.encode() if isinstance(chunk, str) else bytes(chunk)


async def _file_chunks(file: IO[Any]) -> AsyncIterable[bytes]:
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


def content_disposition(filename: str | None) -> str:
    """`attachment; filename="..."` (and `filename*=UTF-8''...` beyond Latin-1), as Koa writes it."""
    if not filename:
        return "attachment"
    from urllib.parse import quote

    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    fallback = name.encode("latin-1", "replace").decode("latin-1").replace("\\", "\\\\").replace('"', '\\"')
    header = f'attachment; filename="{fallback}"'
    if fallback != name:
        header += f"; filename*=UTF-8''{quote(name, safe='!#$&+-.^_`|~')}"
    return header
