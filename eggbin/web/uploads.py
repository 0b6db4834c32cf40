"""Uploaded files: read before the handler (`buffer`, `file` modes) or handed out as parts (`ctx.multipart`).

    buffer  files in spooled temp files (memory up to 1 MB each, then disk): `ctx.request.files`
    file    files saved under `config.multipart.tmpdir/YYYY/MM/DD/HH/<uuid><ext>`: `file.filepath`
    stream  nothing parsed up front: `await ctx.get_file_stream()`, `ctx.multipart()` read the socket

Either way `ctx.request.body` holds the fields and every temp file is gone once the response is sent;
a request that fails mid-upload (413, 400, a disconnect) leaves no temp file behind either.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from msgspec import Struct
from msgspec import field as default

from eggbin.web.multipart import CheckFile, FieldPart, FilePart, MultipartReader

if TYPE_CHECKING:
    from eggbin.web.context import Context

SPOOL_SIZE = 1024 * 1024
CHUNK = 64 * 1024
# egg-multipart's default white list of file extensions (`whitelist` replaces it, `file_extensions` adds)
WHITELIST = (
    *(".jpg", ".jpeg", ".png", ".gif", ".bmp", ".wbmp", ".webp", ".tif", ".psd"),
    *(".svg", ".js", ".jsx", ".json", ".css", ".less", ".html", ".htm", ".xml"),
    *(".zip", ".gz", ".tgz", ".gzip", ".mp3", ".mp4", ".avi"),
)


class UploadedFile(Struct, dict=True):
    """A file of a multipart request, kept for the handler (egg's `ctx.request.files` entries)."""

    field: str
    filename: str
    encoding: str
    mime: str
    filepath: str | None = None  # file mode: where it was saved
    size: int = 0
    file: Any = None  # buffer mode: a spooled temp file
    fields: dict[str, Any] = default(default_factory=dict)  # set by `get_file_stream` when replayed

    @property
    def fieldname(self) -> str:
        return self.field

    @property
    def mime_type(self) -> str:
        return self.mime

    @property
    def content_type(self) -> str:
        return self.mime

    @property
    def transfer_encoding(self) -> str:
        return self.encoding

    async def chunks(self) -> AsyncIterator[bytes]:
        from anyio import to_thread

        source = self.file if self.file is not None else open(self.filepath or "", "rb")  # noqa: SIM115
        await to_thread.run_sync(source.seek, 0)
        try:
            while chunk := await to_thread.run_sync(source.read, CHUNK):
                yield chunk
        finally:
            if source is not self.file:
                source.close()

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self.chunks()

    async def read(self) -> bytes:
        return b"".join([chunk async for chunk in self.chunks()])

    async def drain(self) -> None:
        """Nothing to skip: the file was read before the handler (a `FilePart` has the same method)."""

    def discard(self) -> None:
        """Close and delete the temp file (done after every request)."""
        if self.file is not None:
            self.file.close()
        if self.filepath:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.filepath)


def default_tmpdir(app_name: str) -> str:
    return str(Path(tempfile.gettempdir()) / "egg-multipart-tmp" / app_name)


def make_check_file(options: Mapping[str, Any]) -> CheckFile:
    """egg-multipart's extension check: `whitelist` (list or callable) or the defaults + `file_extensions`."""
    whitelist = options.get("whitelist")
    extra = [e if e.startswith(".") or not e else f".{e}" for e in options.get("file_extensions") or []]
    listed = whitelist if isinstance(whitelist, list | tuple) else [*WHITELIST, *extra]
    allowed = {extension.lower() for extension in listed}

    def check(_field: str, filename: str) -> Exception | None:
        try:
            if callable(whitelist):
                ok = bool(whitelist(filename))
            else:
                ok = os.path.splitext(filename)[1].lower() in allowed
        except Exception as exc:
            return exc
        return None if ok else ValueError(f"Invalid filename: {filename}")

    return check


async def save_parts(reader: MultipartReader, tmpdir: str | None, allow_array_field: bool) -> Saved:
    """Every part of `reader` kept: fields into a dict, files spooled (`tmpdir=None`) or saved there."""
    saved = Saved()
    try:
        while (part := await reader.next()) is not None:
            if isinstance(part, FieldPart):
                saved.add_field(part, allow_array_field)
            else:
                saved.items.append(await _keep(part, tmpdir))
    except BaseException:
        saved.discard()
        raise
    return saved


async def _keep(part: FilePart, tmpdir: str | None) -> UploadedFile:
    from anyio import to_thread

    kept = UploadedFile(part.field, part.filename, part.encoding, part.mime)
    target: Any
    if tmpdir is None:
        kept.file = target = tempfile.SpooledTemporaryFile(max_size=SPOOL_SIZE)  # noqa: SIM115
    else:
        kept.filepath = await to_thread.run_sync(_new_path, tmpdir, part.filename)
        target = open(kept.filepath, "wb")  # noqa: SIM115
    try:
        async for chunk in part:
            await to_thread.run_sync(target.write, chunk)
        kept.size = part.size
    except BaseException:
        kept.discard()
        raise
    finally:
        if tmpdir is not None:
            target.close()
    return kept


