"""The `run/` files each process writes once ready (egg's `dumpConfig` / `dumpTiming`).

    run/<application|agent>_config.json       {"config": …, "plugins": …, "app_info": …}, secrets masked
    run/<application|agent>_config_meta.json  dotted key → file that set it
    run/<application|agent>_timing.json       boot phases and hooks, ms
    run/router.json                           routes (application only)
    run/openapi.json                          the decorated controllers' OpenAPI document (when any)

A key is masked when its name contains one of `SECRET_PARTS` (any case: `db_password`, `apiKey`,
`private_key`, `redis.auth`), equals a string of `config.dump.ignore` or matches one of its regexes:
a string becomes `<String len: N>`, anything else `<masked>`. Credentials inside URLs are masked
wherever they appear (`postgres://app:***@db/shop`). Files are 0600 in a 0700 `run/`, written
atomically (temp file + rename) because every worker writes the same files.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from eggbin.private_files import private_dir, write_private
from eggbin.web.config import entries

if TYPE_CHECKING:
    from eggbin.web.application import Application, EggCore

SECRET_PARTS = ("pass", "pwd", "secret", "token", "key", "auth", "credential", "private", "cookie")
_SECRET_KEY = re.compile("|".join(SECRET_PARTS), re.IGNORECASE)
# scheme://userinfo@ : the userinfo is a password (`user:pass`) or a token used as the user name
_URL_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<userinfo>[^\s/?#@]+)@")


def is_secret(key: str, ignore: Iterable[Any]) -> bool:
    if _SECRET_KEY.search(key):
        return True
    for rule in ignore:
        if isinstance(rule, re.Pattern) and rule.search(key):
            return True
        if isinstance(rule, str) and rule == key:
            return True
    return False


def masked(value: object, ignore: list[Any]) -> Any:
    """`value` as JSON-ready data with every secret key's value hidden."""
    if isinstance(value, Mapping):
        return {
            str(k): _mask(v) if is_secret(str(k), ignore) else masked(v, ignore) for k, v in entries(value)
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [masked(item, ignore) for item in value]
    if isinstance(value, str):
        return without_url_credentials(value)
    return plain(value)


def without_url_credentials(text: str) -> str:
    """`postgres://app:hunter2@db/x` → `postgres://app:***@db/x`; `https://ghp_x@host` → `https://***@host`."""

    def hide(found: re.Match[str]) -> str:
        user, colon, _ = found["userinfo"].partition(":")
        return f"{found['scheme']}{user + ':' if colon else ''}***@"

    return _URL_USERINFO.sub(hide, text)


def _mask(value: object) -> Any:
    if value is None or value == "":
        return value
    return f"<String len: {len(value)}>" if isinstance(value, str) else "<masked>"


def plain(value: object) -> Any:
    """A JSON value for anything a config may hold (functions, classes, regexes, paths)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, re.Pattern):
        return f"/{value.pattern}/"
    if isinstance(value, Path):
        return str(value)
    if inspect.isclass(value):
        return f"<Class {value.__name__}>"
    if callable(value):
        return f"<Function {getattr(value, '__name__', 'anonymous')}>"
    return f"<{type(value).__name__}>"


def write_json(path: Path, data: object) -> None:
    """Write `data` to `path` atomically (readers never see half a file), unless it already holds it.

    Replacing a file flushes its data (ext4: ~0.8 ms), and N workers dump the same config.
    """
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    with contextlib.suppress(OSError):
        if path.read_text(encoding="utf-8") == text and not path.stat().st_mode & 0o077:
            return
    private_dir(path.parent, tighten=True)
    write_private(path, text)


def dump_run_files(app: EggCore) -> None:
    """Everything `run/` holds for this process's role."""
    run_dir = Path(app.config.get("rundir") or app.base_dir / "run")
    prefix = "application" if app.role == "app" else "agent"
    ignore = list((app.config.get("dump") or {}).get("ignore") or [])
    write_json(run_dir / f"{prefix}_config.json", config_document(app, ignore))
    write_json(run_dir / f"{prefix}_config_meta.json", dict(sorted(app.config_meta.items())))
    write_json(run_dir / f"{prefix}_timing.json", app.timing.describe())
    router = getattr(app, "router", None)
    if router is not None and app.role == "app":
        write_json(run_dir / "router.json", router.describe())
    if getattr(app, "decorated_routes", None):
        from eggbin.web.openapi import openapi_document

        write_json(run_dir / "openapi.json", openapi_document(cast("Application", app)))


def config_document(app: EggCore, ignore: list[Any]) -> dict[str, Any]:
    info = app.info
    return {
        "config": masked(app.config, ignore),
        "plugins": {plugin.name: plugin.describe() for plugin in app.plugins},
        "app_info": {
            "name": info.name,
            "base_dir": str(info.base_dir),
            "env": info.env,
            "env_source": info.env_source,
            "root": str(info.root),
            "home": str(info.home),
        },
    }
