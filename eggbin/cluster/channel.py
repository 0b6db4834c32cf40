"""One message envelope over a unix socket pair, as JSON lines.

    {"action": "egg-ready", "data": {...}, "from": "master", "to": "app", "receiver_pid": 123}

The master reads with a selector (`Channel`); agent and workers read inside their event loop
(`AsyncChannel`). A closed peer reads as EOF: that is how children notice a dead master.
"""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from eggbin.web.messenger import Message, envelope

if TYPE_CHECKING:
    import asyncio  # the master's loop is a selector: only children import asyncio

__all__ = ["BOOT_PROGRESS", "AsyncChannel", "Channel", "Message", "encode", "envelope"]

# a child's boot phase as it begins; while starting, the master tells its parent those that last
BOOT_PROGRESS = "boot-progress"
# the agent's settings check passed (eggbin/web/settings/forked.py): agent → master, then master → workers,
# which serve only once they have it
SETTINGS_CHECKED = "settings-checked"


def encode(message: Message) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode() + b"\n"


class Channel:
    """The master's (and the CLI's) end: blocking writes, reads when the selector says readable."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._buffer = b""
        self.closed = False

    def fileno(self) -> int:
        return self.sock.fileno()

    def send(self, message: Message) -> bool:
        """False when the peer is gone (its exit is handled where the process is reaped)."""
        if self.closed:
            return False
        try:
            self.sock.sendall(encode(message))
        except OSError:
            return False
        return True

    def receive(self) -> list[Message]:
        """The complete messages now readable; sets `closed` at EOF."""
        try:
            chunk = self.sock.recv(65536)
        except BlockingIOError:
            return []
        except OSError:
            chunk = b""
        if not chunk:
            self.closed = True
            return []
        self._buffer += chunk
        *lines, self._buffer = self._buffer.split(b"\n")
        return [json.loads(line) for line in lines if line]

    def close(self) -> None:
        self.closed = True
        self.sock.close()


class AsyncChannel:
    """A child's end, read inside its event loop."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    @classmethod
    async def from_fd(cls, fd: int) -> AsyncChannel:
        sock = socket.socket(fileno=fd)
        import asyncio

        reader, writer = await asyncio.open_unix_connection(sock=sock, limit=16 * 1024 * 1024)
        return cls(reader, writer)

    def send(self, message: Message) -> None:
        """Queue a message; lost only if the master is gone (and then this process is exiting)."""
        if not self._writer.is_closing():
            self._writer.write(encode(message))

    async def drain(self) -> None:
        with contextlib.suppress(ConnectionError):
            await self._writer.drain()

    async def __aiter__(self) -> AsyncIterator[Message]:
        while line := await self._reader.readline():
            yield json.loads(line)

    def close(self) -> None:
        self._writer.close()
