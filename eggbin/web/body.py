"""Reading request bodies for the body parser: size limits (413), JSON / text (400 if malformed), forms,
and which content types count as which kind (egg's `enable_types` / `extend_types`; multipart bodies are the
multipart plugin's)."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from msgspec import Struct

from eggbin.web.http_error import HttpError
from eggbin.web.request import mime_of

if TYPE_CHECKING:
    from eggbin.web.request import Request

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$", re.IGNORECASE)
_UNITS = {"b": 1, "kb": 1024, "mb": 1024**2, "gb": 1024**3}


def parse_size(value: int | str) -> int:
    """`"1mb"` → 1048576; an int is a byte count."""
    if isinstance(value, int):
        return value
    found = _SIZE.match(value)
    if found is None:
        raise ValueError(f"`{value}` is not a size: use bytes or a string such as `100kb` or `1mb`")
    return int(float(found.group(1)) * _UNITS[(found.group(2) or "b").lower()])


def has_body(request: Request) -> bool:
    """A declared length or chunked encoding (raw scope headers: most requests have neither); the
    headers are scanned once per request, however many middleware ask."""
    found = request.declares_body
    if found is None:
        found = False
        for name, value in request.scope["headers"]:
            if name == b"transfer-encoding" or (name == b"content-length" and value != b"0"):
                found = True
                break
        request.declares_body = found
    return found


async def read_limited(request: Request, limit: int) -> bytes:
    """The whole body, or a 413 as soon as it (or its declared length) exceeds `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise HttpError(413, "request entity too large", limit=limit)
    chunks, size = [], 0
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            raise HttpError(400, "client disconnected before sending the whole body")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise HttpError(413, "request entity too large", limit=limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    request.raw_body = b"".join(chunks)
    return request.raw_body


# koa-bodyparser's types for each kind; any `+json` type is JSON too
DEFAULT_TYPES = {
    "json": (
        "application/json",
        "application/json-patch+json",
        "application/vnd.api+json",
        "application/csp-report",
        "application/scim+json",
    ),
    "form": ("application/x-www-form-urlencoded",),
    "text": ("text/plain",),
    "xml": ("text/xml", "application/xml"),
}
DEFAULT_ENABLED = ("json", "form")
KINDS = ("json", "form", "text", "xml")


class BodyTypes(Struct, frozen=True):
    """Content type → the kind of body parser for it (`json`, `form`, `text`, `multipart`), built once."""

    kinds: dict[str, str]
    plus_json: bool

    @classmethod
    def from_options(cls, enable_types: Any, extend_types: Any) -> BodyTypes:
        enabled = _names(enable_types if enable_types is not None else DEFAULT_ENABLED, "enable_types")
        unknown = [kind for kind in enabled if kind not in KINDS]
        if unknown:
            raise ValueError(f"body_parser.enable_types has {unknown}: use {list(KINDS)}")
        kinds: dict[str, str] = {"multipart/form-data": "multipart"}
        extra = extend_types or {}
        for kind in enabled:
            parsed_as = "text" if kind == "xml" else kind
            for mime in (*DEFAULT_TYPES[kind], *_names(extra.get(kind) or (), f"extend_types.{kind}")):
                kinds[mime_of(mime).lower()] = parsed_as
        return cls(kinds, "json" in enabled)

    def kind_of(self, content_type: str) -> str | None:
        kind = self.kinds.get(content_type)
        if kind is None and self.plus_json and content_type.endswith("+json"):
            return "json"
        return kind


def _names(value: Any, key: str) -> list[str]:
    names = [value] if isinstance(value, str) else list(value)
    if not all(isinstance(name, str) for name in names):
        raise ValueError(f"body_parser.{key} must be a type or a list of types, got {value!r}")
    return names


def parse_json(data: bytes, strict: bool = True, encoding: str = "utf-8") -> Any:
    if not data.strip():
        return {}
    try:
        value = json.loads(data.decode(encoding))
    except (ValueError, UnicodeDecodeError, LookupError) as exc:
        raise HttpError(400, f"invalid JSON body: {exc}") from exc
    except RecursionError:
        raise HttpError(400, "invalid JSON body: nested too deeply") from None
    if strict and not isinstance(value, dict | list):
        raise HttpError(400, "invalid JSON, only supports object and array")
    return value


def parse_form(data: bytes, encoding: str = "utf-8") -> dict[str, Any]:
    """`a=1&b=2&b=3` → `{"a": "1", "b": ["2", "3"]}`."""
    try:
        pairs = parse_qsl(data.decode(encoding), keep_blank_values=True, strict_parsing=False)
    except (UnicodeDecodeError, LookupError) as exc:
        raise HttpError(400, f"invalid form body: {exc}") from exc
    return group(pairs)


def parse_text(data: bytes, encoding: str) -> str:
    """A text body as a string, decoded with its charset (400 when it is not in it)."""
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise HttpError(400, f"invalid text body: {exc}") from exc


def group(pairs: Any) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            previous = found[key]
            found[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            found[key] = value
    return found
