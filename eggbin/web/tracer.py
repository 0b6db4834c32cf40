"""`ctx.trace_id`: the request's id, taken from `X-Request-Id` (`config.tracer.header`) or generated.

A load balancer or the calling service usually sets the header; a client can set anything there, so
the value is taken only when it is 1 to 128 characters of letters, digits and `. _ : = + -` (a uuid, a
W3C `traceparent`, a base64 id); anything else is replaced by a new id: 128 random bits in hex (the
W3C trace-id's form). New ids are cut from one `os.urandom` read of `POOL` ids at a time: each id is
still 16 bytes of the kernel's CSPRNG, independent of every other (knowing the ids one client was given
tells nothing about another's), and unique as random 128-bit ids are; a request pays a `list.pop`
instead of a system call. A forked child drops the ids it inherited, so no two processes share any.
The id is echoed on the response under the same header and shown in every context log line (egg's
`[user/ip/trace/ms METHOD url]` prefix, the `trace_id` attribute of the record).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

from eggbin.errors import BootError

DEFAULT_HEADER = "x-request-id"
POOL = 64  # ids read at once: 1 KiB of randomness per system call
_ids: list[str] = []
os.register_at_fork(after_in_child=_ids.clear)
_SAFE = re.compile(r"[A-Za-z0-9._:=+-]{1,128}")
_HEADER_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+")  # an HTTP token (RFC 9110)


def trace_header(config: Mapping[str, Any], meta: Mapping[str, str]) -> str:
    """`config.tracer.header`, lower-cased ("" turns reading and echoing off); a bad name fails the boot."""
    tracer = config.get("tracer")
    name = tracer.get("header", DEFAULT_HEADER) if isinstance(tracer, Mapping) else DEFAULT_HEADER
    if name in (None, ""):
        return ""
    if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
        raise BootError(
            f"config `tracer.header` is `{name!r}` (set in `{meta.get('tracer.header', '?')}`)",
            hint='use an HTTP header name such as "x-request-id", or "" to turn it off',
        )
    return name.lower()


def trace_id_from(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> str:
    """The id in the ASGI `headers` under `name` (lower-case) when safe to log and echo, else a new one."""
    if name:
        for key, value in headers:
            if key == name:
                text = value.decode("latin-1")
                if _SAFE.fullmatch(text):
                    return text
                break
    if _ids:  # `new_trace_id`'s common case, inline: one call less for every request
        return _ids.pop()
    return new_trace_id()


def new_trace_id() -> str:
    """128 random bits in hex, from the kernel's CSPRNG (see the module docstring)."""
    try:
        return _ids.pop()
    except IndexError:
        pool = os.urandom(16 * POOL).hex()
        _ids.extend([pool[start : start + 32] for start in range(0, 32 * POOL, 32)])
        return _ids.pop()
