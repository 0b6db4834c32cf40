"""The chaos tier, network side: hostile clients against a real 2-worker cluster while well-behaved
clients keep requesting. Failures allowed for the well-behaved: none; and none of them waits long.

`http_hostile` serves with `max_header_size` 4096, `max_url_length` 1024, `headers_timeout` 2 s.
"""

from __future__ import annotations

import itertools
import selectors
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.cluster.running import START_TIMEOUT, Load, Running, copy_app, running, start, stop
from tests.rawhttp import connect, head, read_until_closed, send_until_refused

HEADERS_TIMEOUT = 2.0
LONGEST_WAIT = 5.0  # seconds well-behaved clients may go without an answer (the stalls fixed were 7 s+)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with running(tmp_path_factory.mktemp("hostile"), "http_hostile", workers=2) as started:
        yield started


@contextmanager
def well_behaved(cluster: Running) -> Iterator[Load]:
    """Keep-alive clients requesting `/` back to back; on exit: none failed, none stalled."""
    with Load(cluster.url, clients=4) as load:
        load.wait_for(20)
        yield load
        load.wait_for(20)  # still served after the hostile clients did their worst
    assert load.failures() == []
    times = sorted(at for at, _, _ in load.results)
    longest = max(later - earlier for earlier, later in itertools.pairwise(times))
    assert longest < LONGEST_WAIT, f"well-behaved clients waited {longest:.1f} s for an answer"


@dataclass
class Storm:
    """`count` connections, each sending `piece` every `interval` until the server closes it."""

    port: int
    count: int
    piece: bytes
    interval: float = 0.2
    first: bytes = b"GET / HTTP/1.1\r\nHost: x\r\n"
    answers: dict[int, bytes] = field(default_factory=dict)
    closed_after: dict[int, float] = field(default_factory=dict)

    def run(self, deadline: float) -> None:
        selector = selectors.DefaultSelector()
        started = time.monotonic()
        sockets = []
        for _ in range(self.count):
            sock = connect(self.port)
            sock.sendall(self.first)
            sock.setblocking(False)
            selector.register(sock, selectors.EVENT_READ)
            sockets.append(sock)
        try:
            while selector.get_map() and time.monotonic() - started < deadline:
                for key, _ in selector.select(timeout=self.interval):
                    self._read(selector, key.fileobj, started)  # type: ignore[arg-type]
                for sock in [key.fileobj for key in selector.get_map().values()]:
                    try:
                        sock.send(self.piece)  # type: ignore[union-attr]
                    except OSError:
                        self._read(selector, sock, started)  # type: ignore[arg-type]
        finally:
            for sock in sockets:
                sock.close()
            selector.close()

    def _read(self, selector: selectors.BaseSelector, sock: socket.socket, started: float) -> None:
        try:
            data = sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if data:
            self.answers[sock.fileno()] = self.answers.get(sock.fileno(), b"") + data
            return
        self.closed_after[sock.fileno()] = time.monotonic() - started
        selector.unregister(sock)


def in_thread(target: Callable[[], object]) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def test_a_slow_client_storm_is_cut_at_headers_timeout(cluster: Running) -> None:
    storm = Storm(cluster.ready.port, count=150, piece=b"X-Slow: 1\r\n")
    with well_behaved(cluster):
        storm.run(deadline=HEADERS_TIMEOUT + 20)
    assert len(storm.closed_after) == 150, "some slow clients were never cut off"
    assert all(HEADERS_TIMEOUT - 0.1 <= after < HEADERS_TIMEOUT + 20 for after in storm.closed_after.values())
    assert all(answer.startswith(b"HTTP/1.1 408 ") for answer in storm.answers.values())


def test_clients_that_never_speak_are_closed_silently(cluster: Running) -> None:
    storm = Storm(cluster.ready.port, count=300, piece=b"", first=b"")
    with well_behaved(cluster):
        storm.run(deadline=HEADERS_TIMEOUT + 20)
    assert len(storm.closed_after) == 300
    assert storm.answers == {}


def endless_header(port: int, results: list[bytes]) -> None:
    with connect(port) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Huge: ")
        send_until_refused(sock, chunks=100 * 1024, chunk=b"a" * 1024)  # up to 100 MB
        results.append(read_until_closed(sock)[:40])


def long_url(port: int, results: list[bytes]) -> None:
    with connect(port) as sock:
        sock.sendall(b"GET /" + b"a" * 200_000 + b" HTTP/1.1\r\n")
        results.append(read_until_closed(sock)[:40])


def many_headers(port: int, results: list[bytes]) -> None:
    with connect(port) as sock:
        sock.sendall(head("/", {f"x-h{i}": "v" * 100 for i in range(1000)}))
        results.append(read_until_closed(sock)[:40])


