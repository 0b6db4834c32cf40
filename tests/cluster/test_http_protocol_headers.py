"""The workers' response path (`CheckedHeadCycle`) against uvicorn's own, byte for byte.

Each case is one raw ASGI app's response, served in-process once by uvicorn's `HttpToolsProtocol` and
once by `LimitedHttpProtocol` over a transport that records what is written: the bytes on the wire,
whether the connection was closed, and what each `send` raised inside the app must be the same. The
bad headers (CR, LF, NUL and other control bytes in values, separators in names, non-bytes) must
raise uvicorn's `RuntimeError` in both. One test then serves such an app over a real socket.
"""

from __future__ import annotations

import asyncio
import http
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from eggbin.cluster import checked_head
from eggbin.cluster.checked_head import CheckedHeadCycle
from eggbin.cluster.http_protocol import LimitedHttpProtocol
from eggbin.web.header_lines import PAIRS, PROVEN_LINES, prove
from eggbin.web.tracer import trace_ids
from tests.rawhttp import connect, head
from tests.support import free_port, kill_tree, port_accepts, wait_until

GET = head("/p?q=1")
LENGTH_2 = (b"content-length", b"2")
Message = dict[str, Any]


class RecordingTransport(asyncio.Transport):
    """Keeps what is written (refusing what a socket refuses); reports a TCP peer as a socket would."""

    PEER = {"peername": ("127.0.0.1", 50000), "sockname": ("127.0.0.1", 7001)}

    def __init__(self) -> None:
        super().__init__()
        self.written: list[bytes] = []
        self.closed = self.paused = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self.PEER.get(name, default)

    def write(self, data: Any) -> None:
        if not isinstance(data, bytes | bytearray | memoryview):
            raise TypeError(f"data argument must be a bytes-like object, not {type(data).__name__!r}")
        self.written.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:  # after `close`: uvicorn asks before it arms its keep-alive timer
        return self.closed

    def pause_reading(self) -> None:  # pipelined requests: uvicorn pauses until the response in flight ends
        self.paused = True

    def resume_reading(self) -> None:
        self.paused = False


def served(
    protocol_class: type[HttpToolsProtocol],
    messages: list[Message],
    request: bytes = GET,
    default_headers: list[tuple[bytes, bytes]] | None = None,
) -> tuple[bytes, bool, list[str], int]:
    """(bytes written, connection closed, what each `send` raised, requests answered in uvicorn's count)
    for an app sending `messages` to each request of `request` (pipelined requests too)."""
    raised: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        for message in messages:
            if isinstance(message, Exception):
                raise message  # the app's own failure, between two messages
            try:
                await send(message)
            except Exception as exc:
                raised.append(f"{type(exc).__name__}: {exc}")
                raise

    async def main() -> tuple[bytes, bool, int]:
        config = uvicorn.Config(app=app, lifespan="off", proxy_headers=False, log_config=None)
        config.load()
        state = ServerState()
        state.default_headers = list(default_headers or [])
        protocol = protocol_class(config=config, server_state=state, app_state={})
        transport = RecordingTransport()
        protocol.connection_made(transport)
        protocol.data_received(request)
        async with asyncio.timeout(10):
            while state.tasks:
                await asyncio.sleep(0)
        protocol.connection_lost(None)
        return b"".join(transport.written), transport.closed, state.total_requests

    written, closed, answered = asyncio.run(main())
    return written, closed, raised, answered


def start(headers: Any, status: Any = 200) -> Message:
    return {"type": "http.response.start", "status": status, "headers": headers}


def body(content: Any = b"hi", more: bool = False) -> Message:
    return {"type": "http.response.body", "body": content, "more_body": more}


class HeaderIterable:
    """Headers that are neither a list nor a tuple (ASGI allows any iterable)."""

    def __init__(self, *headers: tuple[bytes, bytes]) -> None:
        self.headers = headers

    def __iter__(self) -> Iterator[tuple[bytes, bytes]]:
        return iter(self.headers)


