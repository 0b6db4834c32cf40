"""`ctx.trace_id`: the request's id, taken from `X-Request-Id` (`config.tracer.header`) or generated.

A load balancer or the calling service usually sets the header; a client can set anything there, so
the value is taken only when it is 1 to 128 characters of letters, digits and `. _ : = + -` (a uuid, a
W3C `traceparent`, a base64 id); anything else is replaced by a new id: 128 random bits in hex (the
W3C trace-id's form). New ids are cut from one `os.urandom` read of `POOL` ids at a time: each id is
still 16 bytes of the kernel's CSPRNG, independent of every other (knowing the ids one client was given
tells nothing about another's), and unique as random 128-bit ids are; a request pays a `list.pop`
instead of a system call. A forked child drops the ids it inherited, so no two processes share any.
Each header name has its pool (`trace_ids`); a batch of new ids is proven safe to write as it is
(`eggbin.web.header_lines.GeneratedLines`: hex under a token name), so the workers' protocol writes its
line unchecked; an id echoed from the request is client input and is checked there as any header.
The id is echoed on the response under the same header and shown in every context log line (egg's
`[user/ip/trace/ms METHOD url]` prefix, the `trace_id` attribute of the record).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

from eggbin.errors import BootError
from eggbin.web.header_lines import GeneratedLines

DEFAULT_HEADER = "x-request-id"
POOL = 64  # ids read at once: 1 KiB of randomness per system call
_CUTS = [slice(start, start + 32) for start in range(0, 32 * POOL, 32)]  # the ids in a pool's hex
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


class TraceIds:
    """The ids under one header name (lower case; "": none read): the request's when safe, else new ones."""

    __slots__ = ("_ids", "_lines", "_raw_name", "name")

    def __init__(self, name: str) -> None:
        self.name = name
        self._raw_name = name.encode("latin-1")
        self._ids: list[str] = []
        self._lines = GeneratedLines(name)

    def take(self, headers: Iterable[tuple[bytes, bytes]]) -> str:
        """The id in the ASGI `headers` under this name when safe to log and echo, else a new one."""
        name = self._raw_name
        if name:
            for key, value in headers:
                if key == name:
                    text = value.decode("latin-1")
                    if _SAFE.fullmatch(text):
                        return text
                    break
        ids = self._ids
        if ids:  # `new`'s common case, inline: one call less for every request
            return ids.pop()
        return self.new()

    def new(self) -> str:
        """128 random bits in hex, from the kernel's CSPRNG (see the module docstring)."""
        ids = self._ids
        if not ids:
            batch = list(map(os.urandom(16 * POOL).hex().__getitem__, _CUTS))
            self._lines.add(batch)  # proven before any is handed out
            ids.extend(batch)
        return ids.pop()

    def forget(self) -> None:
        """Drop the ids not handed out yet (a forked child must never hand out its parent's)."""
        self._ids.clear()


_pools: dict[str, TraceIds] = {}


def trace_ids(name: str) -> TraceIds:
    """The pool of ids under the header `name` (lower case), one per name and process."""
    pool = _pools.get(name)
    if pool is None:
        pool = _pools[name] = TraceIds(name)
    return pool


def _forget_all() -> None:
    for pool in _pools.values():
        pool.forget()


os.register_at_fork(after_in_child=_forget_all)


def trace_id_from(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> str:
    """The id in the ASGI `headers` under `name` (lower-case) when safe to log and echo, else a new one."""
    return trace_ids(name.decode("latin-1")).take(headers)


def new_trace_id() -> str:
    """128 random bits in hex, from the kernel's CSPRNG (see the module docstring)."""
    return trace_ids("").new()
