"""Requests to code written the egg way (issue #12): handlers, middleware, router, bodies, views, errors."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from tests.web.boot_support import boot, boot_error, serving, write_app

CONTROLLER = """
    import datetime as dt
    import uuid

    from eggbin import Controller


    class HomeController(Controller):
        def sync(self):  # a plain def method
            self.ctx.body = {"sync": True}

        async def when(self):
            return {"at": dt.datetime(2024, 5, 1, 10, 0, 0), "id": uuid.UUID(int=1)}

        async def unencodable(self):
            return {"set": {1, 2}}

        async def throw(self):
            self.ctx.throw(500, "remote response error", {"data": {"success": False}})

        async def throw_442(self):
            self.ctx.throw(442, "task title required")

        async def reversed_throw(self):
            self.ctx.throw("name required", 400)

        async def download(self):
            self.ctx.attachment("蛋蛋 report.txt")
            self.ctx.body = b"data"

        async def package(self):
            self.ctx.body = f"package:{self.ctx.params[0]}"

        async def later(self):
            import asyncio

            asyncio.get_running_loop().call_soon(self.explode)
            return "ok"

        def explode(self):
            raise RuntimeError("a loop callback failed")

        async def rules(self):
            tab = {"type": "enum", "values": ["ask"], "required": False}
            self.ctx.validate({"title": "string", "tab": tab})
            return self.ctx.request.body

        async def page(self):
            data = {"items": [{"url": "https://eggjs.org/x"}], "text": "<b>b</b>"}
            await self.ctx.render("news/list.tpl", data)
"""
ROUTER = """
    import re


    def router(app):
        app.router.get("/sync", "home.sync")
        app.router.get("/when", "home.when")
        app.router.get("/unencodable", "home.unencodable")
        app.router.get("/throw", "home.throw")
        app.router.get("/throw442", "home.throw_442")
        app.router.get("/reversed", "home.reversed_throw")
        app.router.get("/download", "home.download")
        app.router.get(re.compile(r"^/package/([\\w.-]+/[\\w.-]+)$"), "home.package")
        app.router.get("/later", "home.later")
        app.router.post("/rules", "home.rules")
        app.router.post("/echo", lambda ctx: {"type": ctx.get("content-type"), "body": ctx.request.body})
        app.router.get("/gzip", lambda ctx: {"long": "x" * 100})
        app.router.get("/page", "home.page")
        app.redirect("/", "/sync")
"""
GZIP = """
    import gzip
    import json


    def gzip_body(options, app):  # egg's middleware guide: replace the body with its gzip
        async def middleware(ctx, next):
            await next()
            body = ctx.body
            if not body or ctx.length < options["threshold"]:
                return
            if isinstance(body, dict | list):
                body = json.dumps(body)
            ctx.body = gzip.compress(body.encode() if isinstance(body, str) else body)
            ctx.set("Content-Encoding", "gzip")

        return middleware
"""
SYNC_MIDDLEWARE = """
    def sync_header(options, app):
        def middleware(ctx, next):  # no async: returns the awaitable of `next()`
            ctx.set("x-sync", "yes")
            return next()

        return middleware
"""
CONFIG = """
    keys = "k"
    middleware = ["sync_header", "gzip_body"]
    gzip_body = {"threshold": 50, "match": "/gzip"}
    body_parser = {"enable_types": ["json", "form", "text"], "extend_types": {"text": ["application/xml"]}}
    security = {"csrf": {"enable": False}, "domain_white_list": [".eggjs.org"]}
