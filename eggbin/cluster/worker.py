"""An app worker: boots `Application`, serves the master's socket with uvicorn.

    python -m eggbin.cluster.worker '<ChildOptions json>'

Reports `app-start` once uvicorn listens and then beats (`heartbeat`) from its event loop, so a loop
stuck in user code goes quiet and the master replaces it. SIGTERM from the master means: stop
accepting, finish in-flight requests (graceful timeout), let background tasks end within what is left
of the close timeout (the rest are cancelled and logged), run `before_close`, exit 0.

Keep-alive clients must not see a reset when a worker retires (reload, stop). While draining, every
response carries `Connection: close`, so an active client moves to a new connection (served by
another worker) after a complete response; a connection is closed while idle only after it has
stayed idle for `IDLE_GRACE` with nothing unread in its socket. WebSockets are closed at once with
1012 (service restart) so their clients reconnect to a worker that stays; their handlers get the
disconnect and end within the graceful timeout, or are cancelled with the rest.

WebSockets run on uvicorn's `websockets` (sans-I/O) protocol, imported at the first upgrade
(`eggbin.cluster.asgi_server`), with `config.websocket` (`max_size`, `ping_interval`, `ping_timeout`,
`per_message_deflate`); HTTPS with the cluster's TLS files
(`eggbin.cluster.tls`).

The drain replaces `uvicorn.Server.shutdown` and reads uvicorn's connection objects: uvicorn is pinned
below 0.55 and tests/test_private_api_contracts.py holds what this relies on.
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
from collections.abc import Awaitable, Generator, Mapping
from typing import TYPE_CHECKING, Any

from eggbin.cluster.asgi_server import Config, LazyWebSocketsProtocol, Server, is_websocket, loop_factory
from eggbin.cluster.breakpoints import DEBUGGER_PAUSED, hold_terminal
from eggbin.cluster.channel import SETTINGS_CHECKED, AsyncChannel, envelope
from eggbin.cluster.child import (
    before_the_app,
    boot_or_exit,
    connect_messenger,
    exit_boot_failed,
    listen,
    make_app,
    parse_args,
    run,
    time_left,
    write_run_files,
)
from eggbin.cluster.http_protocol import LimitedHttpProtocol
from eggbin.cluster.options import ChildOptions
from eggbin.cluster.scheduler import RUN_ACTION, run_in_worker
from eggbin.cluster.start_trace import mark
from eggbin.cluster.tls import uvicorn_ssl
from eggbin.errors import BootError
from eggbin.web.http_server import HttpLimits
from eggbin.web.messenger import TO_MASTER

if TYPE_CHECKING:
    from starlette.types import Message, Receive, Scope, Send

    from eggbin.web.application import Application

DRAIN_POLL = 0.01
# `run/application_*.json` and `run/router.json` hold the same in every worker (one config, one
# router): one slot writes them (~8 M instructions each), not every worker while the others still boot
RUN_FILES_SLOT = 1
IDLE_GRACE = 0.5
CLOSE = (b"connection", b"close")


class DrainingApp:
    """The ASGI app, plus `Connection: close` on every response of a request that came once the worker
    is draining (a request already in flight then is ended by `WorkerServer.drain`)."""

    def __init__(self, app: Application) -> None:
        self.app = app
        self.draining = False

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # Not a coroutine of its own (uvicorn is told the interface): until the drain, each request is
        # the app's own call, with no frame or `send` wrapper of ours.
        if not self.draining or scope["type"] != "http":
            return self.app(scope, receive, send)
        return self.app(scope, receive, self._send_closing(send))

    @staticmethod
    def _send_closing(send: Send) -> Send:
        async def send_closing(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), CLOSE]}
            await send(message)

        return send_closing


def pending_bytes(connection: object) -> int:
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


def is_busy(connection: object) -> bool:
    cycle = getattr(connection, "cycle", None)
    return cycle is not None and not cycle.response_complete


class WorkerServer(Server):
    """uvicorn, told to stop by the master only: SIGTERM is graceful, nothing is re-raised."""

    def __init__(self, config: Config, channel: AsyncChannel, app: DrainingApp) -> None:
        super().__init__(config)
        self.channel = channel
        self.draining_app = app
        self.stopping_since: float | None = None  # the close timeout counts from the first SIGTERM

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
        if self.stopping_since is None:
            self.stopping_since = time.monotonic()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            self.draining_app.app.emit("server", self)  # egg's `server` event: the HTTP server, listening
            started = {"pid": os.getpid(), "drain_delay": drain_delay(self.draining_app.app)}
            mark(f"worker#{self.draining_app.app.worker_slot}", "listening")  # before the master hears it
            self.channel.send(envelope("app-start", started, sender="app", to=TO_MASTER))
            if self.draining_app.app.worker_slot == RUN_FILES_SLOT:
                write_run_files(self.draining_app.app)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """uvicorn's shutdown, with keep-alive connections drained as the module docstring says."""
        self.draining_app.draining = True
        for server in self.servers:
            server.close()
        deadline = time.monotonic() + (self.config.timeout_graceful_shutdown or 0)
        idle: dict[int, tuple[object, float]] = {}  # connection -> (its cycle, idle since)
        while self.server_state.connections and time.monotonic() < deadline and not self.force_exit:
            for connection in list(self.server_state.connections):
                if not connection.transport.is_closing():
                    self.drain(connection, idle)
            await asyncio.sleep(DRAIN_POLL)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._wait_tasks_to_complete(), max(0.1, deadline - time.monotonic()))
        for task in self.server_state.tasks:
            task.cancel(msg="graceful shutdown timeout exceeded")

    def drain(self, connection: Any, idle: dict[int, tuple[object, float]]) -> None:
        now, cycle = time.monotonic(), getattr(connection, "cycle", None)
        if is_websocket(connection):
            connection.shutdown()  # close 1012: the client reconnects to a worker that stays
            return
        if is_busy(connection):
            connection.shutdown()  # close right after this response
            return
        seen = idle.get(id(connection))
        if seen is None or seen[0] is not cycle or pending_bytes(connection):
            idle[id(connection)] = (cycle, now)  # a request came or is coming: not idle yet
        elif now - seen[1] >= IDLE_GRACE:
            connection.shutdown()  # idle: close now