PLAIN = [start([(b"content-type", b"text/plain"), LENGTH_2]), body()]
BAD_HEADERS = {
    "CR in a value": [(b"x-a", b"a\rb"), LENGTH_2],
    "LF in a value": [(b"x-a", b"a\nset-cookie: evil=1"), LENGTH_2],
    "CRLF in a value": [LENGTH_2, (b"x-a", b"a\r\n\r\nHTTP/1.1 200 OK")],
    "NUL in a value": [(b"x-a", b"a\x00b"), LENGTH_2],
    "DEL in a value": [(b"x-a", b"\x7f"), LENGTH_2],
    "ESC in a value": [(b"x-a", b"\x1b[31m"), LENGTH_2],
    "space in a name": [(b"x a", b"1"), LENGTH_2],
    "colon in a name": [(b"x:a", b"1"), LENGTH_2],
    "CRLF in a name": [(b"x\r\na", b"1"), LENGTH_2],
    "NUL in a name": [(b"x\x00", b"1"), LENGTH_2],
    "bad value then bad name": [(b"x-a", b"\n"), (b"x b", b"1"), LENGTH_2],
    "bad name then bad value": [(b"x b", b"1"), (b"x-a", b"\n"), LENGTH_2],
    "bad content-length value": [(b"content-length", b"2\r\nx: 1")],
}
CASES: dict[str, list[Message]] = {
    "plain": PLAIN,
    "names lower-cased": [start([(b"Content-Length", b"2"), (b"X-Trace", b"AbC")]), body()],
    "tab and latin-1 in values": [start([(b"x-a", b"a\tb \xe9\xff"), LENGTH_2]), body()],
    "empty name and value": [start([(b"", b""), LENGTH_2]), body()],
    "token characters in names": [start([(b"x_a!#$%&'*+.^`|~", b"1"), LENGTH_2]), body()],
    "a high byte in a name": [start([(b"x-\xe9", b"1"), LENGTH_2]), body()],
    "non-printable latin-1 in values": [start([(b"x-a", b"\x80\x9f\xa0\xad"), LENGTH_2]), body()],
    "quotes and separators in values": [start([(b"x-a", b'a="b"; c=(d), <e>'), LENGTH_2]), body()],
    "headers as a tuple": [start(((b"x-a", b"1"), LENGTH_2)), body()],
    "headers from an iterable": [start(HeaderIterable((b"x-a", b"1"), LENGTH_2)), body()],
    "no headers key": [{"type": "http.response.start", "status": 204}, body(b"")],
    "status as HTTPStatus": [start([LENGTH_2], http.HTTPStatus.CREATED), body()],
    "unknown status": [start([LENGTH_2], 999), body()],
    "body in parts": [start([(b"content-length", b"5")]), body(b"he", True), body(b"llo")],
    "body longer than its length": [start([LENGTH_2]), body(b"hello")],
    "body shorter than its length": [start([(b"content-length", b"5")]), body(b"hi")],
    "body as str": [start([LENGTH_2]), body("hi")],
    "body as None": [start([LENGTH_2]), body(None)],
    "two content-lengths": [start([(b"content-length", b"2"), (b"content-length", b"9")]), body()],
    "content-length with spaces": [start([(b"content-length", b" 2")]), body()],
    "content-length not a number": [start([(b"content-length", b"two")]), body()],
    "content-length as str": [start([("content-length", "2")]), body()],
    "no content-length: chunked": [start([(b"x-a", b"1")]), body(b"he", True), body(b"llo")],
    "transfer-encoding chunked": [start([(b"transfer-encoding", b"chunked")]), body()],
    "connection close": [start([(b"connection", b"close"), LENGTH_2]), body()],
    "name as str": [start([("x-a", b"1"), LENGTH_2]), body()],
    "value as str": [start([(b"x-a", "1"), LENGTH_2]), body()],
    "value as int": [start([(b"x-a", 1), LENGTH_2]), body()],
    "a header of three items": [start([(b"x-a", b"1", b"2"), LENGTH_2]), body()],
    "a header of one item": [start([(b"x-a",), LENGTH_2]), body()],
    "bytearray name": [start([(bytearray(b"x-a"), b"1"), LENGTH_2]), body()],
    "body before start": [body()],
    "start twice": [start([LENGTH_2]), start([LENGTH_2])],
    "body after the end": [*PLAIN, body(b"more")],
    "another message after start": [start([LENGTH_2]), {"type": "http.response.trailers"}],
    "no type": [{"status": 200, "headers": [LENGTH_2]}],
    **{name: [start(headers), body()] for name, headers in BAD_HEADERS.items()},
}
REQUESTS = {
    "keep-alive GET": GET,
    "HTTP/1.0": b"GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n",
    "HEAD": head("/", method="HEAD"),
    "three pipelined GETs": GET * 3,
}