def endless_trailer(port: int, results: list[bytes]) -> None:
    chunked = {"content-type": "application/json", "transfer-encoding": "chunked"}
    with connect(port) as sock:
        sock.sendall(head("/upload", chunked, "POST") + b"2\r\n{}\r\n0\r\nX-Trailer: ")
        sent = send_until_refused(sock, chunks=100 * 1024, chunk=b"a" * 1024)
        read_until_closed(sock)
        results.append(b"closed" if sent < 100 * 1024 else b"read it all")


def test_oversized_heads_and_request_lines_are_refused_without_stalling_anyone(cluster: Running) -> None:
    results: list[bytes] = []
    attackers = [endless_header, long_url, many_headers, endless_trailer] * 2
    with well_behaved(cluster):
        for _ in range(3):
            threads = [in_thread(lambda a=attack: a(cluster.ready.port, results)) for attack in attackers]
            for thread in threads:
                thread.join(60)
    statuses = sorted(answer[:12] for answer in results)
    assert statuses == sorted([b"HTTP/1.1 431", b"HTTP/1.1 431", b"HTTP/1.1 414", b"closed"] * 2 * 3)


def test_forged_forwarded_headers_change_nothing_with_proxy_off(cluster: Running) -> None:
    forged = {
        "x-forwarded-for": "6.6.6.6",
        "x-forwarded-proto": "https",
        "x-forwarded-host": "evil.test",
        "forwarded": "for=6.6.6.6;proto=https",
        "x-real-ip": "6.6.6.6",
    }
    with well_behaved(cluster), httpx.Client(base_url=cluster.url, timeout=15) as client:
        for _ in range(20):  # both workers
            who = client.get("/who", headers=forged).json()
            assert (who["ip"], who["ips"], who["protocol"], who["secure"]) == ("127.0.0.1", [], "http", False)
            assert who["host"] == cluster.url.split("//")[1]


HOSTILE_TARGETS = [
    "//evil.test/",
    "///evil.test",
    "////evil.test",
    "/\\/evil.test",
    "/\\evil.test",
    "/\t/evil.test",
    "/\r\n/evil.test",
    "https:evil.test",
    "http:/\\evil.test",
    "https://trusted.test@evil.test/",
    "//evil\u3002test",
    "javascript:alert(1)",
]


def test_hostile_redirects_go_home(cluster: Running) -> None:
    with well_behaved(cluster), httpx.Client(base_url=cluster.url, timeout=15) as client:
        for target in HOSTILE_TARGETS:
            response = client.get("/go", params={"to": target})
            assert (response.status_code, response.headers["location"]) == (302, "/"), target
        kept = client.get("/go", params={"to": "/next\r\nSet-Cookie: a=b"})
        assert kept.headers["location"] == "/next%0D%0ASet-Cookie:%20a=b"
        assert "set-cookie" not in kept.headers
        koa = client.get("/go", params={"to": "https://api.trusted.test/a\r\nb c"})  # Koa's `new URL(url)`
        assert koa.headers["location"] == "https://api.trusted.test/ab%20c"


def from_address(port: int, source: str, headers: dict[str, str]) -> bytes:
    """GET /who from the local address `source`, as a proxy on that address would."""
    with socket.create_connection(("127.0.0.1", port), timeout=15, source_address=(source, 0)) as sock:
        sock.sendall(head("/who", {**headers, "connection": "close"}))
        return read_until_closed(sock).split(b"\r\n\r\n", 1)[1]


def test_forwarded_headers_are_believed_only_from_trusted_proxies(tmp_path: Path) -> None:
    app_dir = copy_app(tmp_path, "http_hostile")
    default = app_dir / "config" / "default.py"
    trusting = '"proxy": True, "trusted_proxies": ["127.0.0.2"], "keys":'
    default.write_text(default.read_text().replace('"keys":', trusting))
    process, _ = start(app_dir, tmp_path / "master.log", workers=2)
    try:
        port = process.wait_ready(START_TIMEOUT).port
        forged = {"x-forwarded-for": "6.6.6.6, 1.1.1.1", "x-forwarded-proto": "https"}
        for _ in range(10):  # both workers
            direct = from_address(port, "127.0.0.1", forged)
            assert direct.startswith(b'{"ip":"127.0.0.1","ips":[],"protocol":"http"'), direct
            via_proxy = from_address(port, "127.0.0.2", forged)
            assert via_proxy.startswith(b'{"ip":"1.1.1.1","ips":["1.1.1.1"],"protocol":"https"'), via_proxy
    finally:
        stop(process)
