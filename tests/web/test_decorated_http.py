"""Decorated controllers through real HTTP: routes, typed parameters, bodies, errors, and the shared stack."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from eggbin.web.appinfo import is_app_dir
from tests.support import wait_until
from tests.web.boot_support import serving
from tests.web.conftest import Booted

APP = "decorated_app"
API = "tests/fixtures/apps/decorated_app/app/controller/api.py"


@pytest.fixture
def egg(boot_app: Callable[..., Booted]) -> Booted:
    booted = boot_app(APP)
    booted.http.headers["accept"] = "application/json"  # errors as JSON (egg's accept rule)
    return booted


def with_csrf(http: httpx.Client) -> httpx.Client:
    http.cookies.set("csrfToken", "t0ken")
    http.headers["x-csrf-token"] = "t0ken"
    return http


def test_query_parameter_with_a_default(egg: Booted) -> None:
    assert egg.http.get("/api/hello").json() == {"greeting": "hello, egg"}
    assert egg.http.get("/api/hello", params={"name": "ann"}).json() == {"greeting": "hello, ann"}


def test_every_parameter_source(egg: Booted) -> None:
    egg.http.cookies.set("flavour", "vanilla")
    response = egg.http.get(
        "/api/items/7",
        params=[("tag", "a"), ("tag", "b"), ("limit", "3")],
        headers={"x-token": "tok", "user-agent": "curl/8"},
    )
    assert response.status_code == 200
    assert response.json() == {
        "id": 7,  # `Param()` converted to int
        "tags": ["a", "b"],  # `Queries("tag")`
        "limit": 3,  # `Query()`, optional int
        "token": "tok",  # `Header("x-token")`
        "agent": "curl/",  # `Headers()`
        "path": "/api/items/7",  # a `Context` parameter
        "method": "GET",  # a `Request` parameter
        "flavour": "vanilla",  # a `Cookies` parameter
    }


def test_brace_path_and_header_named_after_the_parameter(egg: Booted) -> None:
    response = egg.http.get("/api/users/ada", headers={"user-agent": "lynx/2"})
    assert response.json() == {"uid": "ada", "user_agent": "lynx/"}


def test_bad_parameters_are_one_422_in_egg_validates_format(egg: Booted) -> None:
    response = egg.http.get("/api/items/seven", params={"limit": "many"})
    assert response.status_code == 422
    body = response.json()
    assert {key: body[key] for key in ("code", "message")} == {
        "code": "invalid_param",
        "message": "Validation Failed",
    }
    assert body["errors"] == [
        {
            "message": "Input should be a valid integer, unable to parse string as an integer",
            "field": "id",
            "code": "invalid",
        },
        {"message": "required", "field": "x-token", "code": "missing_field"},
        {
            "message": "Input should be a valid integer, unable to parse string as an integer",
            "field": "limit",
            "code": "invalid",
        },
    ]


def test_body_model_is_validated_with_nested_fields_dotted(egg: Booted) -> None:
    http = with_csrf(egg.http)
    invalid = http.post("/api/orders", json={"items": [{"sku": "egg", "quantity": 0}, {"quantity": 1}]})
    assert invalid.status_code == 422
    assert invalid.json()["errors"] == [
        {"message": "required", "field": "customer", "code": "missing_field"},
        {"message": "Input should be greater than 0", "field": "items.0.quantity", "code": "invalid"},
        {"message": "required", "field": "items.1.sku", "code": "missing_field"},
    ]
    created = http.post("/api/orders", json={"customer": "ann", "items": [{"sku": "egg", "quantity": 2}]})
    assert created.status_code == 201  # set through the `Context` parameter
    assert created.headers["content-type"] == "application/json"
    assert created.json() == {"customer": "ann", "items": [{"sku": "egg", "quantity": 2}]}  # a model


def test_classic_validate_answers_the_same_422(egg: Booted) -> None:
    response = with_csrf(egg.http).post("/classic/tasks", json={"priority": "high"})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"message": "required", "field": "name", "code": "missing_field"},
        {
            "message": "Input should be a valid integer, unable to parse string as an integer",
            "field": "priority",
            "code": "invalid",
        },
    ]


def test_csrf_guards_decorated_posts_too(egg: Booted) -> None:
    refused = egg.http.post("/api/orders", json={"customer": "ann", "items": []})
    assert refused.status_code == 403
    assert refused.json()["message"] == "missing csrf token"


def test_returned_str_is_html_and_none_is_204(egg: Booted) -> None:
    html = egg.http.get("/api/html")
    assert (html.status_code, html.headers["content-type"], html.text) == (
        200,
        "text/html; charset=utf-8",
        "<h1>decorated</h1>",
    )
    empty = egg.http.get("/api/empty")
    assert (empty.status_code, empty.content) == (204, b"")


def test_timeout_answers_500_and_is_logged(egg: Booted) -> None:
    response = egg.http.get("/api/slow")
    assert response.status_code == 500
    assert response.json()["message"] == "timeout"
    log = egg.base / "logs" / "decorated" / "decorated-web.log"
    wait_until(lambda: "timeout after 0.2 s" in log.read_text(), what="the timeout in the app log")
    assert "GET /api/slow] timeout after 0.2 s" in log.read_text()  # the context logger's request line


def test_errors_go_through_onerror(egg: Booted) -> None:
    response = egg.http.get("/api/teapot")
    assert response.status_code == 418
    assert response.json() == {"message": "I'm a teapot", "detail": "short and stout"}
    browser = egg.http.get("/api/teapot", headers={"accept": "text/html"})
    assert browser.status_code == 418
    assert "I&#x27;m a teapot" in browser.text or "I'm a teapot" in browser.text


def test_named_route_sync_method_delete_and_head(egg: Booted) -> None:
    assert egg.http.get("/api/named").json() == {"url": "/api/named"}
    assert egg.app.url_for("api_named") == "/api/named"
    assert egg.http.get("/api/sync", params={"n": 21}).json() == {"double": 42}
    assert with_csrf(egg.http).delete("/api/items/5").json() == {"removed": 5}
    head = egg.http.head("/api/hello")
    assert (head.status_code, head.content) == (200, b"")


def test_app_middleware_and_logging_are_shared(egg: Booted) -> None:
    for path in ("/api/hello?name=log", "/classic/greet?name=log"):
        assert egg.http.get(path).headers["x-stamp"] == "classic-middleware"
    log = egg.base / "logs" / "decorated" / "decorated-web.log"
    wait_until(lambda: log.read_text().count("greeting log") == 2, what="both greetings logged")
    lines = [line for line in log.read_text().splitlines() if "greeting log" in line]
    assert "GET /api/hello?name=log] greeting log" in lines[0]
    assert "GET /classic/greet?name=log] greeting log" in lines[1]


def test_router_json_lists_decorated_routes_where_they_are_declared(egg: Booted) -> None:
    routes = json.loads((egg.base / "run" / "router.json").read_text())
    classic = next(r for r in routes if r["path"] == "/classic/greet")
    decorated = next(r for r in routes if r["path"] == "/api/items/:id" and r["methods"] == ["GET", "HEAD"])
    assert classic["where"].endswith("app/router.py:2")
    assert decorated["where"] == f"{egg.base}/app/controller/api.py:45"
    assert routes.index(classic) < routes.index(decorated)  # app/router.py first, then decorated
    named = next(r for r in routes if r["path"] == "/api/named")
    assert named["name"] == "api_named"


def test_an_app_of_decorated_controllers_needs_no_router_file(tmp_path: Path) -> None:
    base = tmp_path / "routerless"
    (base / "app" / "controller").mkdir(parents=True)
    (base / "pyproject.toml").write_text('[project]\nname = "routerless"\nversion = "0.0.0"\n')
    (base / "app" / "controller" / "hi.py").write_text(
        "from eggbin import http_controller, http_method\n\n\n"
        "@http_controller()\nclass Hi:\n"
        "    @http_method(path='/')\n    async def hi(self):\n        return 'hi'\n"
    )
    assert is_app_dir(base)

    async def scenario() -> str:
        async with serving(base) as (_, client):
            return (await client.get("/")).text

    assert asyncio.run(scenario()) == "hi"


def test_an_optional_body_is_its_default_when_no_body_is_sent(egg: Booted) -> None:
    http = with_csrf(egg.http)
    assert http.put("/api/note").json() == {"note": None}
    assert http.put("/api/note", json={"sku": "n", "quantity": 1}).json() == {
        "note": {"sku": "n", "quantity": 1}
    }
    assert http.put("/api/note", json={"sku": "n"}).json()["errors"] == [
        {"message": "required", "field": "quantity", "code": "missing_field"}
    ]