@pytest.mark.parametrize("request_name", REQUESTS)
@pytest.mark.parametrize("case", CASES)
def test_the_workers_answer_as_uvicorn_does(case: str, request_name: str) -> None:
    request = REQUESTS[request_name]
    ours = served(LimitedHttpProtocol, CASES[case], request)
    assert ours == served(HttpToolsProtocol, CASES[case], request)


def test_default_headers_are_checked_and_sent_first() -> None:
    defaults = [(b"server", b"uvicorn"), (b"date", b"Mon, 30 Nov 2026 01:00:00 GMT")]
    ours = served(LimitedHttpProtocol, PLAIN, default_headers=defaults)
    assert ours == served(HttpToolsProtocol, PLAIN, default_headers=defaults)
    assert ours[0].startswith(b"HTTP/1.1 200 OK\r\nserver: uvicorn\r\ndate: Mon")
    bad = [(b"server", b"x\r\ny: 1")]
    assert served(LimitedHttpProtocol, PLAIN, default_headers=bad)[2] == [
        "RuntimeError: Invalid HTTP header value."
    ]


DATE = (b"date", b"Mon, 30 Nov 2026 01:00:00 GMT")
# uvicorn's default headers (its main loop sets `date`, and `server` unless turned off) are proven once
# per list; the response's own headers, and any default that is not plain, are checked as uvicorn does.
DEFAULT_CASES: dict[str, tuple[list[tuple[bytes, bytes]], list[Message]]] = {
    "date and server": ([DATE, (b"server", b"uvicorn")], PLAIN),
    "the app sends its own date and server": (
        [DATE, (b"server", b"uvicorn")],
        [start([(b"date", b"yesterday"), (b"server", b"egg"), LENGTH_2]), body()],
    ),
    "CRLF in a default": ([DATE, (b"server", b"x\r\nset-cookie: evil=1")], PLAIN),
    "a bad default name": ([DATE, (b"x y", b"1")], PLAIN),
    "a default in upper case": ([(b"Date", DATE[1])], PLAIN),
    "a default connection: close": ([DATE, (b"connection", b"close")], PLAIN),
    "a default content-length": ([DATE, (b"content-length", b"2")], PLAIN),
    "date, then CRLF in the app's header": ([DATE], [start([(b"x-a", b"a\r\nb: 1"), LENGTH_2]), body()]),
}


@pytest.mark.parametrize("case", DEFAULT_CASES)
def test_default_headers_proven_once_answer_as_uvicorn_does(case: str) -> None:
    defaults, messages = DEFAULT_CASES[case]
    for _ in range(2):  # the second response finds the defaults proven (or refused) already
        ours = served(LimitedHttpProtocol, messages, default_headers=defaults)
        assert ours == served(HttpToolsProtocol, messages, default_headers=defaults)
    if "CRLF" in case or "bad" in case:
        assert ours[2][0].startswith("RuntimeError: Invalid HTTP header")
        assert b"evil" not in ours[0]


def test_default_headers_changed_in_place_are_checked_again() -> None:
    defaults = [DATE]
    served(LimitedHttpProtocol, PLAIN, default_headers=defaults)
    assert checked_head._proven_defaults[0] == defaults
    defaults.append((b"server", b"x\r\nset-cookie: evil=1"))
    ours = served(LimitedHttpProtocol, PLAIN, default_headers=defaults)
    assert ours[2] == ["RuntimeError: Invalid HTTP header value."]
    assert ours == served(HttpToolsProtocol, PLAIN, default_headers=defaults)


