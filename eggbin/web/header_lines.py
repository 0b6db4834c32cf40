"""Response headers proven safe once: their ASGI pairs and lines, which the workers' protocol writes as is.

A header whose name and value config fixes (egg-security's defaults, eggbin's content types) is checked
when the app boots and kept here as the ASGI pair a response sends (`PAIRS`, keyed by the text pair
`ctx.response.headers` holds) and the line uvicorn writes for it (`PROVEN_LINES`: `name: value\r\n`).
Values eggbin generates itself under one header (new trace ids: hex) are proven the same way a batch at a
time (`GeneratedLines`); only the last two batches are kept, so the tables stay small.
The workers' responses (`eggbin.cluster.checked_head`) look every header pair up in `PROVEN_LINES`
by equality: a pair equal to a proven one is as safe as it, whoever built it; any other pair (a user's
header, an echoed request id, a length) is checked as before. The rules are stricter than uvicorn's (an
RFC 9110 token in lower case for the name; tab, visible ASCII and latin-1 text for the value) so a proven
line is byte for byte what uvicorn would write, and the headers that decide the framing
(`content-length`, `transfer-encoding`, `connection`) are never proven: the protocol counts them.
"""

from __future__ import annotations

import re
from collections import deque
from itertools import repeat

# RFC 9110 `token` for names (lower case: ASGI's spelling); Node's `checkInvalidHeaderChar` for values.
_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9a-z]+")
_VALUE = re.compile(r"[\t\x20-\x7e\x80-\xff]*")
FRAMING = frozenset({"content-length", "transfer-encoding", "connection"})
_LINE = b"%s: %s\r\n"
_VISIBLE_ASCII = bytes(range(0x20, 0x7F))
_KEPT_BATCHES = 2  # a generated value stays proven while the next batch is handed out (requests in flight)


class EncodedPairs(dict[tuple[str, str], tuple[bytes, bytes]]):
    """(name, value) → its ASGI pair: a proven pair is found in C (the same object), any other encoded."""

    __slots__ = ()

    def __missing__(self, header: tuple[str, str]) -> tuple[bytes, bytes]:
        name, value = header
        return name.encode("latin-1"), value.encode("latin-1")


PAIRS = EncodedPairs()
# (name, value) as ASGI sends them → the line on the wire. Filled at boot, and by `GeneratedLines`.
PROVEN_LINES: dict[tuple[bytes, bytes], bytes] = {}


def provable_name(name: str) -> bool:
    """Whether a header called `name` may have its lines proven (a lower-case token, not framing)."""
    return name not in FRAMING and _NAME.fullmatch(name) is not None


def provable(name: str, value: str) -> bool:
    """Whether the header `name: value` may have its line proven once (`prove`, `lines_of`)."""
    return provable_name(name) and _VALUE.fullmatch(value) is not None


def prove(name: str, value: str) -> tuple[bytes, bytes]:
    """Check the header `name: value` once and remember its line; its ASGI pair. `ValueError` if unsafe."""
    if not provable(name, value):
        raise ValueError(f"response header `{name}: {value!r}` can not be proven safe once for all responses")
    known = PAIRS.get((name, value))
    if known is not None and known in PROVEN_LINES:  # proven already: one object per pair (faster lookups)
        return known
    pair = (name.encode("latin-1"), value.encode("latin-1"))
    PAIRS[name, value] = pair
    PROVEN_LINES[pair] = _LINE % pair
    return pair


class GeneratedLines:
    """The lines of values eggbin generates itself under the header `name`, proven a batch at a time."""

    __slots__ = ("_batches", "_raw_name", "name")

    def __init__(self, name: str) -> None:
        self.name = name
        self._raw_name = name.encode("latin-1") if provable_name(name) else None
        self._batches: deque[list[tuple[str, str]]] = deque()

    def add(self, values: list[str]) -> None:
        """Prove `values` (the batch about to be handed out); the batch before the last is forgotten.
        Nothing is proven when one of them, or the name, is unsafe: the protocol then checks them."""
        joined = "".join(values)
        if self._raw_name is None or not joined.isascii() or joined.encode().translate(None, _VISIBLE_ASCII):
            return  # only visible ASCII is proven here (stricter than `_VALUE`)
        # Per value, in C (map and zip, no bytecode): a batch costs less than checking its values one by one.
        encoded = list(map(str.encode, values))  # ASCII: UTF-8 is latin-1
        pairs = list(zip(repeat(self._raw_name), encoded))
        lines = map(b"".join, zip(repeat(self._raw_name + b": "), encoded, repeat(b"\r\n")))
        texts = list(zip(repeat(self.name), values))
        PAIRS.update(zip(texts, pairs))  # noqa: B905 - `repeat` is endless: each zip ends with its list
        PROVEN_LINES.update(zip(pairs, lines))  # noqa: B905
        self._batches.append(texts)
        if len(self._batches) > _KEPT_BATCHES:
            for text in self._batches.popleft():  # once a batch: a plain loop costs ~1 % of one request each
                pair = PAIRS.pop(text, None)  # None: gone already
                if pair is not None:
                    PROVEN_LINES.pop(pair, None)


def lines_of(pairs: list[tuple[bytes, bytes]]) -> bytes | None:
    """The lines of the ASGI `pairs` if every one is a tuple of bytes `prove` would accept, else None.
    Remembers nothing: for headers that change (uvicorn's `date`), checked once per list by the caller."""
    lines = []
    for pair in pairs:
        if type(pair) is not tuple or len(pair) != 2 or not all(type(part) is bytes for part in pair):
            return None
        if not provable(pair[0].decode("latin-1"), pair[1].decode("latin-1")):
            return None
        lines.append(_LINE % pair)
    return b"".join(lines)
