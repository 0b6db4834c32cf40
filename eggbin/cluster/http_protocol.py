"""The workers' HTTP/1.1 protocol: uvicorn's httptools protocol with Node's limits on the request head.

httptools (llhttp) bounds nothing, and it joins a header that arrives in pieces by concatenation: a
100 MB header takes seconds of one worker's loop. Node bounds the head at 16 KB (431) and times it out
(`headersTimeout`, 408); this protocol does the same, with the limits of `config.http_server`
(`eggbin.web.http_server`). The size is watched while the head streams in, so an endless header is
refused after at most one read past the limit, and the head is measured exactly once it is complete.
The trailers of a chunked body (headers too) are bounded by the same size: past it the connection is
closed. A slow client costs a socket and a timer, never the loop.

That one timer per connection also keeps uvicorn's keep-alive timeout (`keep_alive_timeout`): an idle
connection is closed when it has been idle that long, as uvicorn closes it, but the end of a response
only notes the time, where uvicorn schedules a timer for every response and cancels it at the next
read (~5k instructions a request). The timer never waits longer than the keep-alive timeout, so it is
never late for an idle stretch that starts after it was set.

Responses go through `eggbin.cluster.checked_head.CheckedHeadCycle`.
Requires uvicorn's `HttpToolsProtocol`; `tests/test_private_api_contracts.py` holds the contract with
the uvicorn versions pyproject.toml allows.
"""

from __future__ import annotations

import asyncio
from http import HTTPStatus
from typing import Any, ClassVar
from urllib.parse import unquote

import httptools
from uvicorn.protocols.http.flow_control import service_unavailable
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from eggbin.cluster.checked_head import CheckedHeadCycle
from eggbin.web.http_server import HttpLimits

REFUSE_HEADERS = b"content-type: text/plain; charset=utf-8\r\nconnection: close\r\n"
# RFC 9110's reason phrases (Python's differ between versions: 3.11 says "Request-URI Too Long").
REASONS = {
    HTTPStatus.REQUEST_TIMEOUT: b"Request Timeout",
    HTTPStatus.REQUEST_URI_TOO_LONG: b"URI Too Long",
    HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE: b"Request Header Fields Too Large",
}


class _Refused(Exception):
    """Raised inside a parser callback to stop parsing a request that is being refused."""


