"""The request side over a real socket: a fixture app served by uvicorn in its own process group."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import FIXTURE_APPS, free_port, kill_tree, port_accepts, wait_until

SERVE = """
import os
from pathlib import Path

from eggbin.web.application import Application
from eggbin.web.env import ServerEnv

egg = Application(Path(os.environ["EGG_TEST_APP"]), ServerEnv("unittest", "test"))


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        await receive()
        await egg.boot()
        await send({"type": "lifespan.startup.complete"})
        await receive()
        await egg.close()
        await send({"type": "lifespan.shutdown.complete"})
        return
    await egg(scope, receive, send)
"""


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    base = tmp_path / "http_app"
    shutil.copytree(FIXTURE_APPS / "http_app", base)
    (tmp_path / "serve_egg.py").write_text(SERVE)
    port = free_port()
    argv = [sys.executable, "-m", "uvicorn", "serve_egg:app", "--port", str(port), "--log-level", "warning"]
    env = {**os.environ, "EGG_TEST_APP": str(base)}
    stderr = tmp_path / "stderr.log"
    with stderr.open("wb") as errors:
        server = subprocess.Popen(argv, cwd=tmp_path, env=env, start_new_session=True, stderr=errors)
    try:
        wait_until(
            lambda: port_accepts(port) or server.poll() is not None, timeout=30, what="uvicorn to listen"
        )
        assert server.poll() is None, stderr.read_text()
        yield f"http://127.0.0.1:{port}"
    finally:
        kill_tree(server)


def test_real_socket_round_trip(served: str) -> None:
    with httpx.Client(base_url=served, timeout=15) as http:
        assert http.get("/").text == "hi, egg"
        head = http.head("/")
        assert (head.status_code, head.headers["content-length"], head.content) == (200, "7", b"")
        streamed = http.get("/body/stream")
        assert (streamed.headers["transfer-encoding"], streamed.content) == ("chunked", b"abc")
        etag = http.get("/public/css/site.css").headers["etag"]
        assert http.get("/public/css/site.css", headers={"if-none-match": etag}).status_code == 304
        token = http.get("/csrf").json()["csrf"]
        assert http.post("/echo", json={"a": 1}).status_code == 403
        assert http.post("/echo", json={"a": 1}, headers={"x-csrf-token": token}).json() == {"body": {"a": 1}}
        too_big = http.post("/echo", json={"a": "x" * 5000}, headers={"x-csrf-token": token})
        assert too_big.status_code == 413
        info = http.get("/echo", headers={"accept": "application/json"}).json()
        assert (info["ip"], info["protocol"], info["host"]) == ("127.0.0.1", "http", served.split("//")[1])


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/set-header", {"value": "a\r\nSet-Cookie: x=1"}),
        ("/set-header", {"value": "a\x00b", "raw": "1"}),
        ("/set-cookie", {"value": "ok", "path": "/\r\nx: 1"}),
    ],
)
def test_a_header_that_would_split_the_response_is_a_500_not_a_dropped_connection(
    served: str, path: str, params: dict[str, str]
) -> None:
    with httpx.Client(base_url=served, timeout=15) as http:
        response = http.get(path, params=params, headers={"accept": "application/json"})
        assert response.status_code == 500
        assert "invalid character" in response.json()["message"]
        assert "set-cookie" not in response.headers
        assert http.get("/").text == "hi, egg"  # the connection and the server are fine


def test_a_redirect_with_crlf_is_sent_encoded(served: str) -> None:
    with httpx.Client(base_url=served, timeout=15) as http:
        response = http.get("/go", params={"to": "/next\r\nSet-Cookie: x=1"})
        assert response.status_code == 302
        assert response.headers["location"] == "/next%0D%0ASet-Cookie:%20x=1"
        assert "set-cookie" not in response.headers


def raw_request(base: str, request: bytes) -> bytes:
    """Send `request` as is (no client-side URL normalisation) and read the whole answer."""
    host, port = base.split("//")[1].split(":")
    with socket.create_connection((host, int(port)), timeout=15) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_trace_is_405_and_traversal_is_400_over_a_real_socket(served: str) -> None:
    trace = raw_request(served, b"TRACE / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert trace.startswith(b"HTTP/1.1 405 ")
    climb = raw_request(served, b"GET /../config/default.py HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert climb.startswith(b"HTTP/1.1 400 ")
    assert b"config =" not in climb
