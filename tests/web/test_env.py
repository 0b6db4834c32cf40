"""EGG_SERVER_ENV resolution (DESIGN.md §5) as a table: --env → config/env → EGG_SERVER_ENV → NODE_ENV."""

from __future__ import annotations

from pathlib import Path

import pytest

from eggbin.web.appinfo import load_app_info
from eggbin.web.env import ServerEnv, resolve_env

# (explicit --env, config/env file, EGG_SERVER_ENV, NODE_ENV) → (env, source)
TABLE = [
    (None, None, None, None, ("local", "default")),
    ("prod", "test", "unittest", "production", ("prod", "--env")),
    (None, "staging", "unittest", "production", ("staging", "config/env")),
    (None, "  \n", "unittest", None, ("unittest", "EGG_SERVER_ENV")),
    (None, None, "unittest", "production", ("unittest", "EGG_SERVER_ENV")),
    (None, None, "", "test", ("unittest", "NODE_ENV=test")),
    (None, None, None, "test", ("unittest", "NODE_ENV=test")),
    (None, None, None, "production", ("prod", "NODE_ENV=production")),
    (None, None, None, "development", ("local", "NODE_ENV=development")),
    (None, None, None, "", ("local", "default")),
]


@pytest.mark.parametrize(("explicit", "env_file", "egg_server_env", "node_env", "expected"), TABLE)
def test_resolution_order(
    tmp_path: Path,
    explicit: str | None,
    env_file: str | None,
    egg_server_env: str | None,
    node_env: str | None,
    expected: tuple[str, str],
) -> None:
    if env_file is not None:
        (tmp_path / "config").mkdir()
        (tmp_path / "config" / "env").write_text(env_file)
    environ = {
        k: v for k, v in {"EGG_SERVER_ENV": egg_server_env, "NODE_ENV": node_env}.items() if v is not None
    }
    assert resolve_env(tmp_path, explicit, environ) == ServerEnv(*expected)


def test_process_environment_is_the_default_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EGG_SERVER_ENV", "prod")
    assert resolve_env(tmp_path) == ServerEnv("prod", "EGG_SERVER_ENV")
    assert str(resolve_env(tmp_path)) == "prod (from EGG_SERVER_ENV)"


@pytest.mark.parametrize(
    ("env", "root_is_base"), [("local", True), ("unittest", True), ("prod", False), ("staging", False)]
)
def test_root_is_base_dir_only_for_local_and_unittest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: str, root_is_base: bool
) -> None:
    monkeypatch.setenv("EGG_HOME", str(tmp_path / "egg-home"))
    info = load_app_info(tmp_path, ServerEnv(env, "test"))
    assert info.root == (tmp_path if root_is_base else tmp_path / "egg-home")
    assert info.home == tmp_path / "egg-home"
