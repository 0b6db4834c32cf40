"""`ctx.cookies`: read request cookies, write `Set-Cookie`, signed by default with `config.keys` (egg's rule).

A signed cookie `name` travels with `name.sig`, an HMAC-SHA256 of `name=value` under the first key;
any key of the comma-separated `config.keys` verifies, so keys can be rotated.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from http.cookies import SimpleCookie
from typing import TYPE_CHECKING

from starlette.requests import cookie_parser

from eggbin.errors import EggbinError

if TYPE_CHECKING:
    from eggbin.web.context import Context

SAME_SITE = ("lax", "strict", "none")


class CookieKeysMissing(EggbinError):
    """A signed cookie was read or written while `config.keys` is empty."""


def sign(value: str, key: str) -> str:
    digest = hmac.new(key.encode(), value.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class Cookies:
    """The cookies of one request and the ones its response sets."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._parsed: dict[str, str] | None = None

    @property
    def _request_cookies(self) -> dict[str, str]:
        if self._parsed is None:
            self._parsed = cookie_parser(self._ctx.request.headers.get("cookie", ""))
        return self._parsed

    def _keys(self) -> list[str]:
        keys = [key.strip() for key in str(self._ctx.app.config.get("keys") or "").split(",") if key.strip()]
        if not keys:
            raise CookieKeysMissing(
                "signed cookies need `config.keys`", hint="set `keys` in config/default.py"
            )
        return keys

    def get(self, name: str, *, signed: bool = True) -> str | None:
        """The cookie's value; a signed cookie whose signature does not verify reads as `None`."""
        value = self._request_cookies.get(name)
        if value is None or not signed:
            return value
        signature = self._request_cookies.get(f"{name}.sig", "")
        payload = f"{name}={value}"
        if any(hmac.compare_digest(sign(payload, key), signature) for key in self._keys()):
            return value
        return None

    def set(
        self,
        name: str,
        value: str | None,
        *,
        signed: bool = True,
        max_age: int | None = None,
        path: str = "/",
        domain: str | None = None,
        secure: bool | None = None,
        http_only: bool = True,
        same_site: str | None = "lax",
    ) -> None:
        """Add a `Set-Cookie` (and its `.sig` when signed); `value=None` deletes the cookie."""
        if same_site is not None and same_site.lower() not in SAME_SITE:
            raise ValueError(f"same_site must be one of {SAME_SITE}, got {same_site!r}")
        check_cookie(name, value, path, domain)
        if secure is None:
            secure = self._ctx.request.secure
        attributes = (max_age, path, domain, secure, http_only, same_site)
        self._ctx.response.cookies.append(_format(name, value, *attributes))
        if signed:
            signature = None if value is None else sign(f"{name}={value}", self._keys()[0])
            self._ctx.response.cookies.append(_format(f"{name}.sig", signature, *attributes))


def check_cookie(name: str, value: str | None, path: str, domain: str | None) -> None:
    """egg-cookies' rule: name, value, path and domain hold no control character (a CR/LF would split
    the response); raises `ValueError` naming the part."""
    from eggbin.web.response import INVALID_NAME, INVALID_VALUE

    if not name or INVALID_NAME.search(name):
        raise ValueError(f"invalid cookie name {name!r}")
    for part, text in (("value", value), ("path", path), ("domain", domain)):
        if text is not None and (INVALID_VALUE.search(text) or (part != "value" and ";" in text)):
            raise ValueError(f"invalid character in the {part} of cookie `{name}`: {text!r}")


def _format(
    name: str,
    value: str | None,
    max_age: int | None,
    path: str,
    domain: str | None,
    secure: bool,
    http_only: bool,
    same_site: str | None,
) -> str:
    cookie: SimpleCookie = SimpleCookie()
    cookie[name] = "" if value is None else value
    morsel = cookie[name]
    if value is None:
        morsel["max-age"] = 0
        morsel["expires"] = "Thu, 01 Jan 1970 00:00:00 GMT"
    elif max_age is not None:
        morsel["max-age"] = max_age
    morsel["path"] = path
    if domain:
        morsel["domain"] = domain
    morsel["secure"] = secure
    morsel["httponly"] = http_only
    if same_site:
        morsel["samesite"] = same_site
    return morsel.OutputString()