def _new_path(tmpdir: str, filename: str) -> str:
    """`<tmpdir>/YYYY/MM/DD/HH/<uuid><ext>` (directories private to this user: /tmp is shared)."""
    directory = Path(tmpdir, time.strftime("%Y/%m/%d/%H"))
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    extension = os.path.splitext(filename)[1]
    safe = extension if re.fullmatch(r"\.[A-Za-z0-9]{1,16}", extension) else ""
    return str(directory / f"{uuid.uuid4()}{safe}")


class Saved(Struct):
    """A multipart body read whole: its parts in order, the fields as a dict, the files as a list."""

    items: list[FieldPart | UploadedFile] = default(default_factory=list)
    body: dict[str, Any] = default(default_factory=dict)

    @property
    def files(self) -> list[UploadedFile]:
        return [item for item in self.items if isinstance(item, UploadedFile)]

    def add_field(self, part: FieldPart, allow_array_field: bool) -> None:
        self.items.append(part)
        previous = self.body.get(part.name)
        if not allow_array_field or previous is None:
            self.body[part.name] = part.value
        elif isinstance(previous, list):
            previous.append(part.value)
        else:
            self.body[part.name] = [previous, part.value]

    def discard(self) -> None:
        for file in self.files:
            file.discard()


class Parts:
    """What `ctx.multipart()` returns: `await parts()` or `async for part in parts`; `parts.field`."""

    def __init__(self, next_part: Callable[[], Any], field: dict[str, Any], fields: list[FieldPart]) -> None:
        self._next = next_part
        self.field = field  # with `auto_fields`: the fields seen so far
        self.fields = fields  # every field seen so far, as `(name, value)`

    @classmethod
    def live(cls, reader: MultipartReader) -> Parts:
        return cls(reader.next, reader.fields, reader.field_list)

    @classmethod
    def replay(cls, saved: Saved, auto_fields: bool) -> Parts:
        items, field, fields = iter(saved.items), dict[str, Any](), list[FieldPart]()

        async def next_part() -> FieldPart | UploadedFile | None:
            for item in items:
                if isinstance(item, UploadedFile):
                    item.fields = field
                    return item
                fields.append(item)
                if not auto_fields:
                    return item
                field[item.name] = item.value
            return None

        return cls(next_part, field, fields)

    async def __call__(self) -> Any:
        return await self._next()

    async def __aiter__(self) -> AsyncIterator[Any]:
        while (part := await self._next()) is not None:
            yield part


# the request's multipart body, as the plugin's middleware and `ctx` methods use it -----------------
SAVED = "_multipart_saved"
CONSUMED = "_multipart_consumed"
CALL_OPTIONS = frozenset({"auto_fields", "limits", "check_file", "require_file"})


def call_options(options: Mapping[str, Any] | None, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """egg's per-call options object (and keywords); an unknown key is an error."""
    merged = {**(options or {}), **kwargs}
    unknown = set(merged) - CALL_OPTIONS
    if unknown:
        raise TypeError(f"unknown multipart option(s) {sorted(unknown)}; known: {sorted(CALL_OPTIONS)}")
    return merged


def reader_for(ctx: Context, options: Mapping[str, Any], auto_fields: bool) -> MultipartReader:
    """A reader of this request's body under `config.multipart`, once per request."""
    from eggbin.web.multipart import MultipartLimits

    request = ctx.request
    if not request.content_type.startswith("multipart/"):
        from eggbin.web.http_error import HttpError

        raise HttpError(400, "Content-Type must be multipart/*")
    if request.__dict__.get(CONSUMED):
        raise AssertionError("the multipart request can't be consumed twice")
    request.__dict__[CONSUMED] = True
    config = ctx.app.config.get("multipart") or {}
    limits = MultipartLimits.from_options(config, options.get("limits"))
    check = options.get("check_file") or config.get("check_file") or make_check_file(config)
    return MultipartReader(request.receive, request.get("content-type"), limits, check, auto_fields)


async def save_request(ctx: Context, tmpdir: str | None, options: Mapping[str, Any] | None = None) -> None:
    """Read the whole multipart body now: `ctx.request.body` and `ctx.request.files`."""
    config = ctx.app.config.get("multipart") or {}
    reader = reader_for(ctx, options or {}, auto_fields=False)
    saved = await save_parts(reader, tmpdir, bool(config.get("allow_array_field")))
    ctx.request.body, ctx.request.files = saved.body, saved.files
    ctx.request.__dict__[SAVED] = saved


def discard_request(ctx: Context) -> None:
    """Close and delete every temp file of this request (after its response)."""
    for key in (SAVED, SAVED + "_replayed"):
        saved = ctx.request.__dict__.pop(key, None)
        if saved is not None:
            saved.discard()
