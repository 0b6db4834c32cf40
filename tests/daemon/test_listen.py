"""Where `eggscripts start` and `eggbin dev` listen: flags, then `config.cluster.listen`, then the default."""

from __future__ import annotations

from pathlib import Path

import pytest

from eggbin.daemon.start import StartOptions, listen_of
from eggbin.errors import BootError, UsageError
from eggbin.listen import Listen, resolve_listen
from eggbin.web.appinfo import load_app_info
from eggbin.web.env import ServerEnv
from eggbin.web.preview import preview

PROD = ServerEnv("prod", "test")


def app_dir(tmp_path: Path, prod_config: str | None = None) -> Path:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "router.py").write_text("def router(app):\n    pass\n")
    (tmp_path / "config").mkdir()
    if prod_config is not None:
        (tmp_path / "config" / "prod.py").write_text(f"config = {{'cluster': {{'listen': {prod_config}}}}}\n")
    return tmp_path


def listen(base: Path, env: ServerEnv = PROD, **flags: object) -> Listen:
    return listen_of(StartOptions(base, **flags), base, preview(load_app_info(base, env)))  # type: ignore[arg-type]


def test_default_is_every_interface_on_7001(tmp_path: Path) -> None:
    found = listen(app_dir(tmp_path))
    assert (found.host, found.port, found.path) == ("0.0.0.0", 7001, None)
    assert found.describe() == "0.0.0.0:7001 (host from default, port from default)"


def test_config_hostname_and_port_are_used_and_named(tmp_path: Path) -> None:
    base = app_dir(tmp_path, "{'hostname': '127.0.0.1', 'port': 8123}")
    found = listen(base)
    assert (found.host, found.port) == ("127.0.0.1", 8123)
    assert found.describe() == "127.0.0.1:8123 (host from config/prod.py, port from config/prod.py)"
    assert listen(base, ServerEnv("local", "test")).host == "0.0.0.0"  # config/prod.py is prod's only


def test_flags_win_over_config_one_by_one(tmp_path: Path) -> None:
    base = app_dir(tmp_path, "{'hostname': '127.0.0.1', 'port': 8123}")
    assert listen(base, port=9000).describe() == "127.0.0.1:9000 (host from config/prod.py, port from --port)"
    assert listen(base, host="::1").describe() == "::1:8123 (host from --host, port from config/prod.py)"


def test_config_path_is_a_unix_socket_relative_to_the_app(tmp_path: Path) -> None:
    base = app_dir(tmp_path, "{'path': 'run/shop.sock', 'port': 8123}")
    found = listen(base)
    assert found.path == str(base / "run" / "shop.sock")
    assert found.describe() == f"unix:{base / 'run' / 'shop.sock'} (path from config/prod.py)"
    assert listen(base, port=9000).path is None  # a TCP flag wins over a configured path
    assert listen(base, path="/tmp/x.sock").describe() == "unix:/tmp/x.sock (path from --path)"


def test_path_with_host_or_port_flags_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"--path listens on a unix socket: it cannot be combined"):
        listen(app_dir(tmp_path), path="/tmp/x.sock", port=80)


def test_a_bad_configured_port_names_its_file(tmp_path: Path) -> None:
    with pytest.raises(
        BootError, match=r"`cluster.listen.port` is `70000` \(set in `config/prod.py`\): not a TCP port"
    ):
        listen(app_dir(tmp_path, "{'port': 70000}"))


def test_dev_defaults_to_loopback_and_leaves_the_port_to_the_free_port_search(tmp_path: Path) -> None:
    base = app_dir(tmp_path)
    app = preview(load_app_info(base, ServerEnv("local", "test")))
    found = resolve_listen(Listen(), app, base, "127.0.0.1", None)
    assert (found.host, found.port) == ("127.0.0.1", None)
