"""The workers' responses (`CheckedHeadCycle`): uvicorn's request/response cycle, refusing the same
response headers (a CR, LF, NUL or other control byte in a value, a separator in a name) from any ASGI
app with one regex search over all names and one over all values instead of two per header. Anything
its single pass does not prove plain (a bad header, `transfer-encoding`, `connection`, no or several
`content-length`s, odd types) goes through uvicorn's own `send`, which raises exactly what uvicorn
raises. A plain response's head and its body's first part leave in one write.
Requires uvicorn's `RequestResponseCycle`; `tests/test_private_api_contracts.py` holds the contract with
the uvicorn versions pyproject.toml allows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from uvicorn.protocols.http.httptools_impl import (
    HEADER_RE,
    HEADER_VALUE_RE,
    STATUS_LINE,
    RequestResponseCycle,
)
from uvicorn.protocols.utils import get_client_addr, get_path_with_query_string

from eggbin.web.header_lines import PROVEN_LINES, lines_of

if TYPE_CHECKING:
    from uvicorn._types import ASGISendEvent

CLOSE_END = b"connection: close\r\n\r\n"
_proven_line = PROVEN_LINES.get
# uvicorn's default headers last proven (a copy: compared by value, so a list changed in place is checked
# again) and their lines. uvicorn's main loop makes a new list each second, for the new `date`.
_proven_defaults: list[Any] = [None, b""]


def _default_lines(defaults: list[tuple[bytes, bytes]]) -> bytes | None:
    """The lines of uvicorn's default headers when all are provable (checked once per list), else None."""
    if defaults == _proven_defaults[0]:
        return _proven_defaults[1]  # type: ignore[no-any-return]
    lines = lines_of(defaults)
    if lines is not None:
        _proven_defaults[:] = [list(defaults), lines]
    return lines


def _clean(names: bytes, values: bytes) -> bool:
    """uvicorn's verdict on response headers (`HEADER_RE` on names, `HEADER_VALUE_RE` on values), over
    all of them at once. Its regexes cost ~80 instructions a byte; the usual head (lower-case letters,
    digits and `-` in names, printable text in values) is proven clean in C at a fraction of that."""
    if names.replace(b"-", b"").isalnum() and values.decode("latin-1").isprintable():
        return True  # printable: no control byte (the values' only bad ones); alphanumeric: no separator
    return not (HEADER_RE.search(names) or HEADER_VALUE_RE.search(values))


class CheckedHeadCycle(RequestResponseCycle):
    """uvicorn's request/response cycle, sending a plain response (a `content-length`, clean headers)
    in one pass: the header checks are uvicorn's regexes, run once over all names and all values.

    A plain response's head is held until the app's next `send` and written with the body's first part:
    one write, one TCP segment, where uvicorn writes two (Node holds the head until the first write
    too). A response without a length (chunked: a stream, server-sent events) is written as it comes."""

    held_head = b""  # the head of a plain response, until its body's first part is sent

    async def send(self, message: ASGISendEvent) -> None:
        if not (self.flow.write_paused or self.disconnected):
            if not self.response_started:
                if message["type"] == "http.response.start" and self._send_plain_head(message):
                    return
            elif (
                not self.response_complete
                and self.chunked_encoding is False
                and message["type"] == "http.response.body"
                and self._send_plain_body(message)
            ):
                return
        if self.held_head and not self.disconnected:  # it goes out before whatever uvicorn writes or raises
            self.transport.write(self.held_head)
        self.held_head = b""
        await RequestResponseCycle.send(self, message)  # anything else: uvicorn's own checks and errors

    def _send_plain_head(self, message: Any) -> bool:
        """Write the head if one pass proves it plain; False, having changed nothing, if not."""
        status = message["status"]
        raw = message.get("headers", ())
        first = STATUS_LINE.get(status) if type(status) is int else None
        if first is None or not (type(raw) is list or type(raw) is tuple):
            return False
        lines: list[bytes] = []
        names: list[bytes] = []  # of the headers checked here (not proven): framing ones are never proven
        values: list[bytes] = []
        headers = raw
        defaults = self.default_headers
        if defaults:
            proven = _default_lines(defaults)
            if proven is None:
                headers = (*defaults, *raw)
            else:
                lines.append(proven)
        try:
            for header in headers:
                line = _proven_line(header)  # a header proven safe (`eggbin.web.header_lines`): its line
                if line is None:
                    name, value = header
                    name = name.lower()
                    names.append(name)
                    values.append(value)
                    line = b"".join((name, b": ", value, b"\r\n"))
                lines.append(line)
            if names.count(b"content-length") != 1 or b"transfer-encoding" in names or b"connection" in names:
                return False
            length = values[names.index(b"content-length")]
            if not length.isdigit() or not _clean(b"".join(names), b"".join(values)):
                return False
        except (TypeError, ValueError, AttributeError):  # not pairs of bytes: uvicorn says what is wrong
            return False
        self.response_started = True
        self.waiting_for_100_continue = False
        if self.access_log:
            scope = self.scope
            self.access_logger.info(
                '%s - "%s %s HTTP/%s" %d',
                get_client_addr(scope),
                scope["method"],
                get_path_with_query_string(scope),
                scope["http_version"],
                status,
            )
        self.expected_content_length = int(length)
        self.chunked_encoding = False
        head = b"".join((first, *lines, CLOSE_END if not self.keep_alive else b"\r\n"))
        if self.scope["method"] == "HEAD":
            self.transport.write(head)  # no body follows on the wire
        else:
            self.held_head = head
        return True

    def _send_plain_body(self, message: Any) -> bool:
        """Write a body that fits the `content-length` sent; False, having changed nothing, if not."""
        if self.scope["method"] == "HEAD":
            return False
        body = message.get("body", b"")
        more_body = message.get("more_body", False)
        if type(body) is not bytes:
            return False  # uvicorn writes or refuses it
        left = self.expected_content_length - len(body)
        if left < 0 or (left and not more_body):
            return False  # uvicorn raises: longer, or shorter, than its content-length
        self.expected_content_length = left
        if self.held_head:
            self.transport.writelines((self.held_head, body))
            self.held_head = b""
        else:
            self.transport.write(body)
        if not more_body:
            self.response_complete = True
            self.message_event.set()
            if not self.keep_alive:
                self.transport.close()
            self.on_response()  # the protocol's bookkeeping: the next pipelined request, keep-alive
        return True
