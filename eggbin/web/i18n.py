"""Translations (koa-locales, as egg-i18n configures it): locale files, `gettext` and the request's locale.

Locale files live in `config/locale/` (or `config/locales/`) of every load unit, plus `i18n.dirs`:
`zh_CN.py` / `zh-CN.py` holding a dict named `locale` (or the file's only dict), or `zh-CN.json`.
Nested dicts flatten to dotted keys; a later unit's text of the same key wins. Locale names are
compared lower-case with `-` (`zh_CN` → `zh-cn`), as koa-locales does.

The request's locale: query `locale`, then cookie `locale`, then the first `Accept-Language` that has
a locale file, then `default_locale`; one without a file falls back to the default. It is written to
the cookie (readable by scripts, one year) whenever the cookie says otherwise.

Formatting (egg's): `%s`/`%d`/`%j` as Node's `util.format`; one list argument fills `{0}`, `{1}`; one
dict argument fills `{name}`.
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from eggbin.errors import BootError
from eggbin.web.own_files import is_dir

if TYPE_CHECKING:
    from eggbin.web.application import Application
    from eggbin.web.context import Context

_FORMAT = re.compile(r"%[sdifjoOc%]")
_INDEX = re.compile(r"\{(\d+)\}")
_NAME = re.compile(r"\{(.+?)\}")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w|y)?\s*$")
_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31557600}


def format_locale(locale: str) -> str:
    """`zh_CN` → `zh-cn`."""
    return locale.replace("_", "-").lower()


def duration_seconds(value: int | float | str) -> float:
    """`"1y"`, `"30d"`, `"12h"` (the `ms` package's units, in seconds) or a number of seconds."""
    if isinstance(value, int | float):
        return float(value)
    found = _DURATION.match(value)
    if found is None:
        raise ValueError(f"`{value}` is not a duration: use seconds or a string such as `30d` or `1y`")
    return float(found.group(1)) * _SECONDS[found.group(2) or "s"]


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in data.items():
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def read_locale_file(file: Path) -> dict[str, str]:
    """The texts of one `.json` or `.py` locale file (a `BootError` names the file when it is wrong)."""
    if file.suffix == ".json":
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise BootError(f"locale file `{file}` is not valid JSON: {exc}") from exc
    else:
        data = _python_locale(file)
    if not isinstance(data, Mapping):
        raise BootError(f"locale file `{file}` must hold a dict of texts")
    return flatten(data)


def _python_locale(file: Path) -> Any:
    spec = importlib.util.spec_from_file_location(f"_egg_locale_{abs(hash(file))}", file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        raise BootError(f"syntax error in `{exc.filename or file}:{exc.lineno}`: {exc.msg}") from exc
    except Exception as exc:
        raise BootError(f"{type(exc).__name__} in locale file `{file}`: {exc}") from exc
    found = getattr(module, "locale", None)
    if isinstance(found, Mapping):
        return found
    dicts = [v for k, v in vars(module).items() if not k.startswith("_") and isinstance(v, Mapping)]
    if len(dicts) != 1:
        raise BootError(
            f"locale file `{file}` must define its texts as `locale = {{...}}`",
            hint='e.g. locale = {"Email": "邮箱", "Welcome back, %s!": "欢迎回来 %s!"}',
        )
    return dicts[0]


def load_resources(dirs: list[Path]) -> dict[str, dict[str, str]]:
    """Every locale file of `dirs`, merged per locale in order (later dirs win)."""
    resources: dict[str, dict[str, str]] = {}
    for directory in dirs:
        if not is_dir(directory):
            continue
        for file in sorted(directory.iterdir()):
            if file.suffix in (".py", ".json") and not file.name.startswith("_"):
                resources.setdefault(format_locale(file.stem), {}).update(read_locale_file(file))
    return resources


def js_string(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def util_format(text: str, *args: Any) -> str:
    """Node's `util.format`: `%s %d %i %f %j %o %O %c %%`, then the arguments left, space-separated."""
    rest = list(args)

    def substitute(found: re.Match[str]) -> str:
        token = found.group()
        if token == "%%":
            return "%"
        if not rest:
            return token
        value = rest.pop(0)
        if token in ("%d", "%i"):
            return _number(value, integer=token == "%i")
        if token == "%f":
            return _number(value, integer=False)
        if token in ("%j", "%o", "%O"):
            return json.dumps(value, ensure_ascii=False, default=str)
        return "" if token == "%c" else js_string(value)

    formatted = _FORMAT.sub(substitute, text)
    return " ".join([formatted, *(js_string(value) for value in rest)])


def _number(value: Any, integer: bool) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "NaN"
    if integer or number.is_integer():
        return str(int(number))
    return str(number)


class RequestOptions(NamedTuple):
    """The fields of `config.i18n` that work out a request's locale."""

    query_field: str
    cookie_field: str
    alias: Mapping[str, str]
    write_cookie: bool


class Locales:
    """The texts of every locale, and koa-locales' `gettext(locale, key, ...args)`."""

    def __init__(
        self, resources: dict[str, dict[str, str]], default_locale: str, cookie_options: dict[str, Any]
    ) -> None:
        self.resources = resources
        self.default_locale = format_locale(default_locale)
        self.cookie_options = cookie_options  # of the locale cookie, worked out once
        self.request_options: RequestOptions | None = None  # read from config at the first request

    def read_request_options(self, options: Mapping[str, Any]) -> RequestOptions:
        """What every request reads of `config.i18n`, read once (config is final once requests come)."""
        self.request_options = RequestOptions(
            options["query_field"],
            options["cookie_field"],
            options.get("locale_alias") or {},
            bool(options.get("write_cookie", True)),
        )
        return self.request_options

    def gettext(self, locale: str, key: str, *args: Any) -> str:
        text = self.resources.get(locale, {}).get(key, key)
        if not text:
            return ""
        if not args:
            return str(text)
        if len(args) == 1 and isinstance(args[0], Mapping):
            return _NAME.sub(partial(_by_name, args[0]), str(text))
        if len(args) == 1 and isinstance(args[0], list | tuple):
            return _INDEX.sub(partial(_by_index, list(args[0])), str(text))
        return util_format(str(text), *args)


def _by_name(values: Mapping[str, Any], found: re.Match[str]) -> str:
    """`{name}` → the value, when it is there and not empty (koa-locales' rule); else left as it is."""
    value = values.get(found.group(1))
    return js_string(value) if value else found.group()


def _by_index(values: list[Any], found: re.Match[str]) -> str:
    index = int(found.group(1))
    return js_string(values[index]) if index < len(values) else found.group()


def accepted_languages(header: str) -> list[str]:
    """`Accept-Language` ranges by preference (quality, then order), those with `q=0` left out."""
    if not header:
        return []  # none sent (API clients, curl): nothing to rank
    from eggbin.web.request import parse_accept

    ranked = sorted((-quality, index, language) for language, quality, index in parse_accept(header))
    return [language for quality, _, language in ranked if quality < 0]


# the request's locale ------------------------------------------------------------------------------
LOCALES = "_i18n_locales"  # on the app: its `Locales`
LOCALE = "_i18n_locale"  # on a context: `(locale, where it came from)`


def locales_of(app: Application) -> Locales:
    found: Locales | None = app.__dict__.get(LOCALES)
    if found is None:
        raise RuntimeError("i18n is not loaded: is the `i18n` plugin disabled?")
    return found


def request_locale(ctx: Context) -> tuple[str, str]:
    """koa-locales' `__getLocale`: the request's locale and its origin (`query`, `cookie`, `header`, …)."""
    cached: tuple[str, str] | None = ctx.__dict__.get(LOCALE)
    if cached is not None:
        return cached
    locales = locales_of(ctx.app)
    options = locales.request_options or locales.read_request_options(ctx.app.config.i18n)
    alias = options.alias
    cookie_locale = ctx.cookies.get(options.cookie_field, signed=False)
    locale, origin = ctx.query.get(options.query_field), "query"
    if not locale:
        locale, origin = cookie_locale, "cookie"
    if not locale:
        locale, origin = _from_header(ctx.get("accept-language"), locales, alias), "header"
    if not locale:
        locale, origin = locales.default_locale, "default"
    locale = format_locale(alias.get(locale, locale))
    if locale not in locales.resources:
        locale = locales.default_locale
    if options.write_cookie and cookie_locale != locale:
        write_locale_cookie(ctx, locale)
    ctx.__dict__[LOCALE] = (locale, origin)
    return locale, origin


def _from_header(header: str, locales: Locales, alias: Mapping[str, str]) -> str | None:
    for language in accepted_languages(header):
        if language != "*" and (format_locale(language) in locales.resources or language in alias):
            return format_locale(language)
    return None


def locale_cookie_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """How the locale cookie is written (koa-locales): readable by page scripts, unsigned."""
    return {
        "http_only": False,
        "max_age": duration_seconds(options.get("cookie_max_age") or "1y"),
        "signed": False,
        "domain": options.get("cookie_domain") or None,
        "overwrite": True,
    }


def write_locale_cookie(ctx: Context, locale: str) -> None:
    locales = locales_of(ctx.app)
    options = locales.request_options or locales.read_request_options(ctx.app.config.i18n)
    ctx.cookies.set(options.cookie_field, locale, locales.cookie_options)


def set_request_locale(ctx: Context, locale: str) -> None:
    ctx.__dict__[LOCALE] = (locale, "set")
    write_locale_cookie(ctx, locale)
