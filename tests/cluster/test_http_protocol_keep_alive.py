"""The workers' keep-alive timeout in-process, against uvicorn's own protocol: the idle deadline that
rides `LimitedHttpProtocol`'s head timer closes a connection when uvicorn's per-response timer would.
(Over real sockets: `tests/cluster/test_http_protocol.py`.)"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from eggbin.cluster.http_protocol import LimitedHttpProtocol
from tests.cluster.test_http_protocol_headers import GET, RecordingTransport


async def hello(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"hi"})


def closed_after_a_response(protocol_class: type[HttpToolsProtocol], keep_alive: float, wait: float) -> bool:
    """Whether a keep-alive connection is closed within `wait` seconds after its one response."""

    async def main() -> bool:
        config = uvicorn.Config(app=hello, lifespan="off", log_config=None, timeout_keep_alive=keep_alive)  # type: ignore[arg-type]
        config.load()
        state = ServerState()
        protocol = protocol_class(config=config, server_state=state, app_state={})
        transport = RecordingTransport()
        protocol.connection_made(transport)
        protocol.data_received(GET)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and not transport.closed:
            await asyncio.sleep(0.01)
        closed = transport.closed
        protocol.connection_lost(None)
        assert state.total_requests == 1
        assert b"".join(transport.written).endswith(b"hi")
        return closed

    return asyncio.run(main())


@pytest.mark.parametrize("protocol_class", [HttpToolsProtocol, LimitedHttpProtocol])
def test_an_idle_connection_is_closed_at_the_keep_alive_timeout(
    protocol_class: type[HttpToolsProtocol],
) -> None:
    assert closed_after_a_response(protocol_class, keep_alive=0.2, wait=5)
    assert not closed_after_a_response(protocol_class, keep_alive=1, wait=0.5)


@pytest.mark.parametrize("protocol_class", [HttpToolsProtocol, LimitedHttpProtocol])
def test_a_zero_keep_alive_timeout_closes_once_the_loop_has_run(
    protocol_class: type[HttpToolsProtocol],
) -> None:
    assert closed_after_a_response(protocol_class, keep_alive=0, wait=5)
