"""Helpers every test tier shares: deadlines instead of sleeps, free ports, process-tree cleanup."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

import psutil

T = TypeVar("T")

REPO = Path(__file__).resolve().parent.parent
FIXTURE_APPS = Path(__file__).resolve().parent / "fixtures" / "apps"
BIN = Path(sys.executable).parent
# egg's built-in plugins, in load order: every app loads them first (eggbin/web/builtin/config/plugin.py)
BUILTIN_PLUGINS = ["session", "i18n", "jsonp", "multipart", "logrotator"]
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
