"""Boot hooks through real boots: order across units, sync/async, timeouts and failures."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.web.boot_support import add_fixture_packages, boot, boot_error, copy_app, write_app

HOOKS = ["config_will_load", "config_did_load", "did_load", "will_ready", "did_ready"]


@pytest.fixture(autouse=True)
def _fixture_packages(monkeypatch: pytest.MonkeyPatch) -> None:
    add_fixture_packages(monkeypatch)


def test_hooks_run_unit_by_unit_plugins_then_framework_then_app(tmp_path: Path) -> None:
    units = ["fw_plugin", "egg_fixture_fw", "egg_fixture_fw2", "app"]

    async def scenario() -> list[str]:
        app = await boot(copy_app("boot_framework", tmp_path))
        assert app.config.touched_by == units  # config_will_load may change config
        await app.server_did_ready()
        await app.close()
        return list(app.trace)

    trace = asyncio.run(scenario())
    expected = [f"{unit}:init" for unit in units]
    expected += [f"{unit}:{hook}" for hook in [*HOOKS, "server_did_ready"] for unit in units]
    expected += [f"{unit}:before_close" for unit in reversed(units)]
    assert trace == expected


def test_plugin_boots_run_in_dependency_order(tmp_path: Path) -> None:
    async def scenario() -> list[str]:
        app = await boot(copy_app("boot_plugins", tmp_path))
        await app.close()
        return list(app.trace)

    trace = asyncio.run(scenario())
    assert trace[:4] == ["base:init", "greeting:init", "extra:init", "app:init"]
    assert trace[-4:] == [
        "app:before_close",
        "extra:before_close",
        "greeting:before_close",
        "base:before_close",
    ]


def _boot_file(tmp_path: Path, source: str, config: str = "") -> Path:
    files = {"app.py": source}
    if config:
        files["config/default.py"] = config
    return write_app(tmp_path / "app", files)


def test_pending_hook_after_ready_timeout_is_named_and_fails_the_boot(tmp_path: Path) -> None:
    base = _boot_file(
        tmp_path,
        """
        import asyncio


        class Boot:
            def __init__(self, app):
                pass

            async def will_ready(self):
                await asyncio.sleep(30)
        """,
        config="config = {'ready_timeout': 0.2}\n",
    )
    message = asyncio.run(boot_error(base))
    assert message == (
        f"`will_ready` of `Boot` in `{base / 'app.py'}` is still pending after 0.2 s; "
        "make it finish sooner, or raise `ready_timeout` in config"
    )
    assert message.split(";")[0] in (base / "logs" / "tmp-app" / "common-error.log").read_text()


def test_failing_hook_names_file_and_line(tmp_path: Path) -> None:
    base = _boot_file(
        tmp_path,
        """
        class Boot:
            def __init__(self, app):
                self.app = app

            def did_load(self):
                raise RuntimeError("no database")
        """,
    )
    assert asyncio.run(boot_error(base)) == (
        f"`did_load` failed in `{base / 'app.py'}:6`: RuntimeError: no database"
    )


def test_failing_boot_constructor_names_file_and_line(tmp_path: Path) -> None:
    base = _boot_file(tmp_path, "class Boot:\n    def __init__(self, app):\n        app.nothing.here\n")
    assert asyncio.run(boot_error(base)) == (
        f"`Boot(app)` failed in `{base / 'app.py'}:3`: AttributeError: "
        "'Application' object has no attribute 'nothing'"
    )


def test_async_config_will_load_is_refused(tmp_path: Path) -> None:
    base = _boot_file(
        tmp_path,
        "class Boot:\n    def __init__(self, app):\n        pass\n\n"
        "    async def config_will_load(self):\n        pass\n",
    )
    assert (
        asyncio.run(boot_error(base))
        == f"`config_will_load` in `{base / 'app.py'}` must be sync (plain `def`)"
    )


def test_failing_before_close_is_logged_and_the_others_still_run(tmp_path: Path) -> None:
    base = _boot_file(
        tmp_path,
        """
        class Boot:
            def __init__(self, app):
                self.app = app

            def before_close(self):
                raise ValueError("close failed")
        """,
    )

    async def scenario() -> None:
        app = await boot(base)
        await app.close()

    asyncio.run(scenario())
    errors = (base / "logs" / "tmp-app" / "common-error.log").read_text()
    assert f"`before_close` failed in `{base / 'app.py'}:6`: ValueError: close failed" in errors
