"""`python bench/uvicorn_nodelay.py <uvicorn args>`: uvicorn's CLI with TCP_NODELAY on `--workers` sockets.

uvicorn binds the `--workers` socket as `socket.socket(family)` (proto 0); children rebuild it with that
proto, asyncio then skips TCP_NODELAY (it checks `proto == IPPROTO_TCP`) and every response written in
two parts waits for a delayed ACK: ~40 ms per request, ~1.4k req/s whatever the app. Re-creating the
socket from its fd lets the kernel report the real proto. The same launcher serves every subject.
"""

from __future__ import annotations

import socket

import uvicorn.config
import uvicorn.main

_bind_socket = uvicorn.config.Config.bind_socket


def bind_socket(self: uvicorn.config.Config) -> socket.socket:
    sock = _bind_socket(self)
    if sock.family == socket.AF_UNIX:
        return sock
    fixed = socket.socket(fileno=sock.detach())
    fixed.set_inheritable(True)
    return fixed


uvicorn.config.Config.bind_socket = bind_socket  # type: ignore[method-assign]

if __name__ == "__main__":
    uvicorn.main.main()
