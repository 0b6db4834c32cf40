"""JSONP (egg-jsonp, jsonp-body): a JSON body becomes `/**/ typeof cb === 'function' && cb(…);`.

The callback name comes from the query (`_callback`, then `callback`); it must be a JavaScript name
path (letters, digits, `_`, `$`, `.`, `[`, `]`) of at most `limit` characters, or the request is refused
with a 400: egg strips the other characters and cuts the name short instead, which can call a function
the page never named. A route may also demand a referrer from `white_list` or a valid CSRF token.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from eggbin.web.http_error import HttpError

CALLBACK = re.compile(r"^[\w$.\[\]]+$", re.ASCII)
Referrer = Callable[[str], bool]


def jsonp_body(body: Any, callback: str) -> str:
    """`body` as JSON, called through `callback`; `/**/` defeats Rosetta-Flash, U+2028/9 are escaped."""
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str)
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return f"/**/ typeof {callback} === 'function' && {callback}({text});"


def callback_of(query: Mapping[str, str], names: list[str], limit: int) -> str | None:
    """The first callback the query names, checked; `None` when it names none."""
    for name in names:
        callback = query.get(name)
        if callback:
            if len(callback) > limit or not CALLBACK.match(callback):
                raise HttpError(
                    400,
                    f"invalid jsonp callback: use at most {limit} letters, digits, `_`, `$`, `.`, `[` or `]`",
                )
            return callback
    return None


def referrer_check(white_list: Any) -> Referrer | None:
    """egg-jsonp's referrer rule: a regex searched in the referrer, `.example.com` for the domain and its
    subdomains, `example.com` for that host only."""
    if not white_list:
        return None
    items = list(white_list) if isinstance(white_list, list | tuple) else [white_list]

    def allowed(referrer: str) -> bool:
        hostname = (urlsplit(referrer).hostname or "").lower() if referrer else ""
        for item in items:
            if isinstance(item, re.Pattern):
                if item.search(referrer):
                    return True
            elif item.startswith("."):
                if hostname.endswith(item.lower()) or hostname == item[1:].lower():
                    return True
            elif hostname and hostname == item.lower():
                return True
        return False

    return allowed
