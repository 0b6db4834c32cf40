"""`app.cluster(ClientClass).create(...)`: egg's Leader/Follower pattern ("multi-process enhancement").

One real client per cluster, in the agent (the leader); every worker gets a follower that talks to it
over a local unix socket, not through the master:

    worker: Follower ──subscribe(info) / publish(info) / await method(*args)──> agent: Leader ──> client
            Follower <──────────── events for its subscriptions, results, errors ──────────────┘

The socket is a file in the app's `run/` (0700: no other local user can reach it; an abstract
socket would let any of them call the client and publish to every follower), or, when that path is
too long for a unix socket, in a private `eggbin-<uid>` dir of the temp dir. The leader also checks
each peer's uid (`SO_PEERCRED`) and hangs up on any other user.

The agent and the workers must call `create()` with the same class and arguments (the agent in
`agent.py`, the app in `app.py`). Arguments, results and events cross as JSON. A follower connects
lazily (`await client.ready()` to wait), queues what it sends until connected, and reconnects and
re-subscribes when the agent is restarted. Without a cluster (the pytest `app` fixture) `create()`
returns a plain instance of the class.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import inspect
import itertools
import json
import logging
import os
import socket
import stat
import struct
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eggbin.errors import EggbinError
from eggbin.private_files import private_dir

if TYPE_CHECKING:
    from eggbin.web.application import Application, EggCore

CONNECT_TIMEOUT = 15.0
MAX_SOCKET_PATH = 107  # sun_path holds 108 bytes with the final NUL
Listener = Callable[[Any], Any]
log = logging.getLogger("eggbin.cluster_client")


class ClusterClientError(EggbinError):
    """The leader raised, or could not be reached."""


def socket_address(
    run_dir: Path, cluster_key: str, client_class: type[Any], args: object, kwargs: object
) -> str:
    """Where the leader of this client listens: a socket file only this user can reach."""
    # The class name, not its module: agent.py and app.py may each import it under another name.
    identity = f"{cluster_key}|{client_class.__qualname__}|{args!r}|{kwargs!r}"
    name = f"cc-{hashlib.sha1(identity.encode()).hexdigest()[:16]}.sock"
    if len(os.fsencode(run_dir / name)) <= MAX_SOCKET_PATH:
        return str(run_dir / name)
    return str(user_runtime_dir() / name)


def user_runtime_dir() -> Path:
    """`<tmp>/eggbin-<uid>`, 0700 and ours (as tmux checks its socket dir), or an error naming it."""
    path = Path(tempfile.gettempdir()) / f"eggbin-{os.getuid()}"
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=0o700)
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise ClusterClientError(
            f"`{path}` is not a private directory of this user (owner uid {info.st_uid}, "
            f"mode {stat.S_IMODE(info.st_mode):o})",
            hint="remove it, or move the app to a shorter path so its sockets fit in `run/`",
        )
    return path


def peer_uid(writer: asyncio.StreamWriter) -> int | None:
    """The uid of the process at the other end of a unix socket (`SO_PEERCRED`)."""
    sock = writer.get_extra_info("socket")
    if sock is None:
        return None
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return int(struct.unpack("3i", creds)[1])


async def call(fn: Callable[..., Any], *args: object, **kwargs: object) -> Any:
    result = fn(*args, **kwargs)
    return await result if inspect.isawaitable(result) else result


def encode(message: dict[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode() + b"\n"


class ClusterClientBuilder:
    """What `app.cluster(ClientClass)` returns."""

    def __init__(self, app: EggCore, client_class: type[Any]) -> None:
        self.app = app
        self.client_class = client_class

    def create(self, *args: object, **kwargs: object) -> Any:
        """The agent: the real client, served to followers. A worker: a `Follower`."""
        if not self.app.cluster_key:
            return self.client_class(*args, **kwargs)
        run_dir = Path(self.app.config.get("rundir") or self.app.base_dir / "run")
        address = socket_address(run_dir, self.app.cluster_key, self.client_class, args, kwargs)
        if self.app.role == "agent":
            private_dir(Path(address).parent, tighten=True)
            client = self.client_class(*args, **kwargs)
            leader = Leader(client, address)
            leader.start()
            self.app.__dict__.setdefault("_cluster_leaders", []).append(leader)
            return client
        return Follower(address)


class Leader:
    """Serves one real client to every follower."""

    def __init__(self, client: Any, address: str) -> None:
        self.client = client
        self.address = address
        self.server: asyncio.AbstractServer | None = None
        self._started: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Future[None]] = set()

    def start(self) -> None:
        self._started = asyncio.get_running_loop().create_task(self._listen())

    async def _listen(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.address)  # left by an agent killed with -9 (the dir is ours alone)
        self.server = await asyncio.start_unix_server(self._serve, path=self.address)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        uid = peer_uid(writer)
        if uid != os.getuid():
            log.warning("cluster-client leader: refused a connection from uid %s", uid)
            writer.close()
            return

        def send(message: dict[str, Any]) -> None:
            if not writer.is_closing():
                writer.write(encode(message))

        with contextlib.suppress(ConnectionError):
            while line := await reader.readline():
                message = json.loads(line)
                task = asyncio.ensure_future(self._handle(message, send))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        writer.close()

    async def _handle(self, message: dict[str, Any], send: Callable[[dict[str, Any]], None]) -> None:
        kind, request_id = message.get("type"), message.get("id")
        try:
            if kind == "subscribe":
                listener = self._listener(send, request_id)
                await call(self.client.subscribe, message["info"], listener)
                return
            if kind == "publish":
                await call(self.client.publish, message["info"])
                return
            value = await call(getattr(self.client, message["method"]), *message["args"], **message["kwargs"])
            send({"type": "result", "id": request_id, "value": value})
        except Exception as exc:
            send({"type": "error", "id": request_id, "message": f"{type(exc).__name__}: {exc}"})

    def _listener(self, send: Callable[[dict[str, Any]], None], subscription: object) -> Listener:
        return lambda value: send({"type": "event", "id": subscription, "value": value})

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.address)


def close_leaders(app: Application) -> None:
    """Stop serving the leaders this agent created and remove their sockets."""
    for leader in app.__dict__.get("_cluster_leaders", []):
        leader.close()


class Follower:
    """A worker's stand-in for the client: same `subscribe`/`publish`, async methods by name."""

    def __init__(self, address: str) -> None:
        self._address = address
        self._ids = itertools.count(1)
        self._subscriptions: dict[int, tuple[Any, Listener]] = {}
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._outbox: list[dict[str, Any]] = []
        self._writer: asyncio.StreamWriter | None = None
        self._connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def _ensure_running(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def ready(self, timeout: float = CONNECT_TIMEOUT) -> None:
        """Wait until connected to the leader."""
        self._ensure_running()
        try:
            await asyncio.wait_for(self._connected.wait(), timeout)
        except TimeoutError:
            raise ClusterClientError(
                f"no cluster-client leader answered within {timeout:g} s",
                hint="create the same client in agent.py: `agent.cluster(Client).create(...)`",
            ) from None

    def subscribe(self, info: object, listener: Listener) -> None:
        """Call `listener(value)` for each value the leader's client reports for `info`."""
        subscription = next(self._ids)
        self._subscriptions[subscription] = (info, listener)
        self._send({"type": "subscribe", "id": subscription, "info": info})

    def publish(self, info: object) -> None:
        """Have the leader's client publish `info`."""
        self._send({"type": "publish", "id": next(self._ids), "info": info})

    def __getattr__(self, method: str) -> Callable[..., Any]:
        if method.startswith("_"):
            raise AttributeError(method)

        async def invoke(*args: object, **kwargs: object) -> Any:
            request_id = next(self._ids)
            future = asyncio.get_running_loop().create_future()
            self._pending[request_id] = future
            self._send({"type": "invoke", "id": request_id, "method": method, "args": args, "kwargs": kwargs})
            return await future

        return invoke

    def _send(self, message: dict[str, Any]) -> None:
        self._ensure_running()
        if self._writer is not None and not self._writer.is_closing():
            self._writer.write(encode(message))
        else:
            self._outbox.append(message)

    async def _run(self) -> None:
        while True:
            reader = await self._connect()
            await self._read(reader)
            self._disconnected()

    async def _connect(self) -> asyncio.StreamReader:
        while True:
            try:
                reader, self._writer = await asyncio.open_unix_connection(sock=await self._socket())
            except OSError:
                await asyncio.sleep(0.05)  # the leader is not listening yet (agent booting or restarting)
                continue
            for subscription, (info, _) in self._subscriptions.items():
                self._writer.write(encode({"type": "subscribe", "id": subscription, "info": info}))
            outbox, self._outbox = self._outbox, []
            for message in outbox:
                if message["type"] != "subscribe":
                    self._writer.write(encode(message))
            self._connected.set()
            return reader

    async def _socket(self) -> socket.socket:
        """A connected socket, made here rather than by `open_unix_connection` (uvloop refused abstract
        addresses there; a path needs no workaround, but one way to connect is enough)."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.setblocking(False)
        try:
            await asyncio.get_running_loop().sock_connect(sock, self._address)
        except BaseException:
            sock.close()
            raise
        return sock

    async def _read(self, reader: asyncio.StreamReader) -> None:
        with contextlib.suppress(ConnectionError):
            while line := await reader.readline():
                self._receive(json.loads(line))

    def _receive(self, message: dict[str, Any]) -> None:
        kind, request_id = message.get("type"), int(message.get("id") or 0)
        if kind == "event" and request_id in self._subscriptions:
            try:
                self._subscriptions[request_id][1](message["value"])
            except Exception:
                log.exception("a subscription listener failed")
            return
        future = self._pending.pop(request_id, None)
        if future is None or future.done():
            return
        if kind == "error":
            future.set_exception(ClusterClientError(f"the cluster-client leader raised {message['message']}"))
        else:
            future.set_result(message.get("value"))

    def _disconnected(self) -> None:
        self._connected.clear()
        self._writer = None
        for future in self._pending.values():
            if not future.done():
                future.set_exception(ClusterClientError("the cluster-client leader went away mid-call"))
        self._pending.clear()
