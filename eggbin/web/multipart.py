"""Streaming `multipart/form-data` (the role busboy plays for egg-multipart), on python-multipart.

`MultipartReader.next()` pulls the request body from ASGI `receive` only as far as the caller reads:
a field comes back whole as a `FieldPart` (`name, value = part`), a file as a `FilePart` whose bytes are
read chunk by chunk (`async for chunk in part`, `await part.read()`), so a file of any size passes
through in constant memory. Moving to the next part skips what is left of the current file.

egg-multipart's limits hold (413 with its messages and codes: `Reach fileSize limit`, `Reach files
limit`, `Reach fields limit`, `Reach fieldSize limit`, `Reach fieldNameSize limit`) and so does its file
check (`check_file(field, filename)`, 400 `Invalid filename: …`). A body that is not multipart, or is
cut short or malformed, is a 400.
"""

from __future__ import annotations

import codecs
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from msgspec import Struct

from eggbin.web.body import parse_size
from eggbin.web.http_error import HttpError

if TYPE_CHECKING:
    from starlette.types import Receive

HEADER_LIMIT = 16 * 1024  # bytes of headers per part (busboy caps them too)
CheckFile = Callable[[str, str], "Exception | None"]


def limit_error(what: str, message: str | None = None) -> HttpError:
    """egg-multipart's `LimitError`: 413, `code` `Request_<what>_limit`."""
    return HttpError(413, message or f"Reach {what} limit", code=f"Request_{what}_limit")


def malformed(reason: str) -> HttpError:
    return HttpError(400, f"invalid multipart body: {reason}")


class MultipartLimits(Struct, frozen=True):
    """egg-multipart's `limits`, sizes in bytes."""

    field_name_size: int = 100
    field_size: int = 100 * 1024
    fields: int = 10
    file_size: int = 10 * 1024 * 1024
    files: int = 10

    @classmethod
    def from_options(cls, *layers: Mapping[str, Any] | None) -> MultipartLimits:
        """From `config.multipart` and per-call `limits`, later layers winning; sizes may be `"10mb"`."""
        values: dict[str, int] = {}
        for layer in layers:
            for name in cls.__struct_fields__:
                if layer and layer.get(name) is not None:
                    values[name] = parse_size(layer[name])
        return cls(**values)


class FieldPart(NamedTuple):
    """A form field: `name, value = part` (egg yields `[name, value, …]` arrays)."""

    name: str
    value: str


class FilePart:
    """One uploaded file, streamed: `async for chunk in part`, `await part.read()`."""

    def __init__(self, reader: MultipartReader, field: str, filename: str, mime: str, encoding: str) -> None:
        self._reader = reader
        self.field = self.fieldname = field
        self.filename = filename
        self.mime = self.mime_type = mime
        self.encoding = self.transfer_encoding = encoding
        self.fields: dict[str, Any] = (
            reader.fields
        )  # the fields sent before this file (egg's `stream.fields`)
        self.size = 0
        self.truncated = False
        self.done = False
        self.too_large_message: str | None = None
        self._buffer = b""

    async def chunks(self) -> AsyncIterator[bytes]:
        """The file's bytes as they arrive (413 past `file_size`)."""
        if self._buffer:
            chunk, self._buffer = self._buffer, b""
            yield chunk
        while not self.done:
            chunk = await self._reader.file_chunk(self)
            if chunk:
                yield chunk

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self.chunks()

    async def read(self, size: int = -1) -> bytes:
        """Up to `size` bytes (all that is left when negative); `b""` at the end."""
        data = bytearray(self._buffer)
        self._buffer = b""
        while (size < 0 or len(data) < size) and not self.done:
            data += await self._reader.file_chunk(self)
        if size >= 0 and len(data) > size:
            self._buffer = bytes(data[size:])
            del data[size:]
        return bytes(data)

    async def drain(self) -> None:
        """Skip the rest of the file (its limit still applies)."""
        self._buffer = b""
        while not self.done:
            await self._reader.file_chunk(self)


