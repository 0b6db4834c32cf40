"""Dependency injection in a booted app: scopes, lifecycle hooks, resolution by type and name, built-ins."""

from __future__ import annotations

import asyncio
import importlib.util
import logging
from pathlib import Path

import pytest

from eggbin import BackgroundTaskHelper, Validator
from eggbin.web.logger import ContextLogger
from tests.web.boot_support import copy_app, serving, write_app

APP = "decorated_app"


def test_scopes_and_lifecycle_hooks(tmp_path: Path) -> None:
    async def scenario() -> None:
        base = copy_app(APP, tmp_path)
        async with serving(base) as (app, http):
            recorder = await app.get_egg_object("recorder")
            assert recorder.events == ["HelloService.init"]  # singletons are made at boot, init awaited
            hello = await app.get_egg_object("hello_service")
            for name in ("a", "b"):
                assert (await http.get("/api/hello", params={"name": name})).status_code == 200
            assert recorder.events == [
                "HelloService.init",
                "Greeter.init /api/hello",  # one Greeter per request, init after injection,
                "Greeter.destroy /api/hello",  # destroy once the response is out
                "Greeter.init /api/hello",
                "Greeter.destroy /api/hello",
            ]
            assert await app.get_egg_object("hello_service") is hello
        assert recorder.events[-1] == "HelloService.destroy"  # singletons are destroyed at app close

    asyncio.run(scenario())


def test_one_context_proto_per_request_shared_by_its_users(tmp_path: Path) -> None:
    async def scenario() -> None:
        base = copy_app(APP, tmp_path)
        async with serving(base) as (_, http):
            first = (await http.get("/aop/hello", params={"name": "a"})).json()["trace"]
            second = (await http.get("/aop/hello", params={"name": "b"})).json()["trace"]
            # the controller and every advice injected the request's one CallTrace; a new one per request
            assert len(first) == len(second) == 10
            assert first[1].endswith("['a'] {'point': 1}")
            assert second[1].endswith("['b'] {'point': 1}")

    asyncio.run(scenario())


def test_fields_resolve_by_type_by_name_and_builtins(tmp_path: Path) -> None:
    async def scenario() -> None:
        base = copy_app(APP, tmp_path)
        async with serving(base) as (app, _):
            ctx = app.create_anonymous_context({"url": "/where"})
            greeter = await ctx.get_egg_object("greeter")
            hello = await app.get_egg_object("hello_service")
            assert greeter.hello is hello  # by type
            assert greeter.hello_service is hello  # by name (annotated Any)
            assert greeter.same_hello is hello  # Annotated[HelloService, Inject()]
            assert greeter.nothing is None  # optional, nothing matches
            assert greeter.ctx is ctx
            assert greeter.app is app
            assert greeter.background is ctx.background
            assert isinstance(greeter.background, BackgroundTaskHelper)
            assert isinstance(greeter.validator, Validator)
            assert isinstance(greeter.logger, ContextLogger)  # the context logger in context scope
            assert isinstance(hello.logger, logging.Logger)  # the app logger in singleton scope
            assert hello.config is app.config
            assert await ctx.get_egg_object("greeter") is greeter  # one per context
            assert await ctx.get_egg_object("hello_service") is hello

    asyncio.run(scenario())


def test_classic_controllers_and_services_inject_too(tmp_path: Path) -> None:
    async def scenario() -> None:
        base = copy_app(APP, tmp_path)
        async with serving(base) as (app, http):
            assert (await http.get("/classic/greet", params={"name": "old"})).json() == {
                "greeting": "hello, old"
            }
            assert (await http.get("/classic/shout")).json() == {"shout": "HELLO, CLASSIC"}
            recorder = await app.get_egg_object("recorder")
            assert "Greeter.init /classic/greet" in recorder.events  # its async init ran before the action

    asyncio.run(scenario())


def test_get_egg_object_by_a_class_imported_from_elsewhere(tmp_path: Path) -> None:
    async def scenario() -> None:
        base = copy_app(APP, tmp_path)
        async with serving(base) as (app, _):
            # a test importing the app's file under another module name gets another class object
            file = base / "app" / "module" / "store" / "recorder.py"
            spec = importlib.util.spec_from_file_location("elsewhere_recorder", file)
            assert spec is not None
            assert spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            recorder = await app.get_egg_object("recorder")
            assert module.Recorder is not type(recorder)
            assert await app.get_egg_object(module.Recorder) is recorder  # matched by file and name

    asyncio.run(scenario())


def test_lookup_errors_say_what_to_do(tmp_path: Path) -> None:
    async def scenario() -> None:
        base = copy_app(APP, tmp_path)
        async with serving(base) as (app, _):
            with pytest.raises(
                LookupError, match=r"context proto `Greeter` .* use `await ctx.get_egg_object"
            ):
                await app.get_egg_object("greeter")
            with pytest.raises(LookupError, match=r"no proto `nope` in the app \(protos: .*hello_service"):
                await app.get_egg_object("nope")

    asyncio.run(scenario())


def test_singleton_background_helper_is_the_apps(tmp_path: Path) -> None:
    async def scenario() -> None:
        base = copy_app(APP, tmp_path)
        async with serving(base) as (app, http):
            assert (await http.get("/bg/app", params={"tag": "s"})).json() == {"started": "s"}
            await asyncio.wait_for(app.background_tasks_finished(), 10)
            recorder = await app.get_egg_object("recorder")
            assert "app background s" in recorder.events
            worker = await app.get_egg_object("app_worker")
            assert worker.background is app.background

    asyncio.run(scenario())


def test_protos_of_a_plugin_are_found_and_injectable(tmp_path: Path) -> None:
    plugin = tmp_path / "plugins" / "stock"
    (plugin / "app" / "module").mkdir(parents=True)
    (plugin / "__init__.py").write_text('EGG_PLUGIN = {"name": "stock"}\n')
    (plugin / "app" / "module" / "stock.py").write_text(
        "from eggbin import singleton_proto\n\n\n@singleton_proto()\nclass Stock:\n"
        "    def count(self, sku):\n        return 3\n"
    )
    base = write_app(
        tmp_path / "apps" / "shop",
        {
            "config/plugin.py": 'plugins = {"stock": {"enable": True, "path": "../../plugins/stock"}}\n',
            "app/controller/shop.py": """
                from typing import Annotated

                from eggbin import Query, http_controller, http_method, inject


                @http_controller()
                class Shop:
                    stock = inject()  # by name: the plugin's proto

                    @http_method(path="/stock")
                    async def count(self, sku: Annotated[str, Query()]):
                        return {"sku": sku, "count": self.stock.count(sku)}
            """,
        },
    )

    async def scenario() -> None:
        async with serving(base) as (_, http):
            assert (await http.get("/stock", params={"sku": "egg"})).json() == {"sku": "egg", "count": 3}

    asyncio.run(scenario())


def test_a_proto_made_by_hand_says_how_to_get_one(tmp_path: Path) -> None:
    async def scenario() -> None:
        base = copy_app(APP, tmp_path)
        async with serving(base) as (app, _):
            cls = type(await app.get_egg_object("hello_service"))
            by_hand = cls()
            with pytest.raises(
                AttributeError, match=r"`HelloService.config` is filled by eggbin's container"
            ):
                _ = by_hand.config

    asyncio.run(scenario())
