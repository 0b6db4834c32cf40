"""`app.add_singleton`: client, clients + default, async create, create_instance, and the refusal."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.web.boot_support import boot, boot_error, serving, write_app

BOOT = """
import asyncio


class Client:
    def __init__(self, config, app):
        self.config = dict(config)
        self.app_name = app.name


async def create_async(config, app):
    await asyncio.sleep(0)
    return Client(config, app)


class Boot:
    def __init__(self, app):
        app.add_singleton("db", Client)
        app.add_singleton("cache", Client)
        app.add_singleton("queue", create_async)
        app.add_singleton("bare", Client)
"""

CONFIG = """
config = {
    "db": {"client": {"host": "db1"}, "default": {"port": 5432}},
    "cache": {"clients": {"a": {"host": "a"}, "b": {"host": "b", "port": 1}}, "default": {"port": 6379}},
    "queue": {"clients": {"main": {"url": "q"}}},
}
"""

ROUTER = """
def router(app):
    app.router.get("/", lambda ctx: {"db": ctx.app.db.config, "b": ctx.app.cache.get("b").config})
"""


def _app(tmp_path: Path) -> Path:
    return write_app(tmp_path / "app", {"app.py": BOOT, "config/default.py": CONFIG, "app/router.py": ROUTER})


def test_singletons_from_config_served_over_http(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with serving(_app(tmp_path)) as (app, client):
            assert (await client.get("/")).json() == {
                "db": {"port": 5432, "host": "db1"},
                "b": {"port": 1, "host": "b"},
            }
            assert app.cache.get("a").config == {"port": 6379, "host": "a"}
            assert app.queue.get("main").config == {"url": "q"}
            made = app.bare.create_instance({"x": 1})
            assert (made.config, made.app_name) == ({"x": 1}, "tmp-app")
            assert (await app.queue.create_instance_async({"y": 2})).config == {"y": 2}

    asyncio.run(scenario())


def test_unknown_client_id_names_the_known_ones(tmp_path: Path) -> None:
    async def scenario() -> str:
        app = await boot(_app(tmp_path))
        try:
            app.cache.get("zzz")
        except KeyError as exc:
            return str(exc.args[0])
        finally:
            await app.close()
        raise AssertionError("no KeyError")

    assert asyncio.run(scenario()) == "no `cache` client `zzz` (configured: `a`, `b`)"


def test_client_and_clients_together_are_refused(tmp_path: Path) -> None:
    config = "config = {'db': {'client': {'host': 'x'}, 'clients': {'a': {}}}}\n"
    base = write_app(tmp_path / "app", {"app.py": BOOT, "config/default.py": config})
    assert asyncio.run(boot_error(base)) == (
        f"config `db` has both `client` and `clients` (`{base / 'config' / 'default.py'}`); keep one"
    )