class MultipartReader:
    """The parts of one multipart request, read from `receive` on demand."""

    def __init__(
        self,
        receive: Receive,
        content_type: str,
        limits: MultipartLimits,
        check_file: CheckFile | None = None,
        auto_fields: bool = False,
    ) -> None:
        from python_multipart.multipart import MultipartParser, parse_options_header

        kind, params = parse_options_header(content_type)
        if not kind.startswith(b"multipart/"):
            raise HttpError(400, "Content-Type must be multipart/*")
        if not params.get(b"boundary"):
            raise malformed("Missing boundary in multipart.")
        self.charset = _charset(params.get(b"charset"))
        self.limits = limits
        self.check_file = check_file
        self.auto_fields = auto_fields
        self.fields: dict[str, Any] = {}  # with `auto_fields`: egg's `parts.field`
        self.field_list: list[FieldPart] = []  # egg's `parts.fields`
        self._receive = receive
        self._events: deque[tuple[str, Any]] = deque()
        self._headers: list[tuple[bytes, bytes]] = []
        self._header = [b"", b""]
        self._header_bytes = 0
        self._received_all = False
        self._current: FilePart | None = None
        self._counts = {"files": 0, "fields": 0}
        callbacks: Any = {
            "on_part_begin": self._on_part_begin,
            "on_part_data": lambda data, start, end: self._events.append(("data", data[start:end])),
            "on_part_end": lambda: self._events.append(("end", None)),
            "on_header_field": lambda data, start, end: self._on_header(0, data[start:end]),
            "on_header_value": lambda data, start, end: self._on_header(1, data[start:end]),
            "on_header_end": self._on_header_end,
            "on_headers_finished": lambda: self._events.append(("headers", self._headers)),
            "on_end": lambda: self._events.append(("eof", None)),
        }
        self._parser = MultipartParser(params[b"boundary"], callbacks)

    # parser callbacks ----------------------------------------------------------------------------
    def _on_part_begin(self) -> None:
        self._headers, self._header_bytes = [], 0

    def _on_header(self, index: int, data: bytes) -> None:
        self._header_bytes += len(data)
        if self._header_bytes > HEADER_LIMIT:
            raise malformed("part headers too large")
        self._header[index] += data

    def _on_header_end(self) -> None:
        name, value = self._header
        self._headers.append((name.lower(), value))
        self._header = [b"", b""]

    # pulling -------------------------------------------------------------------------------------
    async def _event(self) -> tuple[str, Any]:
        from python_multipart.exceptions import FormParserError

        while not self._events:
            if self._received_all:
                raise malformed("the body ended before its closing boundary")
            message = await self._receive()
            if message["type"] == "http.disconnect":
                raise HttpError(400, "client disconnected before sending the whole body")
            try:
                self._parser.write(message.get("body", b""))
                if not message.get("more_body", False):
                    self._received_all = True
                    self._parser.finalize()
            except FormParserError as exc:
                raise malformed(str(exc) or "unreadable") from exc
        return self._events.popleft()

    async def file_chunk(self, part: FilePart) -> bytes:
        """The next bytes of `part` (the current file), `b""` once it ends."""
        kind, data = await self._event()
        if kind == "end":
            part.done = True
            return b""
        if kind != "data":
            raise malformed("a part ended without its data")
        part.size += len(data)
        if part.size > self.limits.file_size:
            part.truncated = part.done = True
            raise limit_error("fileSize", part.too_large_message)
        return bytes(data)

    async def next(self) -> FilePart | FieldPart | None:
        """The next file or field (fields go to `fields` instead with `auto_fields`); `None` at the end."""
        if self._current is not None:
            await self._current.drain()
            self._current = None
        while True:
            kind, headers = await self._event()
            if kind == "eof":
                return None
            if kind != "headers":
                continue
            part = await self._begin(dict(headers))
            if part is not None:
                return part

    async def _begin(self, headers: dict[bytes, bytes]) -> FilePart | FieldPart | None:
        from python_multipart.multipart import parse_options_header

        _, options = parse_options_header(headers.get(b"content-disposition", b""))
        if b"name" not in options:
            raise malformed('the Content-Disposition header field "name" must be provided')
        name = self._decode(options[b"name"])
        if b"filename" in options:
            return await self._begin_file(name, self._decode(options[b"filename"]), headers)
        self._count("fields")
        if len(name.encode()) > self.limits.field_name_size:
            raise limit_error("fieldNameSize")
        value = bytearray()
        while (event := await self._event())[0] == "data":
            value += event[1]
            if len(value) > self.limits.field_size:
                raise limit_error("fieldSize")
        if event[0] != "end":
            raise malformed("a field ended without its data")
        field = FieldPart(name, self._decode(bytes(value)))
        self.field_list.append(field)
        if not self.auto_fields:
            return field
        previous = self.fields.get(name)
        if previous is None:
            self.fields[name] = field.value
        else:  # a repeated name collects its values, as a form body does
            self.fields[name] = (
                [*previous, field.value] if isinstance(previous, list) else [previous, field.value]
            )
        return None

    async def _begin_file(self, name: str, filename: str, headers: dict[bytes, bytes]) -> FilePart | None:
        part = FilePart(
            self,
            name,
            filename,
            self._decode(headers.get(b"content-type", b"application/octet-stream")),
            self._decode(headers.get(b"content-transfer-encoding", b"7bit")),
        )
        if not filename:  # a file input left empty: egg drops it
            await part.drain()
            return None
        self._count("files")
        failure = self.check_file(name, filename) if self.check_file else None
        if failure is not None:
            raise HttpError(400, str(failure)) from failure
        self._current = part
        return part

    def _count(self, kind: str) -> None:
        self._counts[kind] += 1
        if self._counts[kind] > getattr(self.limits, kind):
            raise limit_error(kind)

    def _decode(self, raw: bytes) -> str:
        return raw.decode(self.charset, "replace")


def _charset(raw: bytes | None) -> str:
    try:
        return codecs.lookup((raw or b"utf-8").decode("latin-1")).name
    except LookupError:
        return "utf-8"
