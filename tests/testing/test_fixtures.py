"""Acceptance: an app whose tests use every fixture and helper passes, in a real inner pytest run."""

from __future__ import annotations

import pytest

EVERY_FIXTURE = """
import re

import httpx


def test_http(http):
    assert http.get("/").text == "hi, egg"
    assert http.get("/user/3").json() == {"id": "3", "name": "real"}


async def test_async_without_marks(ahttp, app):
    response = await ahttp.get("/user/4")
    assert response.json() == {"id": "4", "name": "real"}


def test_mock_service_value(http, mock):
    mock.service("user", "find", {"id": "x", "name": "mocked"})
    assert http.get("/user/1").json() == {"id": "x", "name": "mocked"}


def test_mock_service_was_restored(http):
    assert http.get("/user/1").json()["name"] == "real"


def test_mock_service_callable_and_error(http, mock):
    mock.service("user", "find", lambda user_id: {"id": user_id, "name": "fn"})
    assert http.get("/user/9").json() == {"id": "9", "name": "fn"}
    mock.service_error("user", "find", "boom")
    assert http.get("/user/9").status_code == 500


async def test_mock_service_exception_async(ahttp, mock):
    mock.service("user", "find", LookupError("gone"))
    assert (await ahttp.get("/user/1")).status_code == 500


def test_mock_context_and_session(http, mock):
    mock.context(user={"name": "alice"})
    mock.session({"uid": 1})
    assert http.get("/whoami").json() == {"user": {"name": "alice"}, "session": {"uid": 1}}


def test_mock_context_was_restored(http):
    assert http.get("/whoami").json() == {"user": None, "session": {}}


def test_mock_headers_and_cookies(http, mock):
    mock.headers({"X-Test": "yes"})
    mock.cookies({"a": "1"})
    http.cookies.set("b", "2")
    assert http.get("/request").json() == {"x-test": "yes", "cookie": "b=2; a=1"}


def test_mock_http_client(http, mock):
    mock.http_client("http://upstream.invalid/data", "GET", {"data": {"mocked": True}})
    assert http.get("/proxy").json() == {"status": 200, "data": {"mocked": True}}
    mock.http_client(re.compile(r"upstream[.]invalid"), "*", httpx.Response(503, json={"down": 1}))
    assert http.get("/proxy").json() == {"status": 503, "data": {"down": 1}}


def test_mock_env(http, mock):
    mock.env("prod")
    assert http.get("/env").json() == {"env": "prod"}


def test_mock_env_was_restored(app):
    assert app.env == "unittest"


def test_logs(http, mock):
    mock.log()
    http.get("/log", headers={"x-who": "bob"})
    assert "bob" in mock.expect_log("visited /log")
    mock.expect_log(re.compile(r"from [a-z]+"))
    mock.not_expect_log("carol")


def test_ctx(ctx, app):
    assert ctx.app is app
    assert ctx.method == "GET"


def test_unsafe_methods_pass_csrf(http, mock):
    assert http.post("/echo", json={}).json() == {"ok": True, "method": "POST"}
    mock.csrf()
    assert http.post("/echo", json={}).status_code == 200


async def test_agent_runs_in_process_and_answers(app):
    import asyncio

    answered = asyncio.get_running_loop().create_future()
    app.messenger.once("pong", answered.set_result)
    app.messenger.send_to_agent("ping", {"n": 1})
    assert await asyncio.wait_for(answered, 5) == {"n": 1}
    assert app.agent.config.env == "unittest"


def test_cluster(cluster):
    running = cluster()
    assert running.http.get("/user/5").json() == {"id": "5", "name": "real"}
    assert running.url == f"http://127.0.0.1:{running.port}"
    assert running.master_pid > 0
"""


@pytest.mark.slow
def test_an_app_using_every_fixture_passes(project: pytest.Pytester) -> None:
    (project.path / "tests" / "test_every_fixture.py").write_text(EVERY_FIXTURE)
    result = project.runpytest_subprocess("-p", "no:cacheprovider", timeout=180)
    result.assert_outcomes(passed=EVERY_FIXTURE.count("\ndef test_") + EVERY_FIXTURE.count("async def test_"))
    lifecycle = (project.path / "run" / "lifecycle.txt").read_text().splitlines()
    assert lifecycle[-1] == "before_close"  # the in-process app was closed at the end of the session


def test_a_failing_assertion_shows_pytests_diff(project: pytest.Pytester) -> None:
    (project.path / "tests" / "test_fail.py").write_text(
        'def test_body(http):\n    assert http.get("/user/1").json() == {"id": "1", "name": "other"}\n'
    )
    result = project.runpytest_subprocess("-p", "no:cacheprovider", timeout=120)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*Differing items:*", "*{'name': 'real'} != {'name': 'other'}*"])
    assert result.ret == pytest.ExitCode.TESTS_FAILED
