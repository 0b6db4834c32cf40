"""WebSocket echo throughput: an eggbin cluster (2 workers) vs the same echo on bare Starlette.

    python bench/websocket.py [--duration 10] [--rounds 3] [--connections 32] [--workers 2]

Subjects, each with `--workers` processes on 127.0.0.1, serving the same handler body
(`accept()`, then `async for text in iter_text(): send_text(text)`):
  - eggbin: `app.router.websocket("/echo", ...)` on a real cluster (master, agent, workers: what
    `eggscripts start` runs, prod env, default middleware and config);
  - starlette: a `WebSocketRoute` app under `uvicorn --workers` (the TCP_NODELAY launcher of
    `uvicorn_nodelay.py`, as bench/throughput.py).
The load is one client process on uvloop with `--connections` sockets, each sending a 5-byte text
frame and waiting for its echo, back to back (a hand-rolled frame codec: the client must cost far
less than the servers on a 2-core machine). Messages/s = echoes received / duration, after a 2 s
warm-up. Rounds interleave the subjects; medians. Target (issue #15): eggbin >= 0.8x Starlette.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from harness import Measurement, free_port, report, stop_group

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

STARLETTE_APP = """
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

async def echo(websocket):
    await websocket.accept()
    async for text in websocket.iter_text():
        await websocket.send_text(text)

app = Starlette(routes=[WebSocketRoute("/echo", echo)])
"""
EGG_APP = {
    "pyproject.toml": '[project]\nname = "bench-ws"\nversion = "0.0.0"\n',
    "config/default.py": 'config = {"keys": "bench", "logger": {"console": False}}\n',
    "app/router.py": "def router(app):\n    app.router.websocket('/echo', app.controller.echo.echo)\n",
    "app/controller/echo.py": (
        "async def echo(ctx):\n    websocket = ctx.websocket\n    await websocket.accept()\n"
        "    async for text in websocket.iter_text():\n        await websocket.send_text(text)\n"
    ),
}
HANDSHAKE = (
    "GET /echo HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)
MASK = b"\x01\x02\x03\x04"


def masked_frame(opcode: int, payload: bytes) -> bytes:
    """A client frame (always masked, RFC 6455 5.3), payload under 126 bytes."""
    body = bytes(b ^ MASK[i % 4] for i, b in enumerate(payload))
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + MASK + body


MESSAGE = masked_frame(0x1, b"hello")


class EchoClient(asyncio.Protocol):
    """One connection: handshake, then one message in flight, the next sent as its echo arrives."""

    def __init__(self, port: int, opened: asyncio.Future[None]) -> None:
        self.port, self.opened = port, opened
        self.buffer = b""
        self.upgraded = False
        self.echoes = 0
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.transport.write(HANDSHAKE.format(port=self.port).encode())

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.upgraded:
            head, found, rest = self.buffer.partition(b"\r\n\r\n")
            if not found:
                return
            if not head.startswith(b"HTTP/1.1 101"):
                self.opened.set_exception(RuntimeError(head.decode(errors="replace")))
                return
            self.upgraded, self.buffer = True, rest
            self.opened.set_result(None)
            self.transport.write(MESSAGE)  # type: ignore[union-attr]
        while len(self.buffer) >= 2:
            length = self.buffer[1] & 0x7F  # server frames are unmasked and short here
            if len(self.buffer) < 2 + length:
                return
            opcode, payload = self.buffer[0] & 0x0F, self.buffer[2 : 2 + length]
            self.buffer = self.buffer[2 + length :]
            if opcode == 0x1:
                self.echoes += 1
                self.transport.write(MESSAGE)  # type: ignore[union-attr]
            elif opcode == 0x9:  # a keep-alive ping: answer it
                self.transport.write(masked_frame(0xA, payload))  # type: ignore[union-attr]


async def load(port: int, connections: int, duration: float, warmup: float) -> float:
    """Echoes per second over `duration`, after `warmup`, from `connections` clients."""
    loop = asyncio.get_running_loop()
    clients = []
    for _ in range(connections):
        opened: asyncio.Future[None] = loop.create_future()
        transport, client = await loop.create_connection(
            lambda o=opened: EchoClient(port, o), "127.0.0.1", port
        )
        transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        await asyncio.wait_for(opened, 30)
        clients.append(client)
    await asyncio.sleep(warmup)
    before = sum(c.echoes for c in clients)
    started = time.perf_counter()
    await asyncio.sleep(duration)
    done = sum(c.echoes for c in clients) - before
    elapsed = time.perf_counter() - started
    for client in clients:
        client.transport.close()  # type: ignore[union-attr]
    return done / elapsed


def run_load(port: int, connections: int, duration: float) -> float:
    import uvloop

    return uvloop.run(load(port, connections, duration, warmup=2.0))


def wait_listening(port: int, process: subprocess.Popen[bytes] | None, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port} after {timeout} s")


def measure_eggbin(app_dir: Path, workers: int, connections: int, duration: float) -> float:
    from eggbin.cluster.launch import ClusterProcess
    from eggbin.cluster.options import ClusterOptions

    options = ClusterOptions(
        base_dir=str(app_dir),
        port=free_port(),
        workers=workers,
        env="prod",
        title=f"egg-bench-ws-{uuid.uuid4().hex[:8]}",
        zygote=True,
    )
    cluster = ClusterProcess.start(options, new_session=True, stdout=subprocess.DEVNULL)
    try:
        ready = cluster.wait_ready(60)
        return run_load(ready.port, connections, duration)
    finally:
        cluster.stop(10)


def measure_starlette(root: Path, workers: int, connections: int, duration: float) -> float:
    port = free_port()
    launcher = Path(__file__).resolve().parent / "uvicorn_nodelay.py"
    argv = [sys.executable, str(launcher), "starlette_ws:app", "--port", str(port), "--workers", str(workers)]
    argv += ["--no-access-log", "--log-level", "warning", "--ws", "websockets-sansio"]
    server = subprocess.Popen(argv, cwd=root, start_new_session=True)
    try:
        wait_listening(port, server)
        time.sleep(1)  # every worker has started (uvicorn has no readiness signal for all of them)
        return run_load(port, connections, duration)
    finally:
        stop_group(server)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    results: dict[str, list[float]] = {"eggbin": [], "starlette": []}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "starlette_ws.py").write_text(STARLETTE_APP)
        for name, text in EGG_APP.items():
            (root / "egg" / name).parent.mkdir(parents=True, exist_ok=True)
            (root / "egg" / name).write_text(text)
        os.environ.update(EGG_HOME=str(root), HOME=str(root))
        for round_ in range(args.rounds):
            for subject in ("eggbin", "starlette") if round_ % 2 == 0 else ("starlette", "eggbin"):
                if subject == "eggbin":
                    rate = measure_eggbin(root / "egg", args.workers, args.connections, args.duration)
                else:
                    rate = measure_starlette(root, args.workers, args.connections, args.duration)
                results[subject].append(rate)
                print(f"round {round_ + 1}: {subject} {rate:,.0f} messages/s", flush=True)
    rows = [
        Measurement(f"{subject} x{args.workers}", samples, "msg/s") for subject, samples in results.items()
    ]
    notes = (
        f"echo of a 5-byte text message, {args.connections} connections, one in flight each, "
        f"{args.duration:g} s per round after a 2 s warm-up; target eggbin >= 0.8x starlette"
    )
    report("websocket", rows, anchor=f"starlette x{args.workers}", notes=notes)


if __name__ == "__main__":
    main()