"""
LAYOUT = "<title>{% block title %}news{% endblock %}</title>{% block content %}{% endblock %}"
LIST = """{% extends "../layout/layout.tpl" %}{% block content %}{% for item in items %}
{% include "./item.tpl" %}{% endfor %}{{ helper.shtml(text + '<script>x</script>') }}{% endblock %}"""
ITEM = "<a href=\"{{ helper.surl(item.url) }}\">{{ item.url | domain }}</a>{{ helper.sjs('</') }}"
FILTER = "def domain(url):\n    return url and url.split('/')[2]\n"


def _app(tmp_path: Path) -> Path:
    files = {
        "app/controller/home.py": CONTROLLER,
        "app/router.py": ROUTER,
        "app/middleware/gzip_body.py": GZIP,
        "app/middleware/sync_header.py": SYNC_MIDDLEWARE,
        "config/default.py": CONFIG,
        "app/view/layout/layout.tpl": LAYOUT,
        "app/view/news/list.tpl": LIST,
        "app/view/news/item.tpl": ITEM,
        "app/extend/filter.py": FILTER,
    }
    return write_app(tmp_path / "app", files)


def _run(tmp_path: Path, scenario: Any) -> Path:
    base = _app(tmp_path)

    async def run() -> None:
        async with serving(base) as (app, client):
            await scenario(app, client)

    asyncio.run(run())
    return base


def test_sync_controller_method_and_sync_middleware(tmp_path: Path) -> None:
    async def scenario(app: Any, client: Any) -> None:
        response = await client.get("/sync")
        assert response.json() == {"sync": True}
        assert response.headers["x-sync"] == "yes"
        assert (await client.get("/", follow_redirects=False)).headers["location"] == "/sync"

    _run(tmp_path, scenario)


def test_dates_and_uuids_are_json_as_egg_gives_them(tmp_path: Path) -> None:
    async def scenario(app: Any, client: Any) -> None:
        response = await client.get("/when")
        assert response.json() == {"at": "2024-05-01T10:00:00", "id": "00000000-0000-0000-0000-000000000001"}

    _run(tmp_path, scenario)


def test_an_unencodable_body_is_a_logged_500_with_an_error_event(tmp_path: Path) -> None:
    errors: list[BaseException] = []

    async def scenario(app: Any, client: Any) -> None:
        app.on("error", lambda exc, ctx: errors.append(exc))
        response = await client.get("/unencodable", headers={"accept": "application/json"})
        assert response.status_code == 500
        assert response.json()["message"] == "a response body holds a `set`, which cannot be sent as JSON"

    base = _run(tmp_path, scenario)
    assert [type(e).__name__ for e in errors] == ["TypeError"]
    assert "cannot be sent as JSON" in (base / "logs" / "tmp-app" / "common-error.log").read_text()


def test_an_error_escaping_every_request_reaches_common_error_log(tmp_path: Path) -> None:
    async def scenario(app: Any, client: Any) -> None:
        assert (await client.get("/later")).text == "ok"
        await asyncio.sleep(0)  # the callback runs on the next loop turn

    base = _run(tmp_path, scenario)
    log = (base / "logs" / "tmp-app" / "common-error.log").read_text()
    assert "[egg:loop]" in log
    assert "RuntimeError: a loop callback failed" in log


def test_throw_in_koas_forms(tmp_path: Path) -> None:
    async def scenario(app: Any, client: Any) -> None:
        thrown = await client.get("/throw", headers={"accept": "application/json"})
        assert thrown.status_code == 500
        assert thrown.json()["message"] == "remote response error"
        assert thrown.json()["data"] == {"success": False}
        odd = await client.get("/throw442", headers={"accept": "application/json"})
        assert (odd.status_code, odd.json()["message"]) == (442, "task title required")
        reversed_ = await client.get("/reversed", headers={"accept": "application/json"})
        assert (reversed_.status_code, reversed_.json()["message"]) == (400, "name required")

    _run(tmp_path, scenario)


def test_attachment_and_regex_routes(tmp_path: Path) -> None:
    async def scenario(app: Any, client: Any) -> None:
        response = await client.get("/download")
        assert response.headers["content-disposition"] == (
            "attachment; filename=\"?? report.txt\"; filename*=UTF-8''%E8%9B%8B%E8%9B%8B%20report.txt"
        )
        assert response.headers["content-type"] == "text/plain; charset=utf-8"  # from the file name
        assert (await client.get("/package/egg/1.0.0")).text == "package:egg/1.0.0"

    _run(tmp_path, scenario)


def test_body_parser_types_and_a_deep_json(tmp_path: Path) -> None:
    async def scenario(app: Any, client: Any) -> None:
        xml = await client.post("/echo", content="<a b='1'/>", headers={"content-type": "application/xml"})
        assert xml.json() == {"type": "application/xml", "body": "<a b='1'/>"}
        text = await client.post(
            "/echo", content="raw", headers={"content-type": "text/plain; charset=utf-8"}
        )
        assert text.json()["body"] == "raw"
        unknown = await client.post(
            "/echo", content="x", headers={"content-type": "application/octet-stream"}
        )
        assert unknown.json()["body"] == {}
        deep = await client.post(
            "/echo", content="[" * 100_000 + "]" * 100_000, headers={"content-type": "application/json"}
        )
        assert deep.status_code == 400
        assert "nested too deeply" in deep.text

    _run(tmp_path, scenario)


def test_egg_validate_rules_answer_422(tmp_path: Path) -> None:
    async def scenario(app: Any, client: Any) -> None:
        response = await client.post("/rules", json={"tab": "job"}, headers={"accept": "application/json"})
        assert response.status_code == 422
        assert response.json() == {
            "code": "invalid_param",
            "message": "Validation Failed",
            "errors": [
                {"message": "required", "field": "title", "code": "missing_field"},
                {"message": "should be one of ask", "field": "tab", "code": "invalid"},
            ],
        }
        assert (await client.post("/rules", json={"title": "t"})).json() == {"title": "t"}

    _run(tmp_path, scenario)


def test_a_middleware_replacing_the_body_keeps_its_type(tmp_path: Path) -> None:
    async def scenario(app: Any, client: Any) -> None:
        response = await client.get("/gzip")
        assert response.headers["content-type"] == "application/json"
        assert response.headers["content-encoding"] == "gzip"
        assert response.json() == {"long": "x" * 100}  # decoded once by the client

    _run(tmp_path, scenario)


def test_views_with_relative_paths_filters_and_security_helpers(tmp_path: Path) -> None:
    async def scenario(app: Any, client: Any) -> None:
        page = (await client.get("/page")).text
        assert page.startswith("<title>news</title>")
        assert '<a href="https://eggjs.org/x">eggjs.org</a>' in page  # surl, the `domain` filter
        assert "\\x3c\\x2f" in page  # sjs
        assert "<b>b</b>" in page  # shtml keeps what the white list allows
        assert "<script>" not in page

    _run(tmp_path, scenario)


def test_a_bad_route_pattern_names_its_line(tmp_path: Path) -> None:
    router = "def router(app):\n    app.get('/', lambda c: 1)\n    app.get('/x/{id:nope}', lambda c: 1)\n"
    base = write_app(tmp_path / "app", {"app/router.py": router})
    message = asyncio.run(boot_error(base))
    assert f"route `GET HEAD /x/{{id:nope}}` at `{base / 'app' / 'router.py'}:3` has a bad path" in message


def test_sync_schedule_task(tmp_path: Path) -> None:
    schedule = "schedule = {'interval': '1m'}\n\n\ndef task(ctx):\n    ctx.app.ticked = True\n"
    base = write_app(tmp_path / "app", {"app/schedule/tick.py": schedule})

    async def scenario() -> None:
        app = await boot(base)
        try:
            await app.run_schedule("tick")
            assert app.ticked is True
        finally:
            await app.close()

    asyncio.run(scenario())
