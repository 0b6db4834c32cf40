"""The asgi_app fixture as a real 2-worker cluster: WebSockets with a real client (`websockets`: routes,
params, middleware that opts in, errors before and after the handshake, the size limit, the origin
check, 1012 on reload), and over real HTTP sockets mounted apps, CORS preflights and gzip."""

from __future__ import annotations

import contextlib
import gzip
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests.cluster.running import Running, running
from tests.support import wait_until


def ws_url(cluster: Running, path: str) -> str:
    return cluster.url.replace("http://", "ws://") + path


def open_ws(cluster: Running, path: str, **options: Any) -> ClientConnection:
    return connect(ws_url(cluster, path), proxy=None, open_timeout=15, **options)


def close_code(ws: ClientConnection) -> int | None:
    """Read until the server closes; the code it closed with."""
    try:
        while True:
            ws.recv(timeout=15)
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None


def refused(cluster: Running, path: str, **options: Any) -> tuple[int, Any]:
    """The HTTP status and JSON body of a refused handshake."""
    with pytest.raises(InvalidStatus) as denied:
        open_ws(cluster, path, **options)
    response = denied.value.response
    return response.status_code, json.loads(response.body or b"null")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with running(tmp_path_factory.mktemp("ws"), "asgi_app") as started:
        yield started


def test_echo_text_bytes_json_and_close_codes(cluster: Running) -> None:
    with open_ws(cluster, "/echo") as ws:
        hello = json.loads(ws.recv(timeout=15))
        # `stamp` opted in with `websocket: True`; `http_only` did not, so it never ran
        assert (hello["stamp"], hello["http_only"]) == ("stamped", None)
        ws.send("plain")
        assert ws.recv(timeout=15) == "plain"
        ws.send(b"\x00\xffbytes")
        assert ws.recv(timeout=15) == b"\x00\xffbytes"
        ws.send('json:{"a": [1, 2]}')
        assert json.loads(ws.recv(timeout=15)) == {"echo": {"a": [1, 2]}}
        ws.send("close:4001")
        assert close_code(ws) == 4001
        assert ws.close_reason == "asked to"


def test_a_client_that_leaves_ends_the_handler_quietly(cluster: Running) -> None:
    before = len(cluster.observed("echo-left"))
    with open_ws(cluster, "/echo") as ws:
        ws.recv(timeout=15)
    wait_until(
        lambda: len(cluster.observed("echo-left")) > before, what="the handler to see the client leave"
    )
    assert cluster.observed("echo-left")[-1]["data"] == 1000
    assert "Exception in ASGI application" not in cluster.log()


def test_path_params_query_subprotocol_and_protocol(cluster: Running) -> None:
    with open_ws(cluster, "/rooms/lobby/42?user=ann", subprotocols=["chat.v1"]) as ws:
        assert ws.subprotocol == "chat.v1"
        first = json.loads(ws.recv(timeout=15))
        assert first == {"room": "lobby", "id": 42, "user": "ann", "protocol": "http", "method": "GET"}
        ws.send(json.dumps({"hello": "room"}))
        assert json.loads(ws.recv(timeout=15)) == {"got": {"hello": "room"}}
        assert close_code(ws) == 1000  # the handler returned: a normal close
    with pytest.raises(InvalidStatus):  # `{id:int}` does not match a word
        open_ws(cluster, "/rooms/lobby/abc")


def test_every_worker_serves_websockets(cluster: Running) -> None:
    seen: set[int] = set()
    with contextlib.ExitStack() as sockets:

        def both_workers() -> bool:
            # kept open: the next handshake goes to whichever worker accepts it
            ws = sockets.enter_context(open_ws(cluster, "/echo"))
            seen.add(json.loads(ws.recv(timeout=15))["pid"])
            return seen == set(cluster.ready.pids["workers"])

        wait_until(both_workers, timeout=60, interval=0, what="a WebSocket on each worker")


def test_refusals_before_the_handshake_answer_over_http(cluster: Running) -> None:
    assert refused(cluster, "/nowhere") == (404, {"message": "Not Found"})
    assert refused(cluster, "/guarded?token=wrong") == (403, {"message": "bad token"})  # route middleware
    assert refused(cluster, "/echo?deny=stamp") == (401, {"message": "no token"})  # config middleware
    assert refused(cluster, "/refuse") == (409, {"message": "room is full"})
    with open_ws(cluster, "/guarded?token=s3cret") as ws:
        assert json.loads(ws.recv(timeout=15))["stamp"] == "stamped"


def test_a_handler_error_after_accept_closes_1011_and_is_logged(cluster: Running) -> None:
    with open_ws(cluster, "/boom") as ws:
        ws.send("go")
        assert close_code(ws) == 1011
    error_log = cluster.app_dir / "logs" / "asgi-app" / "common-error.log"
    wait_until(lambda: "the handler broke" in error_log.read_text(), what="the error in common-error.log")


def test_a_too_large_message_closes_1009(cluster: Running) -> None:
    with open_ws(cluster, "/echo") as ws:
        ws.recv(timeout=15)
        ws.send("x" * (64 * 1024))  # at the limit (`websocket.max_size` 64kb): served
        assert len(ws.recv(timeout=15)) == 64 * 1024
        ws.send("x" * (64 * 1024 + 1))
        assert close_code(ws) == 1009
    with open_ws(cluster, "/echo") as ws:  # the worker is fine
        ws.recv(timeout=15)
        ws.send("still here")
        assert ws.recv(timeout=15) == "still here"


def test_cross_site_origins_are_refused(cluster: Running) -> None:
    host = cluster.url.split("//")[1]
    assert refused(cluster, "/echo", origin="https://evil.example") == (
        403,
        {"message": "origin `https://evil.example` is not allowed"},
    )
    for origin in (f"http://{host}", "https://app.trusted.example"):  # same site, white-listed domain
        with open_ws(cluster, "/echo", origin=origin) as ws:
            assert json.loads(ws.recv(timeout=15))["stamp"] == "stamped"


def test_mounted_apps_serve_websockets_too(cluster: Running) -> None:
    with open_ws(cluster, "/sub/ws") as ws:
        assert ws.recv(timeout=15) == "from starlette /sub"
        assert close_code(ws) == 1000


def test_websocket_routes_are_listed_in_router_json(cluster: Running) -> None:
    routes = json.loads((cluster.app_dir / "run" / "router.json").read_text())
    listed = {(tuple(r["methods"]), r["path"]) for r in routes}
    assert (("WEBSOCKET",), "/rooms/:room/{id:int}") in listed
    assert (("*",), "/metrics") in listed


def test_cors_preflight_gzip_and_mounts_over_a_real_socket(cluster: Running) -> None:
    with httpx.Client(base_url=cluster.url, timeout=15) as http:
        preflight = http.options(
            "/post",
            headers={
                "origin": "https://front.example",
                "access-control-request-method": "POST",
                "access-control-request-headers": "x-token",
            },
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "https://front.example"
        with http.stream("GET", "/big", headers={"accept-encoding": "gzip"}) as response:
            assert response.headers["content-encoding"] == "gzip"
            assert gzip.decompress(b"".join(response.iter_raw())) == b"egg " * 1000
        assert http.get("/fast/items/3").json() == {"item_id": 3, "q": None}
        assert http.get("/sub/where/x").json()["root_path"] == "/sub"
        assert "egg_hits_total" in http.get("/metrics").text
