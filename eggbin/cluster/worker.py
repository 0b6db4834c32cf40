"""An app worker: boots `Application`, serves the master's socket with uvicorn.

    python -m eggbin.cluster.worker '<ChildOptions json>'

Reports `app-start` once uvicorn listens and then beats (`heartbeat`) from its event loop, so a loop
stuck in user code goes quiet and the master replaces it. SIGTERM from the master means: stop
accepting, finish in-flight requests (graceful timeout), close idle keep-alive connections only when
no request is waiting in their socket, run `before_close`, exit 0.
"""

from __future__ import annotations

import array
import asyncio
import contextlib
import fcntl
import os
import signal
import socket
import termios
import time
from collections.abc import Generator
from typing import Any

import uvicorn

from eggbin.cluster.channel import AsyncChannel, envelope
from eggbin.cluster.child import boot_or_exit, connect_messenger, listen, make_app, parse_args, run
from eggbin.cluster.options import ChildOptions
from eggbin.cluster.scheduler import RUN_ACTION, run_in_worker
from eggbin.web.messenger import TO_MASTER

DRAIN_POLL = 0.01


def pending_bytes(connection: Any) -> int:
    """Bytes a client already sent that the server has not read (FIONREAD on the socket)."""
    transport = getattr(connection, "transport", None)
    sock = transport.get_extra_info("socket") if transport is not None else None
    if sock is None or sock.fileno() < 0:
        return 0
    buf = array.array("i", [0])
    try:
        fcntl.ioctl(sock.fileno(), termios.FIONREAD, buf)
    except OSError:
        return 0
    return buf[0]


def is_busy(connection: Any) -> bool:
    cycle = getattr(connection, "cycle", None)
    return cycle is not None and not cycle.response_complete


class WorkerServer(uvicorn.Server):
    """uvicorn, told to stop by the master only: SIGTERM is graceful, nothing is re-raised."""

    def __init__(self, config: uvicorn.Config, channel: AsyncChannel) -> None:
        super().__init__(config)
        self.channel = channel

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, self.request_exit)
        try:
            yield
        finally:
            loop.remove_signal_handler(signal.SIGTERM)

    def request_exit(self) -> None:
        if self.should_exit:
            self.force_exit = True
        self.should_exit = True

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            self.channel.send(envelope("app-start", {"pid": os.getpid()}, sender="app", to=TO_MASTER))

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """uvicorn's shutdown, except that an idle keep-alive connection is closed only once no
        request sits unread in its socket: a client that just sent one gets its response (with
        `Connection: close`) instead of a reset."""
        for server in self.servers:
            server.close()
        deadline = time.monotonic() + (self.config.timeout_graceful_shutdown or 0)
        while self.server_state.connections and time.monotonic() < deadline and not self.force_exit:
            for connection in list(self.server_state.connections):
                if connection.transport.is_closing():
                    continue
                if is_busy(connection) or pending_bytes(connection) == 0:
                    connection.shutdown()  # busy: respond, then close; idle: close now
            await asyncio.sleep(DRAIN_POLL)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._wait_tasks_to_complete(), max(0.1, deadline - time.monotonic()))
        for task in self.server_state.tasks:
            task.cancel(msg="graceful shutdown timeout exceeded")


async def heartbeat(channel: AsyncChannel, interval: float) -> None:
    while True:
        channel.send(envelope("heartbeat", sender="app", to=TO_MASTER))
        await asyncio.sleep(interval)


async def serve(options: ChildOptions) -> None:
    channel = await AsyncChannel.from_fd(options.channel_fd)
    app = make_app(options, "worker")
    connect_messenger(app, channel, options)
    await boot_or_exit(channel, app)
    server = WorkerServer(uvicorn_config(app, options), channel)
    handlers = {RUN_ACTION: lambda message: run_in_worker(app, message)}
    listener = asyncio.create_task(listen(channel, app, handlers))
    listener.add_done_callback(lambda _: server.request_exit())  # master gone
    beats = []
    if options.cluster.heartbeat_interval > 0:
        beats.append(asyncio.create_task(heartbeat(channel, options.cluster.heartbeat_interval)))
    await server.serve(sockets=[socket.socket(fileno=options.listen_fd)])
    for task in (listener, *beats):
        task.cancel()
    await app.close()


def uvicorn_config(app: Any, options: ChildOptions) -> uvicorn.Config:
    config = uvicorn.Config(
        app=app,
        lifespan="off",
        log_level="warning",
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=max(1, round(options.cluster.app_close_timeout)),
    )
    config.load()
    return config


def main() -> None:
    options = parse_args()
    # uvloop when installed, chosen the way uvicorn chooses it.
    run(serve(options), uvicorn.Config(app="").get_loop_factory())


if __name__ == "__main__":
    main()
