"""Booting a real app: config layering seen over HTTP, extends, the anonymous context, events, roles."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from eggbin.web.application import Agent, Application
from eggbin.web.framework import create_app
from tests.web.boot_support import add_fixture_packages, boot, copy_app, serving


@pytest.fixture(autouse=True)
def _fixture_packages(monkeypatch: pytest.MonkeyPatch) -> None:
    add_fixture_packages(monkeypatch)


def test_config_layers_default_then_env_with_lists_replaced(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with serving(copy_app("boot_basic", tmp_path)) as (app, client):
            response = await client.get("/")
            assert response.status_code == 200
            assert response.json() == {
                "greeting": {"word": "hello", "to": "boot-basic"},
                "list": [3],
                "env": "unittest",
            }
            assert app.config.greeting.word == app.config["greeting"]["word"] == "hello"

    asyncio.run(scenario())


def test_local_env_keeps_default_values(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with serving(copy_app("boot_basic", tmp_path), env="prod") as (_, client):
            assert (await client.get("/")).json()["greeting"] == {"word": "hello", "to": "world"}

    asyncio.run(scenario())


def test_extends_reach_app_context_request_response_and_helper(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with serving(copy_app("boot_basic", tmp_path)) as (app, client):
            response = await client.get("/extend", headers={"x-token": "abc"})
            assert response.json() == {
                "shout": "HI!",
                "app_kind": "boot-basic app",
                "whoami": "ctx of boot-basic",
                "is_api": False,
                "token": "abc",
                "money": "$3.00 for /extend",
            }
            assert response.headers["x-powered-by"] == "boot-basic"
            assert not hasattr(app.context_class, "join"), "imported names are not extensions"
            assert not hasattr(app.context_class, "_private")

    asyncio.run(scenario())


def test_extends_stay_with_their_app(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = await boot(copy_app("boot_basic", tmp_path))
        other = await boot(copy_app("boot_plugins", tmp_path))
        try:
            assert app.shout("x") == "X!"
            assert not hasattr(other, "shout")
            assert type(app) is not Application
            assert isinstance(app, Application)
        finally:
            await app.close()
            await other.close()

    asyncio.run(scenario())


def test_anonymous_context_is_a_get_of_slash_with_extensions(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = await boot(copy_app("boot_basic", tmp_path))
        try:
            ctx = app.create_anonymous_context()
            assert (ctx.method, ctx.path, ctx.whoami()) == ("GET", "/", "ctx of boot-basic")
            assert ctx.helper.money(1) == "$1.00 for /"
            posted = app.create_anonymous_context({"method": "post", "url": "/api/x?a=1"})
            assert (posted.method, posted.path, posted.query, posted.is_api) == (
                "POST",
                "/api/x",
                {"a": "1"},
                True,
            )
        finally:
            await app.close()

    asyncio.run(scenario())


def test_events_call_sync_and_async_listeners(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = await boot(copy_app("boot_basic", tmp_path))
        seen: list[tuple[str, int]] = []
        done = asyncio.Event()

        async def later(value: int) -> None:
            seen.append(("async", value))
            done.set()

        try:
            app.on("thing", lambda value: seen.append(("sync", value)))
            app.on("thing", later)
            app.once("thing", lambda value: seen.append(("once", value)))
            assert app.emit("thing", 1) is True
            await asyncio.wait_for(done.wait(), 5)
            app.emit("thing", 2)
            assert app.emit("nobody-listens") is False
            await asyncio.sleep(0)  # let the second async listener run
            assert seen[:3] == [("sync", 1), ("once", 1), ("async", 1)]
            assert ("sync", 2) in seen
            assert ("once", 2) not in seen
        finally:
            await app.close()

    asyncio.run(scenario())


def test_a_failing_listener_is_logged_not_raised(tmp_path: Path) -> None:
    async def scenario() -> Path:
        app = await boot(copy_app("boot_basic", tmp_path))
        app.on("error", lambda: 1 / 0)
        assert app.emit("error") is True
        await app.close()
        return Path(app.config.logger.dir)

    log_dir = asyncio.run(scenario())
    errors = (log_dir / "common-error.log").read_text()
    assert "listener" in errors
    assert "ZeroDivisionError" in errors


def test_create_app_builds_each_role(tmp_path: Path) -> None:
    async def scenario() -> None:
        agent = await boot(copy_app("boot_basic", tmp_path), role="agent")
        try:
            assert isinstance(agent, Agent)
            assert not isinstance(agent, Application)
            assert agent.agent_only() == "agent of boot-basic"
            assert not hasattr(agent, "shout")
        finally:
            await agent.close()

    asyncio.run(scenario())
    assert isinstance(create_app("app", copy_app("boot_plugins", tmp_path)), Application)
