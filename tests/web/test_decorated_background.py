"""Background tasks in a booted app: a context waits for its tasks (within a timeout), then is released."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from tests.web.boot_support import copy_app, serving

APP = "decorated_app"


def app_log(base: Path) -> str:
    return (base / "logs" / "decorated" / "decorated-web.log").read_text()


def test_context_is_released_after_its_tasks(tmp_path: Path) -> None:
    async def scenario() -> None:
        base = copy_app(APP, tmp_path)
        async with serving(base) as (app, http):
            recorder = await app.get_egg_object("recorder")
            assert (await http.get("/bg/run", params={"tag": "one"})).json() == {"started": "one"}
            assert "bg one" not in recorder.events  # the response did not wait for the task
            await asyncio.wait_for(app.background_tasks_finished(), 10)
            tail = [e for e in recorder.events if "/bg/run" in e or e.startswith("bg ")]
            assert tail == ["Greeter.init /bg/run", "bg one", "Greeter.destroy /bg/run"]

    asyncio.run(scenario())


def test_run_in_background_is_the_same_mechanism(tmp_path: Path) -> None:
    async def scenario() -> None:
        base = copy_app(APP, tmp_path)
        async with serving(base) as (app, http):
            assert (await http.get("/classic/later", params={"tag": "old"})).json() == {"scheduled": "old"}
            await asyncio.wait_for(app.background_tasks_finished(), 10)
            recorder = await app.get_egg_object("recorder")
            tail = [e for e in recorder.events if "later" in e]
            assert tail == [
                "Greeter.init /classic/later",
                "run_in_background old /classic/later",  # `fn(ctx)`, egg's signature
                "Greeter.destroy /classic/later",
            ]

    asyncio.run(scenario())


def test_a_task_past_the_timeout_is_cancelled_and_logged(tmp_path: Path) -> None:
    async def scenario() -> None:
        base = copy_app(APP, tmp_path)
        async with serving(base) as (app, http):
            started = time.monotonic()
            assert (await http.get("/bg/timeout")).status_code == 200
            await asyncio.wait_for(app.background_tasks_finished(), 10)
            assert time.monotonic() - started < 5  # 0.2 s (the last timeout set), not the task's 30 s
            recorder = await app.get_egg_object("recorder")
            assert "bg forever ended" not in recorder.events
            assert recorder.events[-1] == "Greeter.destroy /bg/timeout"  # released once it was cancelled
        log = app_log(base)
        assert "GET /bg/timeout] [egg:background] task " in log
        assert "forever did not finish within 0.2 s: cancelled" in log

    asyncio.run(scenario())


def test_a_failing_task_is_logged_and_emitted(tmp_path: Path) -> None:
    async def scenario() -> None:
        base = copy_app(APP, tmp_path)
        async with serving(base) as (app, http):
            seen: list[tuple[str, Any]] = []
            app.on("error", lambda exc, ctx: seen.append((str(exc), ctx.path)))
            assert (await http.get("/bg/fail")).json() == {"started": "boom"}
            await asyncio.wait_for(app.background_tasks_finished(), 10)
            assert seen == [("background boom", "/bg/fail")]
        log = app_log(base)
        assert "GET /bg/fail] [egg:background] task " in log
        assert "boom failed: background boom" in log
        assert "RuntimeError: background boom" in log  # with its traceback

    asyncio.run(scenario())


def test_close_waits_then_cancels_and_logs_what_is_left(tmp_path: Path) -> None:
    async def scenario() -> None:
        base = copy_app(APP, tmp_path)
        async with serving(base) as (app, _):
            done: list[str] = []

            async def quick() -> None:
                await asyncio.sleep(0.05)
                done.append("quick")

            async def endless() -> None:
                await asyncio.sleep(60)

            app.background.run(quick)
            app.background.run(endless())  # a coroutine object works too
            started = time.monotonic()
            cancelled = await app.background_tasks.drain(0.5)
            assert time.monotonic() - started < 5
            assert done == ["quick"]
            assert cancelled == ["endless"]
            assert len(app.background_tasks) == 0
        assert "[egg:background] task endless was still running when the process stopped" in app_log(base)

    asyncio.run(scenario())


def test_finished_waits_for_tasks_started_by_tasks(tmp_path: Path) -> None:
    async def scenario() -> None:
        base = copy_app(APP, tmp_path)
        async with serving(base) as (app, _):
            order: list[str] = []

            async def child() -> None:
                await asyncio.sleep(0.05)
                order.append("child")

            async def parent() -> None:
                await asyncio.sleep(0.05)
                app.background.run(child)
                order.append("parent")

            app.background.run(parent)
            await asyncio.wait_for(app.background_tasks_finished(), 10)
            assert order == ["parent", "child"]

    asyncio.run(scenario())
