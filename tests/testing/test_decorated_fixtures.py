"""The plugin's fixtures and helpers on a decorated app, in a real inner pytest run (as a user's tests)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.support import FIXTURE_APPS

DECORATED_TESTS = """
from app.module.greeting.hello_service import HelloService
from app.module.store.recorder import Recorder


def test_decorated_and_classic_routes(http):
    assert http.get("/api/hello", params={"name": "ann"}).json() == {"greeting": "hello, ann"}
    assert http.get("/classic/greet", params={"name": "bob"}).json() == {"greeting": "hello, bob"}


def test_posts_are_signed_for_csrf(http):
    created = http.post("/api/orders", json={"customer": "c", "items": [{"sku": "s", "quantity": 1}]})
    assert created.status_code == 201


def test_mock_proto_method(http, mock):
    mock.proto(HelloService, "hello", "mocked")
    assert http.get("/api/hello").json() == {"greeting": "mocked"}
    assert http.get("/classic/greet").json() == {"greeting": "mocked"}


def test_mock_proto_by_name_with_a_function_and_an_error(http, mock):
    mock.proto("hello_service", "hello", lambda name: f"fn {name}")
    assert http.get("/api/hello", params={"name": "x"}).json() == {"greeting": "fn x"}
    mock.proto("hello_service", "hello", LookupError("gone"))
    assert http.get("/api/hello").status_code == 500


def test_mock_proto_was_restored(http):
    assert http.get("/api/hello").json() == {"greeting": "hello, egg"}


def test_mock_inject_replaces_the_object(http, mock):
    class FakeHello:
        async def hello(self, name):
            return f"fake {name}"

    mock.inject(HelloService, FakeHello())
    assert http.get("/api/hello", params={"name": "z"}).json() == {"greeting": "fake z"}
    assert http.get("/classic/shout").json() == {"shout": "FAKE CLASSIC"}  # a service injecting it


def test_mock_inject_was_restored(http):
    assert http.get("/classic/shout").json() == {"shout": "HELLO, CLASSIC"}


def test_mock_context_reaches_decorated_handlers(http, mock):
    mock.context(user={"name": "alice"})
    assert http.get("/api/whoami").json() == {"user": {"name": "alice"}}


def test_mock_service_on_the_classic_side(http, mock):
    mock.service("shout", "shout", "quiet")
    assert http.get("/classic/shout").json() == {"shout": "quiet"}


async def test_get_egg_object_by_the_class_the_test_imported(app, ctx):
    hello = await app.get_egg_object(HelloService)
    assert await hello.hello("obj") == "hello, obj"
    greeter = await ctx.get_egg_object("greeter")
    assert greeter.hello is hello


def test_background_tasks_end_before_the_next_test(http, mock):
    assert http.get("/bg/run", params={"tag": "t"}).json() == {"started": "t"}


async def test_the_previous_tests_task_has_run(app):
    recorder = await app.get_egg_object(Recorder)
    assert "bg t" in recorder.events
    assert recorder.events.index("bg t") < recorder.events.index("Greeter.destroy /bg/run")


async def test_background_tasks_finished_is_public(app, ahttp):
    await ahttp.get("/classic/later", params={"tag": "pub"})
    await app.background_tasks_finished()
    recorder = await app.get_egg_object(Recorder)
    assert "run_in_background pub /classic/later" in recorder.events
"""


@pytest.fixture
def decorated(pytester: pytest.Pytester) -> pytest.Pytester:
    shutil.copytree(FIXTURE_APPS / "decorated_app", pytester.path, dirs_exist_ok=True)
    (pytester.path / "tests").mkdir()
    return pytester


def test_every_helper_on_a_decorated_app(decorated: pytest.Pytester) -> None:
    """Run by `eggbin test` (not `python -m pytest`): the tests import the app's modules all the same."""
    (decorated.path / "tests" / "test_decorated.py").write_text(DECORATED_TESTS)
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    done = subprocess.run(
        ["eggbin", "test", "--", "-p", "no:cacheprovider"],
        cwd=decorated.path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "13 passed" in done.stdout
