"""Response headers proven safe once, at boot: their lines, for the workers' protocol to write as they are.

A header whose name and value config fixes (egg-security's defaults, eggbin's content types) is checked
when the app boots and kept here as the ASGI pair a response sends and the line uvicorn writes for it
(`name: value\r\n`). The workers' protocol (`eggbin.cluster.http_protocol`) looks every pair it is sent
up here by equality: a pair equal to a proven one is as safe as it, whoever built it; any other pair (a
user's header, an echoed request id, a length) is checked as before. The rules are stricter than
uvicorn's (an RFC 9110 token in lower case for the name; tab, visible ASCII and latin-1 text for the
value) so a proven line is byte for byte what uvicorn would write, and the headers that decide the
framing (`content-length`, `transfer-encoding`, `connection`) are never proven: the protocol counts them.
"""

from __future__ import annotations

import re

# RFC 9110 `token` for names (lower case: ASGI's spelling); Node's `checkInvalidHeaderChar` for values.
_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9a-z]+")
_VALUE = re.compile(r"[\t\x20-\x7e\x80-\xff]*")
FRAMING = frozenset({"content-length", "transfer-encoding", "connection"})

# (name, value) as ASGI sends them → the line on the wire. Filled at boot only, so it stays small.
PROVEN_LINES: dict[tuple[bytes, bytes], bytes] = {}


def prove(name: str, value: str) -> tuple[bytes, bytes]:
    """Check the header `name: value` once and remember its line; its ASGI pair. `ValueError` if unsafe."""
    if name in FRAMING or not _NAME.fullmatch(name) or not _VALUE.fullmatch(value):
        raise ValueError(f"response header `{name}: {value!r}` can not be proven safe once for all responses")
    pair = (name.encode("latin-1"), value.encode("latin-1"))
    for known in PROVEN_LINES:  # the pair already proven: keep one object per pair (identity is faster)
        if known == pair:
            return known
    PROVEN_LINES[pair] = b"%s: %s\r\n" % pair
    return pair
