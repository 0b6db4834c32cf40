"""`ctx.cookies` (egg-cookies): read request cookies, write `Set-Cookie`, signed by default with the keys.

    ctx.cookies.set("remember", "1", max_age=60)       # remember=1; path=/; max-age=60; expires=…; httponly
    ctx.cookies.set("remember", "1", {"max_age": 60})  # egg's option object, snake_case keys
    ctx.cookies.set("remember", None)                  # deleted: empty, expired in 1970
    ctx.cookies.get("remember")                        # "1", or None when its signature fails
    ctx.cookies.set("token", secret, encrypt=True)     # encrypted (and authenticated) with the keys

A signed cookie `name` travels with `name.sig` (see `eggbin.web.keygrip`); `max_age` is in seconds
(egg: ms) and writes `Expires` too; no `SameSite` unless asked; `secure` defaults to the request's own
scheme. Defaults for every option come from `config.cookies`. Reading takes the first cookie of a name,
as egg does. A name, value, path or domain holding `;` or a control character is refused: it would
smuggle attributes or headers into the response.
"""

from __future__ import annotations

import math
import re
import time
import weakref
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from msgspec import Struct

from eggbin.errors import EggbinError
from eggbin.web.keygrip import Keygrip, keygrip

if TYPE_CHECKING:
    from eggbin.web.context import Context

SAME_SITE = ("lax", "strict", "none")
PRIORITIES = ("low", "medium", "high")
EPOCH = "Thu, 01 Jan 1970 00:00:00 GMT"
SIZE_LIMIT = 4093  # browsers' per-cookie limit (egg emits `cookieLimitExceed` beyond it)
_UNSAFE = re.compile(r"[\x00-\x1f\x7f;]")
_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class CookieKeysMissing(EggbinError):
    """A signed or encrypted cookie was read or written while `config.keys` is empty."""


class CookieError(ValueError):
    """A cookie that can not be sent as asked (bad characters, `secure` over plain HTTP, …)."""


class CookieOptions(Struct, frozen=True):
    """egg-cookies' options, snake_case; `max_age` in seconds."""

    max_age: float | str | None = None  # `"session"` or 0: a browser-session cookie
    expires: datetime | None = None
    path: str | None = "/"
    domain: str | None = None
    secure: bool | None = None  # default: the request's own scheme
    http_only: bool = True
    same_site: str | bool | None = None
    signed: bool = True
    encrypt: bool = False
    overwrite: bool = False
    priority: str | None = None
    partitioned: bool = False
    ignore_secure_error: bool = False


OPTION_NAMES = frozenset(CookieOptions.__struct_fields__)


DEFAULTS = CookieOptions()


def options_from(*layers: Mapping[str, Any] | None) -> CookieOptions:
    """`CookieOptions` from dicts merged left to right; an unknown key is an error naming its spelling."""
    merged: dict[str, Any] = {}
    for layer in layers:
        if layer:
            merged.update(layer)
    if not merged:
        return DEFAULTS
    unknown = merged.keys() - OPTION_NAMES
    if unknown:
        key = min(unknown)
        snake = re.sub(r"(?<!^)([A-Z])", r"_\1", key).lower()
        hint = f" (eggbin spells it `{snake}`)" if snake in OPTION_NAMES else ""
        raise TypeError(f"unknown cookie option `{key}`{hint}; known: {', '.join(sorted(OPTION_NAMES))}")
    return CookieOptions(**merged)


def parse_cookie_header(header: str) -> dict[str, str]:
    """`a=1; b=2` → `{"a": "1", "b": "2"}`; the first of a repeated name wins (egg reads the first)."""
    found: dict[str, str] = {}
    for item in header.split(";"):
        name, sep, value = item.strip().partition("=")
        if sep and name:
            found.setdefault(name, value.strip())
    return found


