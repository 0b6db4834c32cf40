"""`eggbin dev`: the app as a local cluster on 127.0.0.1, stopped cleanly by Ctrl-C or SIGTERM."""

from __future__ import annotations

import errno
import signal
import socket
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from eggbin import console
from eggbin.web.appinfo import load_app_info, require_app_dir
from eggbin.web.env import ServerEnv

DEFAULT_PORT = 7001
DEV_CLOSE_TIMEOUT = 1.0


@dataclass(frozen=True)
class DevOptions:
    base_dir: Path
    port: int | None = None
    workers: int = 1
    host: str = "127.0.0.1"
    env: str | None = None
    framework: str | None = None


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def choose_port(host: str, wanted: int | None) -> int:
    """An explicit port is used as is; otherwise the first free port from 7001, announced if moved."""
    if wanted is not None:
        return wanted
    port = DEFAULT_PORT
    while not port_is_free(host, port):
        port += 1
    if port != DEFAULT_PORT:
        console.info(f"port {DEFAULT_PORT} is in use, using {port}")
    return port


def run_dev(options: DevOptions) -> int:
    """Start the cluster, wait for Ctrl-C or SIGTERM, stop it; the exit code of the session."""
    from eggbin.cluster.launch import ClusterProcess
    from eggbin.cluster.options import ClusterOptions

    base = require_app_dir(options.base_dir)
    env = ServerEnv(options.env, "--env") if options.env else ServerEnv("local", "eggbin dev")
    info = load_app_info(base, env)
    cluster_options = ClusterOptions(
        base_dir=str(base),
        port=choose_port(options.host, options.port),
        host=options.host,
        workers=options.workers,
        env=env.name,
        framework=options.framework,
        title=f"egg-server-{info.name}",
        app_close_timeout=DEV_CLOSE_TIMEOUT,
        agent_close_timeout=DEV_CLOSE_TIMEOUT,
    )
    stop_requested: list[int] = []

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop_requested.append(signum)

    previous = {s: signal.signal(s, request_stop) for s in (signal.SIGINT, signal.SIGTERM)}
    cluster = ClusterProcess.start(cluster_options)
    try:
        ready = cluster.wait_ready(timeout=60)
        console.info(f"[eggbin] {info.name} ({env}) serving on {ready.address}, Ctrl-C to stop")
        while not stop_requested and cluster.wait(0.2) is None:
            pass
        if not stop_requested:
            console.error(f"the master exited unexpectedly (code {cluster.popen.returncode})")
            return 1
        cluster.stop(timeout=10)
        return 0
    finally:
        if cluster.popen.poll() is None:
            cluster.stop(timeout=10)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
