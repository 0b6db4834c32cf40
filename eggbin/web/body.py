"""Reading request bodies for the bodyparser: size limits (413), JSON (400 if malformed), forms."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from eggbin.web.http_error import HttpError

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
    """A declared length or chunked encoding (raw scope headers: most requests have neither)."""
    for name, value in request.scope["headers"]:
        if name == b"transfer-encoding" or (name == b"content-length" and value != b"0"):
            return True
    return False


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


def parse_json(data: bytes, strict: bool = True) -> Any:
    if not data.strip():
        return {}
    try:
        value = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise HttpError(400, f"invalid JSON body: {exc}") from exc
    if strict and not isinstance(value, dict | list):
        raise HttpError(400, "invalid JSON, only supports object and array")
    return value


def parse_form(data: bytes) -> dict[str, Any]:
    """`a=1&b=2&b=3` → `{"a": "1", "b": ["2", "3"]}`."""
    try:
        pairs = parse_qsl(data.decode(), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError as exc:
        raise HttpError(400, f"invalid form body: {exc}") from exc
    return group(pairs)


def group(pairs: Any) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            previous = found[key]
            found[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            found[key] = value
    return found
