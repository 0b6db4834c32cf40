"""egg-mock's helpers as eggbin's fixtures give them (issue #12), in a real inner pytest run."""

from __future__ import annotations

import pytest

INNER = """
import asyncio
import gzip

import pytest

from eggbin.testing.mockhttp import NetworkForbidden


async def test_a_get_with_data_matches_the_url_given_to_curl(ctx, mock):
    mock.http_client("http://upstream.invalid/topics", "GET", {"data": {"n": 1}, "headers": {"x-m": "1"}})
    result = await ctx.curl("http://upstream.invalid/topics", {"data": {"page": 2}, "data_type": "json"})
    assert (result.status, result.data, result.headers["x-m"]) == (200, {"n": 1}, "1")


async def test_egg_mocks_two_argument_form_and_status(ctx, mock):
    mock.http_client("http://upstream.invalid/gone", {"status": 404, "data": "no such thing"})
    result = await ctx.curl("http://upstream.invalid/gone", data_type="text")
    assert (result.status, result.data) == (404, "no such thing")


async def test_a_json_body_outside_data_is_refused_with_the_fix(ctx, mock):
    mock.http_client("http://upstream.invalid/x", {"mocked": True})
    with pytest.raises(TypeError, match="put a JSON body under 'data'"):
        await ctx.curl("http://upstream.invalid/x")


async def test_an_unmocked_request_is_forbidden(ctx):
    with pytest.raises(NetworkForbidden, match="real network access is forbidden"):
        await ctx.curl("http://upstream.invalid/other")


async def test_loopback_stays_reachable(ctx):
    async def answer(reader, writer):
        await reader.readuntil(b"\\r\\n\\r\\n")
        writer.write(b"HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\nConnection: close\\r\\n\\r\\nok")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    try:
        port = server.sockets[0].getsockname()[1]
        assert (await ctx.curl(f"http://127.0.0.1:{port}/", data_type="text")).data == "ok"
    finally:
        server.close()


def test_mock_context_returns_the_context(mock):
    ctx = mock.context({"headers": {"X-Requested-With": "XMLHttpRequest"}}, user={"name": "egg"})
    assert ctx.get("x-requested-with") == "XMLHttpRequest"
    assert ctx.user == {"name": "egg"}
    assert (ctx.method, ctx.url) == ("GET", "/")


def test_the_sync_client_decodes_gzip_once(http):
    response = http.get("/gz")
    assert response.headers["content-encoding"] == "gzip"
    assert response.json() == {"zipped": True}
"""

GZ_ROUTE = """
    async def gz(ctx):
        ctx.body = {"zipped": True}
        ctx.body = gzip.compress(b'{"zipped": true}')
        ctx.set("content-encoding", "gzip")

    app.router.get("/gz", gz)
"""


@pytest.mark.slow
def test_egg_mock_helpers(project: pytest.Pytester) -> None:
    router = project.path / "app" / "router.py"
    router.write_text("import gzip\n\n" + router.read_text() + GZ_ROUTE)
    pyproject = project.path / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "eggbin_forbid_network = true\n")
    (project.path / "tests" / "test_egg_mock.py").write_text(INNER)
    result = project.runpytest_subprocess("-p", "no:cacheprovider", timeout=180)
    result.assert_outcomes(passed=INNER.count("\ndef test_") + INNER.count("async def test_"))
