"""`config.http_server`: the limits every worker's HTTP server applies to a request head (Node's).

    max_header_size     16384  request line and headers together; beyond → 431, connection closed
    max_url_length       8192  the request target; beyond → 414, connection closed
    headers_timeout        60  seconds from the connection (or the first byte of a keep-alive request)
                               to the end of the head; beyond → 408 (a silent close if not even
                               the request target came)
    keep_alive_timeout      5  idle whole seconds between requests on a keep-alive connection

`eggbin.cluster.http_protocol` enforces them; they are read once the worker has booted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from msgspec import Struct
from msgspec.structs import asdict

from eggbin.errors import BootError


class HttpLimits(Struct, frozen=True):
    """`config.http_server`, checked."""

    max_header_size: int = 16 * 1024
    max_url_length: int = 8 * 1024
    headers_timeout: float = 60.0
    keep_alive_timeout: int = 5

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> HttpLimits:
        """From `config.http_server`; a missing key keeps its default, a bad value is a `BootError`."""
        given = dict(config or {})
        values: dict[str, Any] = {}
        # the defaults from the class itself: `msgspec.structs.fields` evaluated the string annotations
        # again at every call (4 `compile`s, ~0.3 ms of each worker's start)
        for name, default in zip(cls.__struct_fields__, cls.__struct_defaults__, strict=True):
            value = given.pop(name, None)
            if value is None:
                continue
            whole = isinstance(default, int)
            number = isinstance(value, int | float) and not isinstance(value, bool)
            if not number or value <= 0 or (whole and value != int(value)):
                kind = "a positive whole number" if whole else "a positive number"
                raise BootError(f"`config.http_server.{name}` must be {kind}, got `{value!r}`")
            values[name] = int(value) if whole else float(value)
        if given:
            raise BootError(
                f"unknown key(s) in `config.http_server`: {', '.join(f'`{k}`' for k in sorted(given))}",
                hint=f"known keys: {', '.join(cls.__struct_fields__)}",
            )
        return cls(**values)

    def as_config(self) -> dict[str, Any]:
        """The defaults as `config/default.py` holds them."""
        return asdict(self)
