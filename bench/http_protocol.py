"""CPU cost per request of the workers' HTTP protocol vs uvicorn's plain httptools protocol, in-process.

    python bench/http_protocol.py [--requests 20000] [--rounds 15]

Each round feeds the same keep-alive GET requests (one read each, as a client sends them) through a
protocol on a real event loop to a minimal ASGI app, with a transport that discards what is written:
no sockets, no other process, so a loaded machine moves both subjects alike. Subjects alternate round
by round; the table gives µs per request (median of rounds) and the ratio to plain httptools.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

import uvicorn
from harness import Measurement, report
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from eggbin.cluster.http_protocol import LimitedHttpProtocol

REQUEST = (
    b"GET / HTTP/1.1\r\nHost: 127.0.0.1:7001\r\nUser-Agent: wrk\r\nAccept: */*\r\n"
    b"Accept-Encoding: gzip\r\nConnection: keep-alive\r\n\r\n"
)


async def app(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"7")]})
    await send({"type": "http.response.body", "body": b"hi, egg"})


class NullTransport(asyncio.Transport):
    """Accepts writes and drops them; reports a TCP peer like a real socket would."""

    def __init__(self) -> None:
        super().__init__()
        self.closed = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 50000), "sockname": ("127.0.0.1", 7001)}.get(name, default)

    def write(self, data: Any) -> None:
        pass

    def writelines(self, data: Any) -> None:  # uvloop's is native; asyncio's default would join in Python
        pass

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def per_request(protocol_class: type[HttpToolsProtocol], requests: int) -> float:
    config = uvicorn.Config(app=app, lifespan="off", access_log=False, proxy_headers=False, log_config=None)
    config.load()
    state = ServerState()
    protocol = protocol_class(config=config, server_state=state, app_state={})
    protocol.connection_made(NullTransport())
    started = time.perf_counter()
    for _ in range(requests):
        protocol.data_received(REQUEST)
        while state.tasks:  # let the request's task answer before the next read, as keep-alive does
            await asyncio.sleep(0)
    elapsed = time.perf_counter() - started
    protocol.connection_lost(None)
    return elapsed / requests * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    subjects = {"httptools (uvicorn)": HttpToolsProtocol, "eggbin workers": LimitedHttpProtocol}
    samples: dict[str, list[float]] = {name: [] for name in subjects}
    for _ in range(args.rounds):
        for name, protocol_class in subjects.items():
            samples[name].append(asyncio.run(per_request(protocol_class, args.requests)))
    rows = [Measurement(name, values, "µs/request") for name, values in samples.items()]
    report("http_protocol", rows, anchor="httptools (uvicorn)", notes=f"{args.requests} requests per round")


if __name__ == "__main__":
    main()
