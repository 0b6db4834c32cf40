"""`config.metrics`, checked at boot: a bad value fails the start naming the file that set it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from eggbin.errors import BootError
from eggbin.web.proxy import Network, parse


@dataclass(frozen=True)
class MetricsOptions:
    path: str
    allow: tuple[Network, ...]
    interval: float
    buckets: tuple[float, ...]


def metrics_options(options: Any, where: Callable[[str], str]) -> MetricsOptions:
    """`where(key)` names the file that set `metrics.<key>`, for the error."""
    if not isinstance(options, Mapping):
        raise BootError(f"`config.metrics` must be a dict{where('')}")
    path = options.get("path")
    if not isinstance(path, str) or not path.startswith("/"):
        raise BootError(
            f"`config.metrics.path` must be a path starting with `/`, got `{path!r}`{where('path')}"
        )
    allow = options.get("allow") or []
    if isinstance(allow, str):
        allow = allow.split(",")
    if not isinstance(allow, list | tuple):
        raise BootError(f"`config.metrics.allow` must be a list of addresses or networks{where('allow')}")
    interval = options.get("interval")
    if not isinstance(interval, int | float) or isinstance(interval, bool) or interval <= 0:
        raise BootError(
            f"`config.metrics.interval` must be seconds > 0, got `{interval!r}`{where('interval')}"
        )
    buckets = options.get("buckets")
    if (
        not isinstance(buckets, list | tuple)
        or not buckets
        or not all(_is_number(b) for b in buckets)
        or list(buckets) != sorted(set(buckets))
    ):
        raise BootError(
            f"`config.metrics.buckets` must be increasing seconds, got `{buckets!r}`{where('buckets')}"
        )
    networks = parse(tuple(str(entry) for entry in allow), "metrics.allow")
    return MetricsOptions(path, networks, float(interval), tuple(float(b) for b in buckets))


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
