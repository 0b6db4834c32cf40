"""Config: egg's layering (deep-merge dicts, replace lists) with attribute access and per-key provenance.

Merge order for env `prod` (written here because it is the contract; it is the load-unit order):
    eggbin default → plugin defaults (dependency order) → framework default(s) (base first) → app default →
    eggbin prod → plugin prods → framework prod(s) → app prod
`app.config_meta` maps every dotted leaf key (`"logger.level"`) to the file that set it last.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from eggbin.errors import BootError


class Config(dict[str, Any]):
    """A dict that also reads as attributes: `config["gzip"]["threshold"] == config.gzip.threshold`."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"config has no key {name!r}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, wrap(value))

    def __delattr__(self, name: str) -> None:
        del self[name]


def wrap(value: Any) -> Any:
    if isinstance(value, Mapping) and not isinstance(value, Config):
        config = Config()
        for key, item in value.items():
            config[key] = item
        return config
    return value


def extend(
    target: Config, source: Mapping[str, Any], meta: dict[str, str], origin: str, prefix: str = ""
) -> None:
    """Merge `source` into `target` (egg's extend2: dicts merge, everything else replaces)."""
    for key, value in source.items():
        path = f"{prefix}{key}"
        current = target.get(key)
        if isinstance(value, Mapping) and isinstance(current, Config):
            extend(current, value, meta, origin, f"{path}.")
        else:
            target[key] = value
            _record(meta, path, target[key], origin)


def _record(meta: dict[str, str], path: str, value: Any, origin: str) -> None:
    for stale in [k for k in meta if k.startswith(path + ".")]:
        del meta[stale]
    if isinstance(value, Config) and value:
        for key, item in value.items():
            _record(meta, f"{path}.{key}", item, origin)
    else:
        meta[path] = origin


def read_config_module(module: Any, file: Path, app_info: Any) -> Mapping[str, Any]:
    """The dict a config file declares: a module-level `config` dict or `def config(app_info) -> dict`."""
    value = getattr(module, "config", None)
    if value is None:
        return {}
    if callable(value):
        value = value(app_info)
    if not isinstance(value, Mapping):
        raise BootError(f"`{file}` must define `config` as a dict or a function returning one")
    return value
