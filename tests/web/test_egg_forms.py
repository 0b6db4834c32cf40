"""Code written the egg way boots (issue #12): config and plugin files, boots, imports, extends' order.

What eggbin cannot honour is reported once at boot, naming the file and line, instead of being ignored.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from eggbin.testing.project import project_kind
from eggbin.web.appinfo import is_app_dir
from tests.web.boot_support import boot, boot_error, serving, write_app


def _warnings(base: Path) -> list[str]:
    log = base / "logs" / "tmp-app" / "egg-web.log"
    return [line for line in log.read_text().splitlines() if " WARN " in line]


def test_config_keys_win_over_dict_methods(tmp_path: Path) -> None:
    config = 'config = {"keys": "k1,k2", "shop": {"items": ["egg"], "get": 1, "copy": "c"}}\n'
    base = write_app(tmp_path / "app", {"config/default.py": config})

    async def scenario() -> None:
        app = await boot(base)
        try:
            assert app.config.keys == "k1,k2"
            assert (app.config.shop.items, app.config.shop.get, app.config.shop.copy) == (["egg"], 1, "c")
            assert app.config.shop["items"] == ["egg"]
            assert app.config.base_dir == str(base)  # egg's `config.baseDir`
            assert app.config.static.dir == str(base / "app" / "public")  # resolved, not empty
        finally:
            await app.close()

    asyncio.run(scenario())
    dumped = json.loads((base / "run" / "application_config.json").read_text())["config"]
    assert dumped["shop"]["items"] == ["egg"]  # the dump walks a config holding an `items` key


def test_exports_style_config_file_is_read(tmp_path: Path) -> None:
    config = 'from pathlib import Path\n\nkeys = "my keys"\nmiddleware = []\nhello = {"text": "hi"}\n_x = 1\n'
    base = write_app(
        tmp_path / "app", {"config/default.py": config, "config/unittest.py": 'hello = {"to": "u"}\n'}
    )

    async def scenario() -> None:
        app = await boot(base)
        try:
            assert app.config.keys == "my keys"
            assert app.config.hello == {"text": "hi", "to": "u"}
            assert "_x" not in app.config
            assert "Path" not in app.config
            assert app.config_meta["hello.text"] == str(base / "config" / "default.py")
        finally:
            await app.close()

    asyncio.run(scenario())
    assert _warnings(base) == []


def test_a_name_beside_config_is_reported_with_its_line(tmp_path: Path) -> None:
    config = 'PORT = 7001\nconfig = {"keys": "k"}\nbody_parser = {"enable_types": ["text"]}\n'
    base = write_app(tmp_path / "app", {"config/default.py": config})

    async def scenario() -> None:
        app = await boot(base)
        await app.close()
        assert "body_parser" not in app.config or app.config.body_parser.get("enable_types") != ["text"]

    asyncio.run(scenario())
    [warning] = _warnings(base)
    assert f"`{base / 'config' / 'default.py'}:3` assigns `body_parser`, which is not read" in warning


def test_confused_config_key_is_reported(tmp_path: Path) -> None:
    base = write_app(tmp_path / "app", {"config/default.py": 'bodyparser = {"json_limit": "1kb"}\n'})

    async def scenario() -> None:
        await (await boot(base)).close()

    asyncio.run(scenario())
    [warning] = _warnings(base)
    assert "unexpected config key `bodyparser`" in warning
    assert "eggbin reads `body_parser`" in warning


def test_a_view_engine_eggbin_lacks_is_reported(tmp_path: Path) -> None:
    config = 'view = {"default_view_engine": "ejs", "mapping": {".tpl": "nunjucks"}}\n'
    base = write_app(tmp_path / "app", {"config/default.py": config})

    async def scenario() -> None:
        await (await boot(base)).close()

    asyncio.run(scenario())
    [warning] = _warnings(base)
    assert "`view.default_view_engine` names the view engine `ejs`" in warning


def test_plugin_file_in_exports_style_and_built_in_plugins(tmp_path: Path) -> None:
    plugin = """
        import os

        static = False
        schedule = False
        nunjucks = {"enable": True, "package": "egg-view-nunjucks"}
    """
    files = {"config/plugin.py": plugin, "app/public/a.txt": "file", "app/router.py": ROUTE_ROOT}
    base = write_app(tmp_path / "app", files)

    async def scenario() -> None:
        async with serving(base) as (app, client):
            assert (await client.get("/public/a.txt")).status_code == 404  # static is off
            assert app.built_in_plugins == {"static": False, "schedule": False, "nunjucks": True}

    asyncio.run(scenario())
    [warning] = _warnings(base)
    assert f"`{base / 'config' / 'plugin.py'}:4` turns off `schedule`, which eggbin builds in" in warning


ROUTE_ROOT = "def router(app):\n    app.router.get('/', lambda ctx: 'root')\n"


def test_a_boot_class_of_any_name_runs_after_extends(tmp_path: Path) -> None:
    boot_file = """
        from .app.lib.words import WORD


        class AppBootHook:
            def __init__(self, app):
                self.app = app
                self.app.seen = [app.shout(WORD)]  # extends are there before boots, as in egg

            def config_will_load(self):
                self.app.seen.append("config_will_load")

            def did_load(self):  # a plain def hook
                self.app.seen.append("did_load")
    """
    files = {
        "app.py": boot_file,
        "app/lib/words.py": "WORD = 'egg'\n",
        "app/extend/application.py": "def shout(self, word):\n    return word.upper()\n",
    }
    base = write_app(tmp_path / "app", files)

    async def scenario() -> None:
        app = await boot(base)
        await app.close()
        assert app.seen == ["EGG", "config_will_load", "did_load"]

    asyncio.run(scenario())


def test_two_boot_classes_fail_the_boot_naming_both(tmp_path: Path) -> None:
    source = "class A:\n    def did_load(self): ...\n\n\nclass B:\n    def will_ready(self): ...\n"
    base = write_app(tmp_path / "app", {"app.py": source})
    message = asyncio.run(boot_error(base))
    assert f"`{base / 'app.py'}` defines several boot classes (`A`, `B`)" in message


def test_function_style_app_py_with_egg_1_api(tmp_path: Path) -> None:
    source = """
        events = []


        def app(app):
            async def warm():
                await app.curl(app.config.upstream)  # app.curl, awaited before ready
                events.append("before_start")

            app.before_start(warm)
            app.ready(lambda: events.append("ready"))
            app.before_close(lambda: events.append("before_close"))
            events.append("configured")
    """
    base = write_app(tmp_path / "app", {"app.py": source})

    async def scenario() -> list[str]:
        server, port = await _serve_text("upstream")
        try:
            (base / "config").mkdir(exist_ok=True)
            (base / "config" / "default.py").write_text(f'upstream = "http://127.0.0.1:{port}/"\n')
            app = await boot(base)
            await app.ready()  # already ready: returns at once
            module = next(e.boot.fn.__globals__ for e in app.lifecycle.entries if hasattr(e.boot, "fn"))
            await app.close()
            return list(module["events"])
        finally:
            server.close()
            await server.wait_closed()

    assert asyncio.run(scenario()) == ["configured", "before_start", "ready", "before_close"]


def test_a_boot_file_without_a_boot_is_reported(tmp_path: Path) -> None:
    base = write_app(tmp_path / "app", {"app.py": "import os\n\n\ndef setup(app):\n    pass\n"})

    async def scenario() -> None:
        await (await boot(base)).close()

    asyncio.run(scenario())
    [warning] = _warnings(base)
    assert f"`{base / 'app.py'}:4` defines `setup`, but `app.py` has no boot to run" in warning


def test_an_absolute_import_of_the_app_says_to_import_relatively(tmp_path: Path) -> None:
    base = write_app(tmp_path / "app", {"app.py": "from app.lib.x import y\n"})
    message = asyncio.run(boot_error(base))
    assert f"ModuleNotFoundError in `{base / 'app.py'}:1`" in message
    assert "import the app's own modules relatively" in message


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"config/default.py": "keys = 'k'\n", "app/middleware/hello.py": ""}, True),
        ({"app/schedule/tick.py": "", "pyproject.toml": "[project]\nname = 'x'\n"}, True),
        ({"pyproject.toml": "[project]\nname = 'x'\n\n[tool.egg]\n"}, True),
        ({"app/__init__.py": "", "app/service/x.py": "", "app/main.py": ""}, False),  # a FastAPI layout
        ({"pyproject.toml": "[project]\nname = 'x'\n\n[tool.egg]\ntype = 'plugin'\n"}, False),
        ({"README.md": "hello"}, False),
    ],
)
def test_what_makes_an_app(tmp_path: Path, files: dict[str, str], expected: bool) -> None:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert is_app_dir(tmp_path) is expected
    assert (project_kind(tmp_path) == "app") is expected


async def _serve_text(text: str) -> tuple[asyncio.Server, int]:
    """A real HTTP server on 127.0.0.1 answering `text` to anything."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        body = text.encode()
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body)
        )
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]