class Cookies:
    """The cookies of one request and the ones its response sets."""

    def __init__(self, ctx: Context) -> None:
        # The parts of `ctx` it uses, and `ctx` itself only weakly: `ctx` holds this object, and a cycle
        # would leave every request that reads a cookie (each CSRF-checked POST) to the cyclic GC.
        self._request = ctx.request
        self._response = ctx.response
        self._app = ctx.app
        self._ctx = weakref.ref(ctx)
        self._parsed: dict[str, str] | None = None

    @property
    def _request_cookies(self) -> dict[str, str]:
        if self._parsed is None:
            self._parsed = parse_cookie_header(self._request.headers.get("cookie", ""))
        return self._parsed

    @property
    def keys(self) -> Keygrip:
        """The app keys (`config.keys`) as a `Keygrip`."""
        keys = self._app.config.get("keys") or ""
        if not isinstance(keys, str):  # a list of keys, as some configs write it
            keys = ",".join(str(key) for key in keys)
        if not keys.strip(", "):
            raise CookieKeysMissing(
                "signed cookies need `config.keys`", hint="set `keys` in config/default.py"
            )
        return keygrip(keys)

    def _defaults(self) -> Mapping[str, Any] | None:
        defaults = self._app.config.get("cookies")
        return defaults if isinstance(defaults, Mapping) else None

    def get(self, name: str, options: Mapping[str, Any] | None = None, **kwargs: object) -> str | None:
        """The cookie's value; `None` when absent, or when its signature or encryption does not verify."""
        asked = {**options, **kwargs} if options else kwargs
        if asked.keys() - OPTION_NAMES:
            options_from(asked)  # raises, naming the unknown option
        value = self._request_cookies.get(name)
        if value is None:
            return None
        if asked.get("encrypt"):
            opened = self.keys.decrypt(value) if value else None
            return None if opened is None else opened[0]
        if asked.get("signed", True) is False:
            return value
        signature = self._request_cookies.get(f"{name}.sig")
        if not signature:
            return None
        payload = f"{name}={value}"
        index = self.keys.verify(payload, signature)
        if index < 0:  # signed by no key we know: drop the stale signature (egg does)
            self.set(f"{name}.sig", None, signed=False, overwrite=True)
            return None
        if index > 0:  # signed by an older key: sign again with the current one
            self.set(f"{name}.sig", self.keys.sign(payload), signed=False, overwrite=True)
        return value

    def set(
        self, name: str, value: object, options: Mapping[str, Any] | None = None, **kwargs: object
    ) -> Cookies:
        """Add a `Set-Cookie` (and `name.sig` when signed); `None` or `""` deletes the cookie."""
        opts = options_from(self._defaults(), options, kwargs)
        text = "" if value is None or value == "" else str(value)
        request_secure = self._request.secure
        if opts.secure and not request_secure and not opts.ignore_secure_error:
            raise CookieError("Cannot send secure cookie over unencrypted connection")
        if opts.encrypt and text:
            text = self.keys.encrypt(text)
        if len(text) > SIZE_LIMIT:
            self._limit_exceeded(name, text)
        flags = _flags(opts, request_secure if opts.secure is None else opts.secure)
        self._push(name, format_cookie(name, text, opts, flags), opts.overwrite)
        if opts.signed and not opts.encrypt:
            signature = self.keys.sign(f"{name}={text}") if text else ""
            self._push(f"{name}.sig", format_cookie(f"{name}.sig", signature, opts, flags), opts.overwrite)
        return self

    def _push(self, name: str, header: str, overwrite: bool) -> None:
        cookies = self._response.cookies
        if overwrite:
            cookies[:] = [cookie for cookie in cookies if not cookie.startswith(f"{name}=")]
        cookies.append(header)

    def _limit_exceeded(self, name: str, value: str) -> None:
        message = "CookieLimitExceedError: cookie %s's length(%d) exceed the limit(%d)"
        self._app.core_logger.error(message, name, len(value), SIZE_LIMIT)
        emit = getattr(self._app, "emit", None)
        if callable(emit):
            emit("cookie_limit_exceed", {"name": name, "value": value, "ctx": self._ctx()})


class Flags(NamedTuple):
    """The attributes that depend on the request as well as on the options."""

    secure: bool
    same_site: str | bool | None
    partitioned: bool


def _flags(opts: CookieOptions, secure: bool) -> Flags:
    """egg's rule: browsers drop `SameSite=None` without `Secure`: it is not sent then (nor `Partitioned`)."""
    same_site, partitioned = opts.same_site, opts.partitioned
    none = isinstance(same_site, str) and same_site.lower() == "none"
    if none and not secure:
        return Flags(secure, None, False)
    return Flags(secure, same_site, partitioned and none)


