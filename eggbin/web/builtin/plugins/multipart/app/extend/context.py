"""egg-multipart's `ctx` methods: `multipart`, `get_file_stream`, `save_request_files`, cleanup."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from eggbin.web.http_error import HttpError
from eggbin.web.uploads import (
    SAVED,
    Parts,
    UploadedFile,
    call_options,
    default_tmpdir,
    reader_for,
    save_request,
)

if TYPE_CHECKING:
    from eggbin.web.context import Context

TOO_LARGE = "Request file too large, please check multipart config"


def multipart(ctx: Context, options: Mapping[str, Any] | None = None, **kwargs: object) -> Parts:
    """The parts of the upload: `async for part in ctx.multipart()` (files stream; fields are tuples)."""
    opts = call_options(options, kwargs)
    config = ctx.app.config.get("multipart") or {}
    auto_fields = bool(opts.get("auto_fields", config.get("auto_fields", False)))
    saved = ctx.request.__dict__.pop(SAVED, None)
    if saved is not None:  # read before the handler (buffer / file mode): hand out what was kept
        ctx.request.__dict__[SAVED + "_replayed"] = saved
        return Parts.replay(saved, auto_fields)
    return Parts.live(reader_for(ctx, opts, auto_fields))


async def get_file_stream(ctx: Any, options: Mapping[str, Any] | None = None, **kwargs: Any) -> Any:
    """The first file of the upload, as a stream; the fields sent before it in `stream.fields`."""
    opts = {**call_options(options, kwargs), "auto_fields": True}
    require_file = opts.pop("require_file", True) is not False
    parts = ctx.multipart(opts)
    stream = await parts()
    if stream is None or not stream.filename:
        if require_file:
            raise HttpError(400, "Can't found upload file")
        return stream
    stream.fields = parts.field
    if not isinstance(stream, UploadedFile):
        stream.too_large_message = TOO_LARGE
    return stream


async def save_request_files(
    ctx: Context, options: Mapping[str, Any] | None = None, **kwargs: object
) -> None:
    """egg's file mode for this request: files saved under `multipart.tmpdir`, fields in the body."""
    config = ctx.app.config.get("multipart") or {}
    tmpdir = str(config.get("tmpdir") or default_tmpdir(ctx.app.name))
    await save_request(ctx, tmpdir, call_options(options, kwargs))


async def cleanup_request_files(ctx: Context, files: list[Any] | None = None) -> None:
    """Delete the temp files of `files` (default: `ctx.request.files`)."""
    for file in files or ctx.request.files or []:
        if isinstance(file, UploadedFile):
            file.discard()