def test_a_new_trace_id_is_proven_and_a_users_x_request_id_still_checked() -> None:
    own = trace_ids("x-request-id").new()
    pair = PAIRS[("x-request-id", own)]
    assert pair in PROVEN_LINES
    cases = [
        [start([pair, LENGTH_2]), body()],
        [start([pair, (b"x-request-id", b"a\r\nset-cookie: evil=1"), LENGTH_2]), body()],
        [start([(b"x-request-id", own.encode() + b"\r\nset-cookie: evil=1"), LENGTH_2]), body()],
        [start([(b"X-Request-Id", own.encode()), pair, LENGTH_2]), body()],
    ]
    for messages in cases:
        ours = served(LimitedHttpProtocol, messages, default_headers=[DATE])
        assert ours == served(HttpToolsProtocol, messages, default_headers=[DATE])
        assert b"evil" not in ours[0]
    assert served(LimitedHttpProtocol, cases[0])[0].startswith(
        b"HTTP/1.1 200 OK\r\nx-request-id: " + own.encode() + b"\r\ncontent-length: 2\r\n"
    )


@pytest.mark.parametrize("case", BAD_HEADERS)
def test_a_bad_header_raises_uvicorns_error_and_writes_nothing(case: str) -> None:
    written, closed, raised, _ = served(LimitedHttpProtocol, [start(BAD_HEADERS[case]), body()])
    assert (written, closed) == (b"", True)
    assert raised[0] in (f"RuntimeError: Invalid HTTP header {part}." for part in ("name", "value"))