class LimitedHttpProtocol(HttpToolsProtocol):
    """`HttpToolsProtocol` answering 431, 414 and 408 as the module docstring says."""

    limits: ClassVar[HttpLimits] = HttpLimits()

    @classmethod
    def with_limits(cls, limits: HttpLimits) -> type[LimitedHttpProtocol]:
        """A subclass bound to `limits`, to pass as uvicorn's `http=` protocol class; this class itself for
        its own limits (the defaults: no class made in each worker's start, ~60 us)."""
        if limits == cls.limits:
            return cls
        return type(cls.__name__, (cls,), {"limits": limits})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_head = False  # between the request target's first byte and the end of the head
        self._head_since: float | None = None  # when the head we wait for started; None: not waiting
        self._head_streamed = 0  # bytes of reads that fell wholly inside the current head
        self._began_in_read = False  # the current head began in the read being parsed
        self._read_size = 0
        self._first_read_size = 0  # size of the read the current head began in
        self._refusal: HTTPStatus | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._idle_since: float | None = None  # when the last response ended; None: not idle since
        # The longest the timer waits: the keep-alive timeout (a zero one is left to uvicorn's timer).
        self._period = self.timeout_keep_alive if self.timeout_keep_alive > 0 else self.limits.headers_timeout
        self._after_chunk_header = False  # no chunk data yet since the last chunk header
        self._trailer_streamed = 0  # bytes of reads that fell wholly inside a chunked body's trailers

    # connection -------------------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_since = self.loop.time()
        self._timer = self.loop.call_later(min(self.limits.headers_timeout, self._period), self._check_time)

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_timer()
        super().connection_lost(exc)

    def handle_websocket_upgrade(self) -> None:
        self._stop_timer()  # the WebSocket protocol owns the connection from here
        super().handle_websocket_upgrade()

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    # reads ------------------------------------------------------------------------------------------
    def data_received(self, data: bytes) -> None:
        if self._refusal is not None:
            return  # refused: the rest of what the client sends is not read
        if self._idle_since is not None:  # the next request's first bytes: no longer idle, in its head
            self._idle_since = None
            if self._head_since is None:  # (a head already begun, pipelined, keeps its start)
                self._head_since = self.loop.time()
        elif self.timeout_keep_alive_task is not None:  # a zero keep-alive timeout: uvicorn's timer
            self._unset_keepalive_if_required()
        self._read_size = len(data)
        self._began_in_read = False
        in_trailers = self._after_chunk_header
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        except httptools.HttpParserError:
            if self._refusal is not None:
                self._refuse(self._refusal)
                return
            self.logger.warning("Invalid HTTP request received.")
            self.send_400_response("Invalid HTTP request received.")
            return
        if self._in_head:
            if not self._began_in_read:
                self._head_streamed += self._read_size  # the whole read was part of the head
            if self._head_streamed > self.limits.max_header_size:
                self._refuse(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE)
        elif in_trailers and self._after_chunk_header:  # a read of trailers only: headers after the body
            self._trailer_streamed += self._read_size
            if self._trailer_streamed > self.limits.max_header_size:
                self.logger.debug("%s trailers over max_header_size: connection closed", self.client)
                self.transport.close()  # mid-request: no answer fits; the app sees a disconnect

    # parser callbacks -------------------------------------------------------------------------------
    def on_chunk_header(self) -> None:
        # Chunk data follows, or, after the last (empty) chunk, trailers: headers httptools joins piece
        # by piece exactly as it does the head's, so they are bounded the same way.
        self._after_chunk_header = True
        self._trailer_streamed = 0

    def on_body(self, body: bytes) -> None:
        self._after_chunk_header = False
        HttpToolsProtocol.on_body(self, body)

    def on_chunk_complete(self) -> None:
        self._after_chunk_header = False  # after a chunk's data, or after the trailers

    def on_url(self, url: bytes) -> None:
        # The head's bookkeeping starts with its target rather than in `on_message_begin`: one Python
        # call less per request (a few method bytes before it do not matter).
        if not self.url:
            self._in_head = True
            self._began_in_read = True
            self._head_streamed = 0
            self._first_read_size = self._read_size
            if self._head_since is None:  # a pipelined request: its head starts now
                self._head_since = self.loop.time()
        self.url += url
        if len(self.url) > self.limits.max_url_length:
            self._refusal = HTTPStatus.REQUEST_URI_TOO_LONG
            raise _Refused

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._head_since = None
        # Reads the head spanned, whole: an upper bound of its size. Measured exactly only beyond it.
        spanned = (
            self._first_read_size + self._head_streamed + (0 if self._began_in_read else self._read_size)
        )
        if spanned > self.limits.max_header_size and self._head_size() > self.limits.max_header_size:
            self._refusal = HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
            raise _Refused
        # What uvicorn's `on_headers_complete` does (same scope, 503 past `limit_concurrency`, pipelining),
        # inline, answering through `CheckedHeadCycle`.
        parser, scope = self.parser, self.scope
        http_version = parser.get_http_version()
        scope["method"] = parser.get_method().decode("ascii")
        if http_version != "1.1":
            scope["http_version"] = http_version
        if parser.should_upgrade() and self._should_upgrade():
            return  # `data_received` hands the connection to the WebSocket protocol
        url = httptools.parse_url(self.url)
        path = url.path.decode("ascii")
        scope["path"] = self.root_path + (unquote(path) if "%" in path else path)
        scope["raw_path"] = self.root_path.encode("ascii") + url.path
        scope["query_string"] = url.query or b""
        app = self.app
        limit = self.limit_concurrency
        if limit is not None and (len(self.connections) >= limit or len(self.tasks) >= limit):
            app = service_unavailable
            self.logger.warning("Exceeded concurrency limit.")
        previous = self.cycle
        self.cycle = CheckedHeadCycle(
            scope=scope,
            transport=self.transport,
            flow=self.flow,
            logger=self.logger,
            access_logger=self.access_logger,
            access_log=self.access_log,
            default_headers=self.server_state.default_headers,
            message_event=asyncio.Event(),
            expect_100_continue=self.expect_100_continue,
            keep_alive=http_version != "1.0" and parser.should_keep_alive(),
            on_response=self.on_response_complete,
        )
        if previous is None or previous.response_complete:
            self._start_asgi_task(self.cycle, app)
        else:  # a pipelined request waits for the response in flight
            self.flow.pause_reading()
            self.pipeline.appendleft((self.cycle, app))

    def on_response_complete(self) -> None:
        """uvicorn's, noting when the connection went idle instead of scheduling its keep-alive timer."""
        self.server_state.total_requests += 1
        if self.transport.is_closing():
            return
        self.flow.resume_reading()
        if self.pipeline:
            cycle, app = self.pipeline.pop()
            self._start_asgi_task(cycle, app)
        elif self.timeout_keep_alive > 0:
            self._idle_since = self.loop.time()
        else:  # closed once the loop has run, unless the next request came: uvicorn's timer does it
            self.timeout_keep_alive_task = self.loop.call_later(0, self.timeout_keep_alive_handler)

    def _head_size(self) -> int:
        """The head's size as sent: request line, then `name: value` lines, then the blank line."""
        line = len(self.parser.get_method()) + len(self.url) + len(b"  HTTP/1.1\r\n")
        return line + sum(len(name) + len(value) + 4 for name, value in self.headers) + 2

    # time -------------------------------------------------------------------------------------------
    def _check_time(self) -> None:
        """Close a connection idle for the keep-alive timeout, refuse a head late for the headers
        timeout; else check again at the next deadline, at most a keep-alive timeout from now."""
        self._timer = None
        if self.transport.is_closing():
            return
        now = self.loop.time()
        keep_alive = self.timeout_keep_alive
        if self._idle_since is None:
            next_check = now + self._period
        elif now - self._idle_since >= keep_alive:
            self.transport.close()  # as uvicorn's `timeout_keep_alive_handler`
            return
        else:
            next_check = self._idle_since + keep_alive
        if self._head_since is not None:
            timeout = self.limits.headers_timeout
            if now - self._head_since >= timeout:
                if self._in_head:
                    self._refuse(HTTPStatus.REQUEST_TIMEOUT)
                else:  # no request (not even its target) came: nothing to answer
                    self.transport.close()
                return
            next_check = min(next_check, self._head_since + timeout)
        self._timer = self.loop.call_at(next_check, self._check_time)

    # refusing ---------------------------------------------------------------------------------------
    def _refuse(self, status: HTTPStatus) -> None:
        """Answer `status` and close; if a response is still being written, close after it instead."""
        self._refusal = status
        self._in_head = False
        self._head_since = None
        self.logger.debug("%s %s: refused", self.client, status.phrase)
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.keep_alive = False  # a pipelined head: the response in flight ends the connection
            self.flow.pause_reading()
            return
        body = REASONS[status]
        head = [b"HTTP/1.1 %d %s\r\n" % (status.value, body)]
        head.extend(b"%s: %s\r\n" % (name, value) for name, value in self.server_state.default_headers)
        head.append(REFUSE_HEADERS + b"content-length: %d\r\n\r\n" % len(body))
        self.transport.write(b"".join(head) + body)
        self.transport.close()
