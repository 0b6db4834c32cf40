"""The workers' HTTP protocol over real sockets: Node's head limits (431, 414, 408), keep-alive, and
uvicorn's forwarded-header rewrite switched off. One 1-worker cluster of `http_hostile` serves the module
(`max_header_size` 4096, `max_url_length` 1024, `headers_timeout` 2 s, `keep_alive_timeout` 3 s).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from eggbin.errors import ClusterStartError
from tests.cluster.running import Running, copy_app, running, start, stop
from tests.rawhttp import (
    Connection,
    closed_within,
    connect,
    exchange,
    head,
    read_until_closed,
    send_until_refused,
)

MAX_HEAD = 4096
MAX_URL = 1024
HEADERS_TIMEOUT = 2.0
KEEP_ALIVE_TIMEOUT = 3.0


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with running(tmp_path_factory.mktemp("protocol"), "http_hostile", workers=1) as started:
        yield started


def port_of(cluster: Running) -> int:
    return cluster.ready.port


def sized_head(size: int) -> bytes:
    """A GET head of exactly `size` bytes (request line, headers, blank line)."""
    base = head("/", {"x-pad": ""})
    return head("/", {"x-pad": "a" * (size - len(base))})


def test_a_head_at_the_limit_is_served_one_byte_more_is_431(cluster: Running) -> None:
    port = port_of(cluster)
    assert exchange(port, sized_head(MAX_HEAD)).status == 200
    refused = exchange(port, sized_head(MAX_HEAD + 1))
    assert (refused.status, refused.body) == (431, b"Request Header Fields Too Large")
    assert refused.headers["connection"] == "close"


def test_many_small_headers_over_the_limit_are_431(cluster: Running) -> None:
    many = {f"x-h{i}": "v" * 40 for i in range(120)}
    assert exchange(port_of(cluster), head("/", many)).status == 431


def test_a_head_that_arrives_in_pieces_is_measured_the_same(cluster: Running) -> None:
    for size, status in ((MAX_HEAD, 200), (MAX_HEAD + 1, 431)):
        request = sized_head(size)
        with Connection(port_of(cluster)) as connection:
            for start_at in range(0, len(request), 700):
                connection.send(request[start_at : start_at + 700])
                time.sleep(0.005)  # separate reads on the server
            assert connection.answer().status == status


def test_an_endless_header_is_refused_early_and_the_worker_keeps_serving(cluster: Running) -> None:
    port = port_of(cluster)
    with connect(port) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Huge: ")
        started = time.monotonic()
        sent = send_until_refused(sock, chunks=100 * 1024, chunk=b"a" * 1024)  # up to 100 MB
        answer = read_until_closed(sock)
        elapsed = time.monotonic() - started
    assert sent < 32 * 1024, f"the server let {sent} KB of one header in"  # loopback buffers hold a few MB
    assert answer.startswith(b"HTTP/1.1 431 ")
    assert elapsed < 10
    assert exchange(port, head("/")).status == 200


def test_endless_trailers_of_a_chunked_body_close_the_connection(cluster: Running) -> None:
    port = port_of(cluster)
    chunked = {"content-type": "application/json", "transfer-encoding": "chunked"}
    with connect(port) as sock:
        sock.sendall(head("/upload", chunked, "POST") + b"2\r\n{}\r\n0\r\nX-Trailer: ")
        started = time.monotonic()
        sent = send_until_refused(sock, chunks=100 * 1024, chunk=b"a" * 1024)  # up to 100 MB
        read_until_closed(sock)
        elapsed = time.monotonic() - started
    assert sent < 32 * 1024, f"the server let {sent} KB of one trailer in"
    assert elapsed < 10
    assert exchange(port, head("/")).status == 200


def test_a_chunked_body_with_small_trailers_is_served(cluster: Running) -> None:
    body = b'{"data": "' + b"y" * 50_000 + b'"}'
    chunks = b"".join(
        b"%x\r\n%s\r\n" % (len(part), part) for part in (body[:7], body[7:30_000], body[30_000:])
    )
    chunked = {"content-type": "application/json", "transfer-encoding": "chunked"}
    with Connection(port_of(cluster)) as connection:
        connection.send(head("/upload", chunked, "POST") + chunks + b"0\r\nX-Sum: 1\r\n\r\n")
        answer = connection.answer()
    assert (answer.status, answer.body) == (200, b'{"size":50000}')


def test_a_long_url_is_414(cluster: Running) -> None:
    port = port_of(cluster)
    assert exchange(port, head("/?q=" + "a" * (MAX_URL - 4))).status == 200
    refused = exchange(port, head("/?q=" + "a" * (MAX_URL - 3)))
    assert (refused.status, refused.body) == (414, b"URI Too Long")


def test_an_endless_url_is_414_before_it_ends(cluster: Running) -> None:
    with connect(port_of(cluster)) as sock:
        sock.sendall(b"GET /")
        sent = send_until_refused(sock, chunks=64 * 1024, chunk=b"a" * 1024)
        assert sent < 32 * 1024  # refused long before the end (loopback buffers hold a few MB)
        assert read_until_closed(sock).startswith(b"HTTP/1.1 414 ")


def test_a_trickling_head_is_408_after_headers_timeout(cluster: Running) -> None:
    port = port_of(cluster)
    with connect(port) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        sent = 0
        try:
            while time.monotonic() - started < HEADERS_TIMEOUT + 10:
                sock.sendall(b"X-Slow: 1\r\n")  # a header every 0.1 s: never ends on its own
                sent += 1
                time.sleep(0.1)
        except (BrokenPipeError, ConnectionResetError):
            pass
        elapsed = time.monotonic() - started
        answer = read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:100]
    assert HEADERS_TIMEOUT - 0.1 <= elapsed < HEADERS_TIMEOUT + 8
    assert exchange(port, head("/")).status == 200


def test_a_connection_that_sends_nothing_is_closed_silently(cluster: Running) -> None:
    with connect(port_of(cluster)) as sock:
        waited = closed_within(sock, HEADERS_TIMEOUT + 8)
        assert waited is not None
        assert waited >= HEADERS_TIMEOUT - 0.1
    with connect(port_of(cluster)) as sock:
        sock.settimeout(HEADERS_TIMEOUT + 8)
        assert read_until_closed(sock) == b""  # no 408 to a client that never spoke


def test_keep_alive_requests_spaced_out_are_never_timed_out(cluster: Running) -> None:
    with Connection(port_of(cluster)) as connection:
        started = time.monotonic()
        statuses = []
        while time.monotonic() - started < 2 * HEADERS_TIMEOUT + 0.5:
            connection.send(head("/"))
            statuses.append(connection.answer().status)
            time.sleep(0.6)
    assert set(statuses) == {200}
    assert len(statuses) >= 4


def test_an_idle_keep_alive_connection_is_closed_after_keep_alive_timeout(cluster: Running) -> None:
    with Connection(port_of(cluster)) as connection:
        for _ in range(3):  # the deadline runs from the last response, not from the connection
            connection.send(head("/"))
            assert connection.answer().status == 200
            time.sleep(0.5)
        waited = closed_within(connection.sock, KEEP_ALIVE_TIMEOUT + 8)
    assert waited is not None
    assert waited >= KEEP_ALIVE_TIMEOUT - 0.5 - 0.1


def test_a_keep_alive_request_stalled_in_its_method_is_closed_after_headers_timeout(
    cluster: Running,
) -> None:
    with Connection(port_of(cluster)) as connection:
        connection.send(head("/"))
        assert connection.answer().status == 200
        connection.send(b"GE")  # no target yet: the head's time runs from its first byte all the same
        waited = closed_within(connection.sock, HEADERS_TIMEOUT + 8)
    assert waited is not None
    assert waited >= HEADERS_TIMEOUT - 0.1


def test_a_pipelined_head_begun_before_the_response_keeps_its_start(cluster: Running) -> None:
    with Connection(port_of(cluster)) as connection:
        connection.send(head("/") + b"GET / HTTP/1.1\r\nHost: x\r\n")  # the second head only begun
        started = time.monotonic()
        assert connection.answer().status == 200
        time.sleep(HEADERS_TIMEOUT * 0.75)
        connection.send(b"X-Slow: 1\r\n")  # more of the same head, after the response: not a new start
        answer = read_until_closed(connection.sock)
        elapsed = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:100]
    # timed from the head's first byte (a restart at the later read would end at 1.75x the timeout)
    assert HEADERS_TIMEOUT - 0.1 <= elapsed < HEADERS_TIMEOUT * 1.5


def test_a_body_sent_with_the_head_is_not_counted_as_head(cluster: Running) -> None:
    body = b'{"data": "' + b"x" * 200_000 + b'"}'
    request = head("/upload", {"content-type": "application/json", "content-length": str(len(body))}, "POST")
    with Connection(port_of(cluster)) as connection:
        connection.send(request + body + head("/"))  # and a pipelined request behind it
        first = connection.answer()
        second = connection.answer()
    assert (first.status, first.body) == (200, b'{"size":200000}')
    assert second.status == 200


def test_an_oversized_pipelined_head_ends_the_connection_after_the_response_in_flight(
    cluster: Running,
) -> None:
    with connect(port_of(cluster)) as sock:
        sock.sendall(head("/") + sized_head(MAX_HEAD + 500))
        answer = read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert answer.count(b"HTTP/1.1 ") == 1
    assert answer.endswith(b"hi, hostile")


def test_forwarded_headers_are_not_trusted_with_proxy_off(cluster: Running) -> None:
    forged = {"x-forwarded-for": "6.6.6.6", "x-forwarded-proto": "https", "x-forwarded-host": "evil.test"}
    answer = exchange(port_of(cluster), head("/who", forged))
    assert answer.status == 200
    assert (
        answer.body
        == b'{"ip":"127.0.0.1","ips":[],"protocol":"http","secure":false,"host":"127.0.0.1","headers":4}'
    )


def test_a_bad_http_server_setting_fails_the_start_naming_it(tmp_path: Path) -> None:
    app_dir = copy_app(tmp_path, "http_hostile")
    config = app_dir / "config" / "default.py"
    config.write_text(config.read_text().replace('"max_header_size": 4096', '"max_header_size": "16k"'))
    process, _ = start(app_dir, tmp_path / "master.log", workers=1)
    try:
        with pytest.raises(
            ClusterStartError, match=r"`config.http_server.max_header_size` must be a positive whole"
        ):
            process.wait_ready(30)
    finally:
        stop(process)


def test_socket_helpers_see_a_closed_connection() -> None:
    left, right = socket.socketpair()
    with left, right:
        right.close()
        assert closed_within(left, 1) is not None


def test_the_default_limits_bind_the_protocol_class_itself_others_a_subclass() -> None:
    from eggbin.cluster.http_protocol import LimitedHttpProtocol
    from eggbin.web.http_server import HttpLimits

    assert LimitedHttpProtocol.with_limits(HttpLimits()) is LimitedHttpProtocol  # no class made per worker
    bound = LimitedHttpProtocol.with_limits(HttpLimits(keep_alive_timeout=3))
    assert bound is not LimitedHttpProtocol
    assert bound.limits == HttpLimits(keep_alive_timeout=3)
    assert LimitedHttpProtocol.limits == HttpLimits()
