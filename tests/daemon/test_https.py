"""`eggscripts start` with HTTPS: the flags or `config.cluster.https`, the `https://` banner, a real TLS
handshake, and bad TLS input refused before anything starts (message, exit code, nothing running)."""

from __future__ import annotations

import ssl
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from eggbin.cluster.tls import HTTPS_PORT
from eggbin.daemon.start import StartOptions, cluster_options, start_env
from tests.daemon.conftest import eggscripts, processes_titled
from tests.support import free_port, self_signed_cert

pytestmark = pytest.mark.slow
MakeApp = Callable[[str], tuple[Path, str]]


def start_https(base: Path, title: str, port: int, *tls: str) -> str:
    done = eggscripts(
        "start", str(base), "--daemon", "--title", title, "--port", str(port), "--workers", "1", *tls
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_flags_serve_https_with_the_banner(make_app: MakeApp, isolated: Path) -> None:
    base, title = make_app("daemon_hello")
    _key, cert = self_signed_cert(base / "tls")
    port = free_port()
    try:
        out = start_https(base, title, port, "--https-key", "tls/server.key", "--https-cert", str(cert))
        assert f"{title} is ready on https://0.0.0.0:{port}" in out
        context = ssl.create_default_context(cafile=str(cert))
        answer = httpx.get(f"https://127.0.0.1:{port}/", verify=context, timeout=15)
        assert answer.text.startswith("hello from ")
        assert answer.http_version == "HTTP/1.1"
    finally:
        assert eggscripts("stop", str(base)).returncode == 0
    assert processes_titled(title) == []


def test_config_cluster_https_serves_https(make_app: MakeApp, isolated: Path) -> None:
    base, title = make_app("daemon_hello")
    _key, cert = self_signed_cert(base / "tls")
    (base / "config" / "prod.py").write_text(
        'config = {"cluster": {"https": {"key": "tls/server.key", "cert": "tls/server.crt"}}}\n'
    )
    port = free_port()
    try:
        assert f"is ready on https://0.0.0.0:{port}" in start_https(base, title, port)
        context = ssl.create_default_context(cafile=str(cert))
        assert httpx.get(f"https://127.0.0.1:{port}/", verify=context, timeout=15).status_code == 200
    finally:
        eggscripts("stop", str(base))


def test_https_listens_on_8443_unless_a_port_is_set(make_app: MakeApp, isolated: Path) -> None:
    base, _ = make_app("daemon_hello")
    key, cert = self_signed_cert(base / "tls")
    env = start_env(base, None)
    cluster, listen = cluster_options(StartOptions(base, https_key=key, https_cert=cert), base, env)
    assert (cluster.port, cluster.protocol, listen.port) == (HTTPS_PORT, "https", HTTPS_PORT)
    assert cluster_options(StartOptions(base), base, env)[0].port == 7001
    tls_on_9000 = StartOptions(base, port=9000, https_key=key, https_cert=cert)
    assert cluster_options(tls_on_9000, base, env)[0].port == 9000


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--https-key", "tls/server.key"], "HTTPS needs both a key and a certificate: the cert is missing"),
        (
            ["--https-key", "tls/nope.key", "--https-cert", "tls/server.crt"],
            "HTTPS key file `{base}/tls/nope.key` does not exist",
        ),
        (
            ["--https-key", "tls/other.key", "--https-cert", "tls/server.crt"],
            "HTTPS certificate `{base}/tls/server.crt` and key `{base}/tls/other.key` cannot be used",
        ),
        (["--https-key", "tls/server.crt", "--https-cert", "tls/server.key"], "cannot be used"),
    ],
)
def test_bad_tls_flags_are_refused_before_anything_starts(
    make_app: MakeApp, isolated: Path, flags: list[str], message: str
) -> None:
    base, title = make_app("daemon_hello")
    self_signed_cert(base / "tls")
    other_key, _ = self_signed_cert(base / "other")
    other_key.rename(base / "tls" / "other.key")
    done = eggscripts("start", str(base), "--daemon", "--title", title, "--port", str(free_port()), *flags)
    assert done.returncode == 2, done.stdout + done.stderr
    assert message.format(base=base) in done.stderr
    assert "Traceback" not in done.stderr
    assert processes_titled(title) == []


def test_a_wrong_config_cluster_https_fails_with_exit_1(make_app: MakeApp, isolated: Path) -> None:
    base, title = make_app("daemon_hello")
    (base / "config" / "prod.py").write_text(
        'config = {"cluster": {"https": {"key": "k.pem", "cert": "c.pem"}}}\n'
    )
    done = eggscripts("start", str(base), "--daemon", "--title", title, "--port", str(free_port()))
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"HTTPS key file `{base}/k.pem` does not exist; paths are relative to the app" in done.stderr
    assert processes_titled(title) == []
