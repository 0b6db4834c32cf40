"""Helpers every test tier shares: deadlines instead of sleeps, free ports, process-tree cleanup."""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
from collections.abc import Callable, Iterable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import psutil
import pytest

T = TypeVar("T")

OTHER_UID = 54321  # a throwaway local user: in no passwd file, owning nothing
HAS_OTHER_UID = os.geteuid() == 0 and shutil.which("setpriv") is not None

REPO = Path(__file__).resolve().parent.parent
FIXTURE_APPS = Path(__file__).resolve().parent / "fixtures" / "apps"
BIN = Path(sys.executable).parent
# egg's built-in plugins, in load order: every app loads them first (eggbin/web/builtin/config/plugin.py)
BUILTIN_PLUGINS = ["health", "session", "i18n", "jsonp", "multipart", "logrotator"]
BUILTIN_PLUGIN_DIRS = [REPO / "eggbin" / "web" / "builtin" / "plugins" / name for name in BUILTIN_PLUGINS]


def wait_until(
    predicate: Callable[[], T], timeout: float = 15.0, interval: float = 0.02, what: str = ""
) -> T:
    """Poll `predicate` until it returns something truthy; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate!r}")
        time.sleep(interval)


@contextlib.contextmanager
def http_server(handler: type[BaseHTTPRequestHandler], host: str = "127.0.0.1") -> Iterator[str]:
    """A threaded standard-library HTTP server on a free port: its base URL; shut down at the end."""
    import threading

    server = ThreadingHTTPServer((host, 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_accepts(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def port_bindable(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def all_gone(processes: Iterable[psutil.Process]) -> bool:
    return not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in processes)


def kill_tree(popen: subprocess.Popen[bytes] | subprocess.Popen[str]) -> None:
    """SIGKILL a process started with `start_new_session=True` and everything in its group."""
    tree = [psutil.Process(popen.pid), *descendants(popen.pid)] if popen.poll() is None else []
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(popen.pid, signal.SIGKILL)
    for proc in tree:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        popen.wait(5)


def cluster_roles(root_pid: int) -> dict[str, list[psutil.Process]]:
    """The eggbin processes below `root_pid` by role (`master`, `agent`, `worker 1`, `zygote`).

    Processes that exit while we look (a reload retires workers) are skipped, not an error.
    """
    roles: dict[str, list[psutil.Process]] = {}
    for proc in descendants(root_pid):
        try:
            title = " ".join(part for part in proc.cmdline() if part).split(" --title=")[0]
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            continue
        if title.startswith("egg-server-") and " " in title:
            roles.setdefault(title.split(" ", 1)[1], []).append(proc)
    return roles


def self_signed_cert(
    directory: Path, host: str = "127.0.0.1", passphrase: bytes | None = None
) -> tuple[Path, Path]:
    """A fresh key and a self-signed certificate for `host` (also its own CA), as PEM files."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    encryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    )
    directory.mkdir(parents=True, exist_ok=True)
    key_file, cert_file = directory / "server.key", directory / "server.crt"
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    )
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_file, cert_file


@functools.cache
def other_user_python() -> str | None:
    """An interpreter of this Python version that another user can run (ours may live under /root)."""
    if _world_reachable(os.path.realpath(sys.executable)):
        return sys.executable
    for candidate in ("/usr/bin/python3", "/usr/local/bin/python3"):
        if os.path.exists(candidate) and _world_reachable(os.path.realpath(candidate)):
            version = subprocess.run([candidate, "-c", "import sys; print(sys.version_info[:2])"], **TEXT)
            if version.stdout.strip() == str(sys.version_info[:2]):
                return candidate
    return None


def _world_reachable(path: str, directory: bool = False) -> bool:
    """`path` reachable by others: parents searchable, `path` executable (a directory: also readable)."""
    parents = Path(path).parents
    wanted = 0o005 if directory else 0o001
    return all(p.stat().st_mode & 0o001 for p in parents) and os.stat(path).st_mode & wanted == wanted


TEXT: dict[str, Any] = {"capture_output": True, "text": True}


def as_other_user(
    code: str, *args: str, timeout: float = 60, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -c <code> <args>` as `OTHER_UID` with no groups (setpriv; needs root): another local user.

    eggbin and its dependencies are importable (PYTHONPATH), and the processes it starts inherit that.
    """
    python = other_user_python()
    if python is None:
        pytest.skip("no Python another user can run")
    for needed in (REPO, Path(sysconfig.get_paths()["purelib"])):
        if not _world_reachable(str(needed), directory=True):
            pytest.skip(f"another user cannot read {needed} (a parent directory is not world-readable)")
    setpriv = ["setpriv", f"--reuid={OTHER_UID}", f"--regid={OTHER_UID}", "--clear-groups"]
    path = os.pathsep.join([str(REPO), sysconfig.get_paths()["purelib"]])
    environ = {**os.environ, "PYTHONPATH": path, **(env or {})}
    command = [*setpriv, python, "-c", code, *args]
    return subprocess.run(command, timeout=timeout, cwd="/", env=environ, **TEXT)


def owned_by_other_user(path: Path) -> Path:
    """`path` and all below it handed to `OTHER_UID` (who must reach it: not inside a 0700 dir)."""
    for root, dirs, files in os.walk(path):
        for name in [*dirs, *files]:
            os.lchown(os.path.join(root, name), OTHER_UID, OTHER_UID)
    os.lchown(path, OTHER_UID, OTHER_UID)
    return path
