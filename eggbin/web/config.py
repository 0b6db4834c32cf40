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
from eggbin.web.declared import declared


class Config(dict[str, Any]):
    """A dict that also reads as attributes: `config["gzip"]["threshold"] == config.gzip.threshold`.

    A key wins over a dict method of the same name, as in egg: `app.config.keys` is the cookie keys,
    `config.shop.items` the shop's items (call `dict.keys(config)` for the method).
    """

    def __getattribute__(self, name: str) -> Any:
        if name[:1] != "_" and dict.__contains__(self, name):
            return dict.__getitem__(self, name)
        return object.__getattribute__(self, name)

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(f"config has no key {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, wrap(value))

    def __delattr__(self, name: str) -> None:
        del self[name]


def entries(mapping: Mapping[str, Any]) -> Any:
    """`mapping.items()`, even for a `Config` holding a key called `items`."""
    return dict.items(mapping) if isinstance(mapping, dict) else mapping.items()


# a config's usual leaves, none of them a Mapping: known without the ABC's `isinstance` (~250 per boot)
LEAVES = frozenset({str, int, float, bool, type(None), list, tuple})


def _is_mapping(value: Any) -> bool:
    return type(value) not in LEAVES and isinstance(value, Mapping)


def wrap(value: Any) -> Any:
    if _is_mapping(value) and not isinstance(value, Config):
        config = Config()
        for key, item in entries(value):
            config[key] = item
        return config
    return value


def extend(
    target: Config, source: Mapping[str, Any], meta: dict[str, str], origin: str, prefix: str = ""
) -> None:
    """Merge `source` into `target` (egg's extend2: dicts merge, everything else replaces)."""
    for key, value in entries(source):
        path = f"{prefix}{key}"
        current = dict.get(target, key)
        if _is_mapping(value) and isinstance(current, Config):
            extend(current, value, meta, origin, f"{path}.")
        else:
            if isinstance(current, Config) and current:  # its leaves were recorded: they are replaced
                for stale in [k for k in meta if k.startswith(f"{path}.")]:
                    del meta[stale]
            target[key] = value
            _record(meta, path, target[key], origin)


def _record(meta: dict[str, str], path: str, value: Any, origin: str) -> None:
    if isinstance(value, Config) and value:
        for key, item in entries(value):
            _record(meta, f"{path}.{key}", item, origin)
    else:
        meta[path] = origin


def read_config_module(module: Any, file: Path, app_info: Any) -> tuple[Mapping[str, Any], list[str]]:
    """The dict a config file declares, and warnings about names it ignores.

    `config = {...}`, `def config(app_info) -> dict`, or egg's `exports.keys = ...` form: top-level names.
    """
    found = declared(module, file, "config")
    value = found.value
    if callable(value):
        value = value(app_info)
    if not isinstance(value, Mapping):
        raise BootError(f"`{file}` must define `config` as a dict or a function returning one")
    return value, found.warnings


# egg's `confusedConfigurations`, in eggbin's spelling: a key users write by mistake → the one read
CONFUSED_KEYS = {
    "bodyparser": "body_parser",
    "bodyParser": "body_parser",
    "not_found": "notfound",
    "sitefile": "site_file",
    "middlewares": "middleware",
    "http_client": "httpclient",
}


VIEW_ENGINES = ("nunjucks", "jinja2", "jinja")  # jinja2 renders views; nunjucks is its JavaScript port


def config_warnings(config: Config, meta: dict[str, str]) -> list[str]:
    """Keys eggbin would not read as written: egg's confused keys, a view engine it does not have."""
    warnings = []
    for key, expected in CONFUSED_KEYS.items():
        if dict.__contains__(config, key):
            warnings.append(
                f"unexpected config key `{key}` (set in `{_set_in(meta, key)}`): eggbin reads `{expected}`"
            )
    view = config.get("view") or {}
    engines = {"view.default_view_engine": view.get("default_view_engine")}
    engines |= {f"view.mapping.{ext}": name for ext, name in entries(view.get("mapping") or {})}
    for key, name in engines.items():
        if name and str(name).lower() not in VIEW_ENGINES:
            warnings.append(
                f"`{key}` names the view engine `{name}` (set in `{_set_in(meta, key)}`): "
                "eggbin renders every view with jinja2"
            )
    return warnings


def _set_in(meta: dict[str, str], key: str) -> str:
    return next((file for path, file in meta.items() if path == key or path.startswith(key + ".")), "config")
