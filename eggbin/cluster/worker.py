"""An app worker: boots `Application`, serves the master's socket with uvicorn.

    python -m eggbin.cluster.worker '<ChildOptions json>'

Reports `app-start` once uvicorn listens; SIGTERM from the master means stop accepting, finish
in-flight requests (graceful timeout), run `before_close`, exit 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
from collections.abc import Generator
from typing import Any

import uvicorn

from eggbin.cluster.channel import AsyncChannel, envelope
from eggbin.cluster.child import boot_or_exit, make_app, parse_args, run
from eggbin.cluster.options import ChildOptions


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
            self.channel.send(envelope("app-start", {"pid": os.getpid()}, sender="app"))


async def serve(options: ChildOptions) -> None:
    from eggbin.web.application import Application

    channel = await AsyncChannel.from_fd(options.channel_fd)
    app = make_app(options, Application)
    await boot_or_exit(channel, app)
    server = WorkerServer(uvicorn_config(app, options), channel)

    async def listen() -> None:
        async for message in channel:
            if message["action"] == "egg-ready":
                await app.server_did_ready()
        server.request_exit()  # master gone

    listener = asyncio.create_task(listen())
    await server.serve(sockets=[socket.socket(fileno=options.listen_fd)])
    listener.cancel()
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