def http_date(timestamp: float) -> str:
    """`Thu, 01 Jan 1970 00:00:00 GMT` (what `email.utils.formatdate(usegmt=True)` says, faster)."""
    second = int(timestamp)  # what `gmtime` keeps of a timestamp >= 0
    text = _recent_dates.get(second) if timestamp >= 0 else None
    if text is None:
        t = time.gmtime(timestamp)
        clock = f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"
        text = f"{_DAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]} {t.tm_year} {clock} GMT"
        if timestamp >= 0:
            if len(_recent_dates) >= _RECENT_DATES:
                _recent_dates.clear()
            _recent_dates[second] = text
    return text


# The dates `http_date` wrote lately, by whole second: the cookies set within a second with the same
# max-age (a session's, a locale's) expire at the same second, and `gmtime` plus formatting is half the
# cost of a `Set-Cookie` line.
_RECENT_DATES = 16
_recent_dates: dict[int, str] = {}


def format_cookie(name: str, value: str, opts: CookieOptions, flags: Flags) -> str:
    """egg-cookies' `Set-Cookie` line: `name=value; path; max-age; expires; domain; …; httponly`.

    The lines of the last few seconds are kept (a locale cookie is the same line for every visitor in a
    second): a kept line was checked when it was made, and is found again only for equal inputs of the
    same types, expiring at the same second."""
    max_age = _seconds(opts.max_age)
    expires_at = math.floor(time.time() + max_age) if value and max_age else None
    kinds = (type(name), type(value), type(opts.max_age), type(flags.same_site), type(flags.secure))
    try:
        key = (name, value, opts, flags, expires_at, kinds)
        line = _recent_lines.get(key)
    except TypeError:  # an option of a type that is not hashable: formatted (and refused) as it is
        return _format_cookie(name, value, opts, flags, max_age, expires_at)
    if line is None:
        line = _format_cookie(name, value, opts, flags, max_age, expires_at)
        if len(_recent_lines) >= _RECENT_LINES:
            _recent_lines.clear()
        _recent_lines[key] = line
    return line


_RECENT_LINES = 32
_recent_lines: dict[tuple[Any, ...], str] = {}


def _format_cookie(
    name: str, value: str, opts: CookieOptions, flags: Flags, max_age: float, expires_at: int | None
) -> str:
    _check("name", name, _NAME.match(name) is not None)
    for label, text in (("value", value), ("path", opts.path), ("domain", opts.domain)):
        if text and _UNSAFE.search(text):  # a CR/LF would split the response, a `;` add an attribute
            raise CookieError(f"invalid character in the {label} of cookie `{name}`: {text!r}")
    parts = [f"{name}={value}"]
    if opts.path:
        parts.append(f"path={opts.path}")
    if not value:
        parts.append(f"expires={EPOCH}")  # deleted: expired, and no max-age
    elif expires_at is not None:
        parts.append(f"max-age={round(max_age)}")
        parts.append(f"expires={http_date(expires_at)}")
    elif opts.expires is not None:
        parts.append(f"expires={http_date(opts.expires.timestamp())}")
    if opts.domain:
        parts.append(f"domain={opts.domain}")
    if opts.priority:
        _check("priority", opts.priority, opts.priority.lower() in PRIORITIES)
        parts.append(f"priority={opts.priority.lower()}")
    if flags.same_site:
        same_site = "strict" if flags.same_site is True else str(flags.same_site).lower()
        _check("same_site", flags.same_site, same_site in SAME_SITE)
        parts.append(f"samesite={same_site}")
    on = (("secure", flags.secure), ("httponly", opts.http_only), ("partitioned", flags.partitioned))
    parts.extend(flag for flag, wanted in on if wanted)
    return "; ".join(parts)


def _seconds(max_age: float | str | None) -> float:
    """egg ignores 0, `"session"` and anything else that is not a number."""
    if isinstance(max_age, bool) or not isinstance(max_age, int | float):
        return 0.0
    return float(max_age)


def _check(label: str, value: object, ok: bool) -> None:
    if not ok:
        raise CookieError(f"cookie {label} `{value!r}` is invalid")