def test_a_plain_response_takes_the_one_pass_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast path is taken (uvicorn's `send` is not called) and writes what uvicorn writes."""
    expected = served(HttpToolsProtocol, PLAIN)

    async def refuse(*args: object) -> None:
        raise AssertionError("uvicorn's send was called")

    monkeypatch.setattr(f"{CheckedHeadCycle.__module__}.RequestResponseCycle.send", refuse)
    assert served(LimitedHttpProtocol, PLAIN) == expected
    assert expected[0] == b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nhi"
    pipelined = served(LimitedHttpProtocol, PLAIN, GET * 3)
    assert (pipelined[0], pipelined[3]) == (expected[0] * 3, 3)  # each response starts the next request


def test_a_plain_response_is_one_write_and_a_stream_is_not_held(monkeypatch: pytest.MonkeyPatch) -> None:
    """A plain response's head waits for its body (one write, one TCP segment, as Node sends it); a
    response without a length (a stream, server-sent events) has its head written at once."""
    writes: list[bytes] = []
    monkeypatch.setattr(RecordingTransport, "write", lambda self, data: writes.append(bytes(data)))
    served(LimitedHttpProtocol, PLAIN)
    assert writes == [b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nhi"]
    writes.clear()
    served(LimitedHttpProtocol, [start([(b"content-length", b"5")]), body(b"he", True), body(b"llo")])
    assert writes == [b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhe", b"llo"]
    writes.clear()
    served(LimitedHttpProtocol, CASES["no content-length: chunked"])
    assert len(writes) == 3
    assert writes[0].endswith(b"transfer-encoding: chunked\r\n\r\n")


def test_an_app_failing_after_its_start_writes_no_head() -> None:
    """The held head of an app that raises before its body is dropped and the connection closed: the
    client sees no half response (Node's `headersSent` case); uvicorn writes the head, then closes."""
    failing: list[Any] = [start([LENGTH_2]), ValueError("the app's bug")]
    assert served(LimitedHttpProtocol, failing) == (b"", True, [], 0)
    assert served(HttpToolsProtocol, failing)[:2] == (b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n", True)


RAW_APP = """
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    value = {"/cr": b"a\\rb", "/lf": b"a\\nb", "/nul": b"a\\x00b"}.get(scope["path"], b"fine")
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"x-a", value), (b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})
"""


@pytest.fixture
def raw_app_port(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """`RAW_APP` served by uvicorn on the workers' protocol, in its own process group."""
    (tmp_path / "raw_app.py").write_text(RAW_APP)
    port = free_port()
    argv = [sys.executable, "-m", "uvicorn", "raw_app:app", "--port", str(port), "--no-proxy-headers"]
    argv += ["--http", "eggbin.cluster.http_protocol:LimitedHttpProtocol", "--lifespan", "off"]
    argv += ["--no-access-log"]
    log = tmp_path / "stderr.log"
    with log.open("wb") as errors:
        server = subprocess.Popen(
            argv, cwd=tmp_path, env=dict(os.environ), start_new_session=True, stderr=errors
        )
    try:
        wait_until(lambda: port_accepts(port) or server.poll() is not None, timeout=30, what="uvicorn")
        assert server.poll() is None, log.read_text()
        yield port, log
    finally:
        kill_tree(server)


def test_over_a_real_socket_a_cr_lf_or_nul_header_closes_the_connection_unanswered(
    raw_app_port: tuple[int, Path],
) -> None:
    port, log = raw_app_port
    for path in ("/cr", "/lf", "/nul"):
        with connect(port) as sock:
            sock.sendall(head(path))
            assert sock.recv(65536) == b"", path  # closed, nothing written: uvicorn's behaviour
    with connect(port) as sock:
        sock.sendall(head("/"))
        answer = b""
        while not answer.endswith(b"ok"):
            chunk = sock.recv(65536)
            assert chunk, answer
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"\r\nx-a: fine\r\n" in answer
    wait_until(lambda: log.read_text().count("Exception in ASGI application") >= 3, timeout=10, what="logs")
    assert log.read_text().count("RuntimeError: Invalid HTTP header value.") == 3, log.read_text()


# Headers proven at boot (`eggbin.web.header_lines`): the protocol writes their lines unchecked, so the
# headers around them, and any header that only looks like one, must still be checked as uvicorn does.
PROVEN = prove("x-frame-options", "SAMEORIGIN")
PROVEN_CASES: dict[str, list[Message]] = {
    "proven and plain": [start([PROVEN, LENGTH_2, (b"x-a", b"1")]), body()],
    "proven, then CRLF in a value": [start([PROVEN, (b"x-a", b"a\r\nset-cookie: evil=1"), LENGTH_2]), body()],
    "proven, then a bad name": [start([LENGTH_2, PROVEN, (b"x a", b"1")]), body()],
    "a proven name, CRLF in its value": [
        start([(b"x-frame-options", b"SAMEORIGIN\r\nset-cookie: evil=1"), LENGTH_2]),
        body(),
    ],
    "a proven value, a bad name": [start([(b"x-frame-options\r\nx", b"SAMEORIGIN"), LENGTH_2]), body()],
    "a proven pair in upper case": [start([(b"X-Frame-Options", b"SAMEORIGIN"), LENGTH_2]), body()],
    "a proven pair as a list": [start([[b"x-frame-options", b"SAMEORIGIN"], LENGTH_2]), body()],
    "proven only: chunked": [start([PROVEN]), body(b"he", True), body(b"llo")],
    "proven, two content-lengths": [start([LENGTH_2, PROVEN, (b"content-length", b"2")]), body()],
}


@pytest.mark.parametrize("case", PROVEN_CASES)
def test_headers_around_proven_ones_are_checked_as_uvicorn_does(case: str) -> None:
    ours = served(LimitedHttpProtocol, PROVEN_CASES[case])
    assert ours == served(HttpToolsProtocol, PROVEN_CASES[case])
    if "CRLF" in case or "bad name" in case:
        assert ours[2]
        assert ours[2][0].startswith("RuntimeError: Invalid HTTP header")
        assert b"evil" not in ours[0]


def test_a_proven_header_is_written_from_its_line() -> None:
    """Equal pairs share the proven line: a pair built per request is found like the boot's own."""
    assert prove("x-frame-options", "SAMEORIGIN") is PROVEN
    written = served(LimitedHttpProtocol, [start([(b"x-frame-options", b"SAMEORIGIN"), LENGTH_2]), body()])[0]
    assert written.startswith(b"HTTP/1.1 200 OK\r\nx-frame-options: SAMEORIGIN\r\ncontent-length: 2\r\n")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("content-length", "2"),
        ("transfer-encoding", "chunked"),
        ("connection", "close"),
        ("X-Frame-Options", "DENY"),
        ("x a", "1"),
        ("x-a", "a\r\nb"),
        ("x-a", "a\x00"),
        ("x-a", "\u20ac"),
        ("", "1"),
    ],
)
def test_framing_headers_and_unsafe_ones_are_never_proven(name: str, value: str) -> None:
    before = dict(PROVEN_LINES)
    with pytest.raises(ValueError, match="can not be proven safe"):
        prove(name, value)
    assert before == PROVEN_LINES