def drain_delay(app: Any) -> float:
    """`config.health.drain_delay`: the master keeps the socket open that long after a stop signal."""
    health = app.config.get("health")
    delay = health.get("drain_delay") if isinstance(health, Mapping) else None
    return float(delay) if isinstance(delay, int | float) and delay > 0 else 0.0


async def heartbeat(channel: AsyncChannel, interval: float) -> None:
    while True:
        channel.send(envelope("heartbeat", sender="app", to=TO_MASTER))
        await asyncio.sleep(interval)


async def wait_for_agent(channel: AsyncChannel) -> None:
    """Block until the master says the agent has started (or exit if the master is gone)."""
    import eggbin.web.framework  # noqa: F401  (the framework's imports overlap the agent's boot)

    async for message in channel:
        if message["action"] == "agent-started":
            return
    raise SystemExit(1)


async def wait_settings_checked(checked: asyncio.Event, listener: asyncio.Task[None]) -> None:
    """Serve nothing before the agent's settings check passed (it ran while this worker booted);
    exit if the master is gone first."""
    waiter = asyncio.create_task(checked.wait())
    await asyncio.wait((waiter, listener), return_when=asyncio.FIRST_COMPLETED)
    if not checked.is_set():
        waiter.cancel()
        raise SystemExit(1)


async def serve(options: ChildOptions) -> None:
    channel = await AsyncChannel.from_fd(options.channel_fd)
    hold_terminal(options, lambda: channel.send(envelope(DEBUGGER_PAUSED, sender="app", to=TO_MASTER)))
    await wait_for_agent(channel)
    mark(f"worker#{options.id}", "agent-started received")
    before_the_app(options)
    app = make_app(options, "worker")
    connect_messenger(app, channel, options)
    await boot_or_exit(channel, app)
    try:
        limits = HttpLimits.from_config(app.config.get("http_server"))
    except BootError as exc:
        await exit_boot_failed(channel, exc)
    draining_app = DrainingApp(app)
    server = WorkerServer(uvicorn_config(draining_app, options, limits), channel, draining_app)
    checked = asyncio.Event()
    handlers = {
        RUN_ACTION: lambda message: run_in_worker(app, message),
        SETTINGS_CHECKED: lambda _: checked.set(),
    }
    listener = asyncio.create_task(listen(channel, app, handlers))
    listener.add_done_callback(lambda _: server.request_exit())  # master gone
    beats = []
    if options.cluster.heartbeat_interval > 0:
        beats.append(asyncio.create_task(heartbeat(channel, options.cluster.heartbeat_interval)))
    await wait_settings_checked(checked, listener)
    await server.serve(sockets=[socket.socket(fileno=options.listen_fd)])
    for task in (listener, *beats):
        task.cancel()
    await app.close(background_timeout=time_left(server.stopping_since, options.cluster.app_close_timeout))


def uvicorn_config(app: DrainingApp, options: ChildOptions, limits: HttpLimits) -> Config:
    settings = app.app.config
    config = Config(
        app=app,
        interface="asgi3",  # `DrainingApp.__call__` returns the app's coroutine: no guessing from its type
        lifespan="off",
        log_level="warning",
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=max(1, round(options.cluster.app_close_timeout)),
        log_config=None,  # uvicorn's dictConfig would close every handler the app opened
        **websocket_settings(settings.get("websocket") or {}),
        **uvicorn_ssl(options.cluster.https, settings),
        http=LimitedHttpProtocol.with_limits(limits),
        timeout_keep_alive=limits.keep_alive_timeout,
        # `X-Forwarded-*` are read by the app's proxy settings alone (`config.proxy`, ...): uvicorn's
        # own rewrite would trust them from 127.0.0.1 even with `proxy` off.
        proxy_headers=False,
    )
    config.load()
    return config


def websocket_settings(options: Any) -> dict[str, Any]:
    """`config.websocket` as uvicorn's `ws_*` options."""
    from eggbin.web.body import parse_size

    return {
        "ws": LazyWebSocketsProtocol,  # uvicorn's websockets-sansio, imported at the first upgrade
        "ws_max_size": parse_size(options.get("max_size", "1mb")),
        "ws_ping_interval": options.get("ping_interval", 20.0),
        "ws_ping_timeout": options.get("ping_timeout", 20.0),
        "ws_per_message_deflate": bool(options.get("per_message_deflate", True)),
    }


def main() -> None:
    options = parse_args()
    run(serve(options), loop_factory())  # uvloop when installed, chosen the way uvicorn chooses it


if __name__ == "__main__":
    main()
