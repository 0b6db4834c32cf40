"""The CLI side of `eggbin debug`: stable debug ports that follow each process slot across reloads.

    client (VS Code) ──tcp──> 127.0.0.1:9229 (this process) ──tcp──> debugpy adapter of worker 1 now

Each slot (worker 1 on `--debug-port`, the agent and any other worker on a free port) has a listening
socket here, bound before the cluster starts, so a second `eggbin debug` on the same port fails at once
with a clear message. Threads are fine here: this is the CLI process, which never forks.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import shutil
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from eggbin import console
from eggbin.debugger import DEBUG_DIR, endpoint_file
from eggbin.errors import EggbinError

CONNECT_TIMEOUT = 30.0  # a client may connect while the slot's process is still starting


class DebugPortInUseError(EggbinError):
    """The debug port is taken (often by another `eggbin debug`)."""


@dataclass
class SlotProxy:
    """One stable port forwarding to whichever process holds `slot`."""

    slot: str
    label: str
    base_dir: Path
    listener: socket.socket

    @property
    def address(self) -> str:
        host, port = self.listener.getsockname()[:2]
        return f"{host}:{port}"

    def serve(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self.forward, args=(client,), daemon=True).start()

    def forward(self, client: socket.socket) -> None:
        with contextlib.closing(client):
            upstream = self.connect_upstream()
            if upstream is None:
                return
            with contextlib.closing(upstream):
                pump(client, upstream)

    def connect_upstream(self) -> socket.socket | None:
        deadline = time.monotonic() + CONNECT_TIMEOUT
        while time.monotonic() < deadline:
            endpoint = current_endpoint(self.base_dir, self.slot)
            if endpoint is not None:
                with contextlib.suppress(OSError):
                    return socket.create_connection(endpoint, timeout=5)
            time.sleep(0.05)
        console.warn(f"[eggbin] no debuggable {self.label} to attach to after {CONNECT_TIMEOUT:g} s")
        return None


def current_endpoint(base_dir: Path, slot: str) -> tuple[str, int] | None:
    """The published (host, port) of `slot`, if its process is alive."""
    try:
        endpoint = json.loads(endpoint_file(base_dir, slot).read_text())
        os.kill(int(endpoint["pid"]), 0)
        return str(endpoint["host"]), int(endpoint["port"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def pump(a: socket.socket, b: socket.socket) -> None:
    """Copy bytes both ways until either side closes."""
    a.settimeout(None)
    b.settimeout(None)
    peers = {a: b, b: a}
    with selectors.DefaultSelector() as selector:
        for sock in peers:
            selector.register(sock, selectors.EVENT_READ)
        while True:
            for key, _ in selector.select():
                source: socket.socket = key.fileobj  # type: ignore[assignment]
                try:
                    data = source.recv(65536)
                    if not data:
                        return
                    peers[source].sendall(data)
                except OSError:
                    return


def bind(host: str, port: int) -> socket.socket:
    """Listen on `host:port`; a taken port is a user error, not a crash."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise DebugPortInUseError(
            f"debug port `{host}:{port}` is in use ({exc.strerror}); is another `eggbin debug` running?",
            hint="stop it, or pass another `--debug-port`",
        ) from None
    sock.listen(16)
    return sock


class DebugSession:
    """The proxies of one `eggbin debug` run."""

    def __init__(self, proxies: list[SlotProxy]) -> None:
        self.proxies = proxies

    @classmethod
    def open(cls, base_dir: Path, host: str, port: int, workers: int) -> DebugSession:
        """Bind every slot's port (worker 1 on `port`, the rest on free ports) and start forwarding."""
        shutil.rmtree(base_dir / DEBUG_DIR, ignore_errors=True)  # `--brk` waits only in first processes
        wanted = [("worker-1", "worker 1", port), ("agent", "agent", 0)]
        wanted += [(f"worker-{n}", f"worker {n}", 0) for n in range(2, workers + 1)]
        proxies: list[SlotProxy] = []
        try:
            for slot, label, slot_port in wanted:
                proxies.append(SlotProxy(slot, label, base_dir, bind(host, slot_port)))
        except DebugPortInUseError:
            for proxy in proxies:
                proxy.listener.close()
            raise
        for proxy in proxies:
            threading.Thread(target=proxy.serve, daemon=True).start()
        return cls(proxies)

    def announce(self) -> None:
        """The table of process → debug address, with the VS Code hint."""
        width = max(len(p.label) for p in self.proxies)
        console.info(f'[eggbin] debugger (VS Code "attach", connect to {self.proxies[0].address}):')
        for proxy in self.proxies:
            console.info(f"  {proxy.label:<{width}}  {proxy.address}")

    def close(self) -> None:
        for proxy in self.proxies:
            with contextlib.suppress(OSError):
                proxy.listener.shutdown(socket.SHUT_RDWR)
            proxy.listener.close()
