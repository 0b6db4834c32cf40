"""Raw HTTP/1.1 over a socket, byte for byte, as a hostile client sends it (no client-side fixing up)."""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass


@dataclass
class Answer:
    """One parsed response."""

    status: int
    headers: dict[str, str]
    body: bytes


def connect(port: int, timeout: float = 15.0) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=timeout)


def head(path: str = "/", headers: dict[str, str] | None = None, method: str = "GET") -> bytes:
    """A request head: `Host` first, then `headers`, then the blank line."""
    lines = [
        f"{method} {path} HTTP/1.1",
        "Host: 127.0.0.1",
        *(f"{k}: {v}" for k, v in (headers or {}).items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class Connection:
    """A socket and the one buffered reader of its responses, so keep-alive and pipelining read right."""

    def __init__(self, port: int, timeout: float = 15.0) -> None:
        self.sock = connect(port, timeout)
        self._file = self.sock.makefile("rb")

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self._file.close()
        self.sock.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def answer(self) -> Answer:
        """The next response (it must carry `content-length`, as every response of these tests does)."""
        status_line = self._file.readline()
        if not status_line:
            raise ConnectionError("the server closed the connection without answering")
        status = int(status_line.split()[1])
        headers: dict[str, str] = {}
        while (line := self._file.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        body = self._file.read(int(headers.get("content-length", "0")))
        return Answer(status, headers, body)


def exchange(port: int, request: bytes, timeout: float = 15.0) -> Answer:
    """Send `request` on a new connection and read one response."""
    with Connection(port, timeout) as connection:
        connection.send(request)
        return connection.answer()


def read_until_closed(sock: socket.socket) -> bytes:
    chunks = []
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def send_until_refused(sock: socket.socket, chunks: int, chunk: bytes) -> int:
    """Send `chunk` up to `chunks` times; the number sent before the server stopped reading or closed."""
    sent = 0
    try:
        for _ in range(chunks):
            sock.sendall(chunk)
            sent += 1
    except (BrokenPipeError, ConnectionResetError, TimeoutError):
        pass
    return sent


def closed_within(sock: socket.socket, seconds: float) -> float | None:
    """Seconds until the server closed `sock` (reading and dropping any answer), `None` if it did not."""
    started = time.monotonic()
    sock.settimeout(seconds)
    try:
        while sock.recv(65536):
            pass
    except TimeoutError:
        return None
    except ConnectionResetError:
        pass
    return time.monotonic() - started
