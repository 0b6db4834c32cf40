"""`eggbin dev` honours `config.cluster.https` as egg's workers do: TLS, and an `https://` banner."""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx
import pytest

from tests.devserver.running import copy_app, eggbin
from tests.support import free_port, self_signed_cert, wait_until

pytestmark = pytest.mark.slow


def test_dev_serves_https_from_config(tmp_path: Path, isolated: Path) -> None:
    app = copy_app(tmp_path)
    _key, cert = self_signed_cert(app / "tls")
    (app / "config" / "local.py").write_text(
        'config = {"cluster": {"https": {"key": "tls/server.key", "cert": "tls/server.crt"}}}\n'
    )
    port = free_port()
    with eggbin(["dev", "--port", str(port)], app, tmp_path / "dev.log", None) as run:
        run.wait_output(rf"serving on https://127\.0\.0\.1:{port}", timeout=60)
        context = ssl.create_default_context(cafile=str(cert))
        answer = wait_until(lambda: httpx.get(f"https://127.0.0.1:{port}/", verify=context, timeout=5))
        assert answer.status_code == 200
