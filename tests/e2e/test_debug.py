"""`eggbin debug` driven by a real DAP client over TCP, the way VS Code's "attach" talks to debugpy."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.devserver.running import DevRun, copy_app, eggbin
from tests.support import free_port

pytestmark = pytest.mark.slow

Message = dict[str, Any]
BREAK_LINE = 6  # `self.ctx.body = "hello v0"` in tests/fixtures/apps/dev_hello/app/controller/home.py


class DapClient:
    """The Debug Adapter Protocol's wire format: `Content-Length: N\\r\\n\\r\\n` + N bytes of JSON."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.seq = 0
        self.buffer = b""
        self.seen: list[Message] = []

    def send(self, command: str, **arguments: Any) -> int:
        self.seq += 1
        body = json.dumps({"seq": self.seq, "type": "request", "command": command, "arguments": arguments})
        self.sock.sendall(f"Content-Length: {len(body.encode())}\r\n\r\n".encode() + body.encode())
        return self.seq

    def _read(self) -> Message:
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        header, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        length = int(
            next(line for line in header.split(b"\r\n") if line.startswith(b"Content-Length:")).split(b":")[1]
        )
        while len(self.buffer) < length:
            self._fill()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        message: Message = json.loads(body)
        return message

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the debug adapter closed the connection")
        self.buffer += chunk

    def wait(self, predicate: Callable[[Message], bool], what: str, timeout: float = 30) -> Message:
        """The first message (already seen or new) matching `predicate`."""
        for message in self.seen:
            if predicate(message):
                self.seen.remove(message)
                return message
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = self._read()
            if predicate(message):
                return message
            self.seen.append(message)
        raise AssertionError(f"no {what} from the debug adapter after {timeout} s")

    def response(self, seq: int, command: str) -> Message:
        reply = self.wait(lambda m: m.get("type") == "response" and m.get("request_seq") == seq, command)
        assert reply["success"], reply
        return reply

    def event(self, name: str, timeout: float = 30) -> Message:
        return self.wait(
            lambda m: m.get("type") == "event" and m.get("event") == name, f"`{name}` event", timeout
        )

    def attach(self, breakpoints: dict[Path, list[int]]) -> None:
        """initialize → attach → (initialized) → setBreakpoints → configurationDone, as VS Code does."""
        hello = {"adapterID": "debugpy", "clientID": "eggbin-tests", "pathFormat": "path"}
        self.response(
            self.send("initialize", linesStartAt1=True, columnsStartAt1=True, **hello), "initialize"
        )
        attach = self.send("attach", justMyCode=False)
        self.event("initialized")
        for path, lines in breakpoints.items():
            reply = self.response(
                self.send(
                    "setBreakpoints", source={"path": str(path)}, breakpoints=[{"line": n} for n in lines]
                ),
                "setBreakpoints",
            )
            assert [b["line"] for b in reply["body"]["breakpoints"]] == lines
        self.response(self.send("configurationDone"), "configurationDone")
        self.response(attach, "attach")

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.send("disconnect", terminateDebuggee=False)
        self.sock.close()


def _get_in_background(url: str) -> tuple[threading.Thread, list[httpx.Response]]:
    responses: list[httpx.Response] = []
    thread = threading.Thread(target=lambda: responses.append(httpx.get(url, timeout=60)), daemon=True)
    thread.start()
    return thread, responses


def _hit_breakpoint(run: DevRun, debug_port: int, home: Path, expected: str) -> None:
    client = DapClient(debug_port)
    try:
        client.attach({home: [BREAK_LINE]})
        thread, responses = _get_in_background(run.url)
        stopped = client.event("stopped")
        assert stopped["body"]["reason"] == "breakpoint"
        thread_id = stopped["body"]["threadId"]
        frames = client.response(client.send("stackTrace", threadId=thread_id, levels=1), "stackTrace")
        top = frames["body"]["stackFrames"][0]
        assert (top["source"]["path"], top["line"]) == (str(home), BREAK_LINE)
        assert not responses  # the request is held at the breakpoint
        client.response(client.send("continue", threadId=thread_id), "continue")
        thread.join(30)
        assert responses, "the request did not complete after continue"
        assert responses[0].status_code == 200
        assert responses[0].text == expected
    finally:
        client.close()


def test_a_dap_client_stops_at_a_breakpoint_in_the_home_controller_and_again_after_a_reload(
    tmp_path: Path,
) -> None:
    app, port, debug_port = copy_app(tmp_path), free_port(), free_port()
    home = (app / "app" / "controller" / "home.py").resolve()
    args = ["debug", "--port", str(port), "--debug-port", str(debug_port)]
    with eggbin(args, app, tmp_path / "debug.log", port) as run:
        run.wait_output(rf"worker 1\s+127\.0\.0\.1:{debug_port}\n\s+agent\s+127\.0\.0\.1:\d+")
        _hit_breakpoint(run, debug_port, home, "hello v0")
        home.write_text(home.read_text().replace("hello v0", "hello v1"))
        run.wait_output(r"home\.py changed: reloaded workers in \d+ ms")
        run.wait_text("hello v1")
        _hit_breakpoint(run, debug_port, home, "hello v1")  # same port, the new worker


def test_brk_holds_the_app_until_a_debugger_attaches(tmp_path: Path) -> None:
    app, port, debug_port = copy_app(tmp_path), free_port(), free_port()
    args = ["debug", "--brk", "--port", str(port), "--debug-port", str(debug_port)]
    with eggbin(args, app, tmp_path / "debug.log", port) as run:
        run.wait_output(r"waiting for a debugger before the app loads")
        assert "egg started" not in run.output
        client = DapClient(debug_port)
        try:
            client.attach({})
            run.wait_text("hello v0")
        finally:
            client.close()


def test_the_agent_is_debuggable_on_its_own_port(tmp_path: Path) -> None:
    app, port, debug_port = copy_app(tmp_path), free_port(), free_port()
    with eggbin(
        ["debug", "--port", str(port), "--debug-port", str(debug_port)], app, tmp_path / "d.log", port
    ) as run:
        agent_port = int(run.wait_output(r"\s+agent\s+127\.0\.0\.1:(\d+)").group(1))
        client = DapClient(agent_port)
        try:
            client.attach({})
            threads = client.response(client.send("threads"), "threads")
            assert any(t["name"] == "MainThread" for t in threads["body"]["threads"])
        finally:
            client.close()


def test_a_second_app_on_the_same_debug_port_gets_a_clear_message(tmp_path: Path) -> None:
    app, debug_port = copy_app(tmp_path), free_port()
    taken = socket.socket()
    taken.bind(("127.0.0.1", debug_port))
    taken.listen()
    try:
        done = subprocess.run(
            ["eggbin", "debug", "--port", str(free_port()), "--debug-port", str(debug_port)],
            cwd=app, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    finally:
        taken.close()
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"error: debug port `127.0.0.1:{debug_port}` is in use (Address already in use); is another"
        " `eggbin debug` running?; stop it, or pass another `--debug-port`"
    ]
    assert not (app / "run" / "cluster.json").exists()
