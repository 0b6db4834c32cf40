"""HTTPS (egg-cluster's `https` option): workers serve TLS with a self-signed certificate made here,
checked by real TLS handshakes from clients that trust it (and refused by clients that do not)."""

from __future__ import annotations

import json
import socket
import ssl
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from websockets.sync.client import connect

from tests.cluster.running import running
from tests.support import self_signed_cert


def trusting(cert: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(cert))


def test_workers_serve_tls_and_ctx_protocol_is_https(tmp_path: Path) -> None:
    key, cert = self_signed_cert(tmp_path / "tls")
    with running(tmp_path, "asgi_app", https_key=str(key), https_cert=str(cert)) as cluster:
        assert cluster.url.startswith("https://127.0.0.1:")
        host, port = urlsplit(cluster.url).hostname, urlsplit(cluster.url).port
        assert (host, port) == ("127.0.0.1", cluster.ready.port)
        with (
            socket.create_connection((host, port), timeout=15) as raw,
            trusting(cert).wrap_socket(raw, server_hostname=host) as tls,  # the handshake itself
        ):
            assert tls.version() in ("TLSv1.2", "TLSv1.3")
            assert tls.getpeercert()["subject"] == ((("commonName", "127.0.0.1"),),)
        with httpx.Client(base_url=cluster.url, verify=trusting(cert), timeout=15) as http:
            answer = http.get("/").json()
            assert (answer["protocol"], answer["secure"]) == ("https", True)
        wss = cluster.url.replace("https://", "wss://") + "/rooms/tls/1"
        with connect(wss, ssl=trusting(cert), proxy=None, open_timeout=15) as ws:
            assert json.loads(ws.recv(timeout=15))["protocol"] == "https"
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.get(cluster.url, timeout=15)  # the system's CAs do not know this certificate
        with pytest.raises(httpx.TransportError):  # plain HTTP on the TLS port is not served
            httpx.get(cluster.url.replace("https://", "http://"), timeout=15)
        assert cluster.state()["address"].startswith("https://")


def test_an_encrypted_key_uses_the_passphrase_from_config(tmp_path: Path) -> None:
    key, cert = self_signed_cert(tmp_path / "tls", passphrase=b"open sesame")
    config = tmp_path / "asgi_app" / "config" / "unittest.py"
    config.parent.mkdir(parents=True)
    config.write_text('config = {"cluster": {"https": {"passphrase": "open sesame"}}}\n')
    with (
        running(tmp_path, "asgi_app", https_key=str(key), https_cert=str(cert)) as cluster,
        httpx.Client(base_url=cluster.url, verify=trusting(cert), timeout=15) as http,
    ):
        assert http.get("/").json()["protocol"] == "https"
