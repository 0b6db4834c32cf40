"""Logs for containers: `EGG_LOG_STDOUT=1` on a real cluster gives JSON lines on stdout from every
process, writes no log file, and carries each request's trace id into its lines and its response."""

from __future__ import annotations

import json
import re
import signal
import socket
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.cluster.running import START_TIMEOUT, copy_app, start, stop
from tests.support import wait_until


def json_lines(path: Path) -> list[dict[str, Any]]:
    """Every complete line of `path`, each of which must be a JSON object."""
    lines = path.read_text().split("\n")[:-1]
    return [json.loads(line) for line in lines if line]


@pytest.mark.slow
def test_every_process_logs_json_on_stdout_with_trace_ids(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EGG_LOG_STDOUT", "1")
    app_dir = copy_app(tmp_path, "log_stdout")
    out, err = tmp_path / "stdout.log", tmp_path / "stderr.log"
    process, _ = start(app_dir, out, workers=1)  # stdout and stderr to `out` (the helper's one log file)
    try:
        ready = process.wait_ready(START_TIMEOUT)
        with httpx.Client(base_url=ready.address, timeout=10) as client:
            hello = client.get("/hello?name=ada", headers={"x-request-id": "trace-abc.1"})
            boom = client.get("/boom", headers={"x-request-id": "not safe/../id"})
        assert (hello.status_code, hello.headers["x-request-id"], hello.json()) == (
            200,
            "trace-abc.1",
            {"trace_id": "trace-abc.1"},
        )
        generated = boom.headers["x-request-id"]
        assert boom.status_code == 500
        assert re.fullmatch(r"[0-9a-f]{32}", generated)  # the hostile id was replaced

        def logged() -> list[dict[str, Any]]:
            lines = json_lines(out)
            return lines if any(line.get("trace_id") == generated for line in lines) else []

        wait_until(logged, timeout=15, what="the failed request's line on stdout")
        process.popen.send_signal(signal.SIGTERM)
        process.popen.wait(30)
        lines = json_lines(out)  # raises on a line that is not JSON (stderr goes there too)
    finally:
        stop(process)
    by_role = {line["role"] for line in lines}
    assert {"master", "agent", "worker"} <= by_role, by_role
    assert all({"time", "level", "role", "pid", "logger", "message"} <= line.keys() for line in lines)
    assert any(line["role"] == "master" and line["message"].startswith("egg started on") for line in lines)
    assert any(line["role"] == "agent" and line["message"] == "agent is ready" for line in lines)
    (hello_line,) = [line for line in lines if line["message"] == "hello ada"]
    assert {key: hello_line[key] for key in ("role", "logger", "trace_id", "method", "path", "ip")} == {
        "role": "worker",
        "logger": "eggbin.log-stdout.app",
        "trace_id": "trace-abc.1",
        "method": "GET",
        "path": "/hello",
        "ip": "127.0.0.1",
    }
    (error_line,) = [line for line in lines if line.get("trace_id") == generated]
    assert (error_line["level"], error_line["message"]) == ("ERROR", "RuntimeError: boom")
    assert error_line["exception"].startswith("Traceback (most recent call last):")
    assert error_line["exception"].endswith("RuntimeError: boom")
    assert not (app_dir / "logs").exists() or not any((app_dir / "logs").rglob("*.log"))
    assert not err.exists()


def test_a_worker_forked_by_the_zygote_logs_uvicorn_s_warnings_as_json_like_a_spawned_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """uvicorn's own `log_config`, applied in the zygote, once gave forked workers plain uvicorn lines."""
    monkeypatch.setenv("EGG_LOG_STDOUT", "1")
    app_dir = copy_app(tmp_path, "log_stdout")
    out = tmp_path / "stdout.log"
    process, _ = start(app_dir, out, workers=1, zygote=True)
    try:
        ready = process.wait_ready(START_TIMEOUT)
        host, port = ready.address.removeprefix("http://").rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(b"NOT HTTP \x00\r\n\r\n")
            assert sock.recv(64).startswith(b"HTTP/1.1 400 ")

        def warned() -> list[dict[str, Any]]:
            return [line for line in json_lines(out) if line["message"] == "Invalid HTTP request received."]

        (line,) = wait_until(warned, timeout=15, what="uvicorn's warning on stdout")
    finally:
        stop(process)
    assert (line["role"], line["level"], line["logger"]) == ("worker", "WARNING", "uvicorn.error")
