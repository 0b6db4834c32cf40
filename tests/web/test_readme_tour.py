"""Every snippet of the README's "Writing an app" section, booted and requested for real."""

from __future__ import annotations

from collections.abc import Callable

from tests.web.conftest import Booted

TOUR = "readme_tour"


def test_controllers_services_and_config(boot_app: Callable[..., Booted]) -> None:
    http = boot_app(TOUR).http
    home = http.get("/")
    assert (home.status_code, home.text, home.headers["content-type"]) == (
        200,
        "hi, egg",
        "text/plain; charset=utf-8",  # Koa's rule: a string body is HTML only when it starts with `<`
    )
    assert http.get("/orders/7").json() == {"id": 7, "total": "70 EUR"}
    assert http.get("/users/ada").json() == {"id": "ada", "url": "/users/ada", "by": "ME!"}


def test_env_file_merges_over_default(boot_app: Callable[..., Booted]) -> None:
    app = boot_app(TOUR, env="prod").app
    assert app.config.shop.page_size == 50
    assert app.config["shop"]["currency"] == "EUR"
    assert app.config.shop.ready is True  # set by the Boot class in app.py


def test_resources_redirect_and_validation(boot_app: Callable[..., Booted]) -> None:
    http = boot_app(TOUR).http
    assert http.get("/products").json() == [{"id": 1}]
    assert http.get("/products/3").json() == {"id": 3}
    moved = http.get("/old")
    assert (moved.status_code, moved.headers["location"]) == (301, "/")
    refused = http.post("/orders", json={"sku": "egg-1", "quantity": 2})
    assert refused.status_code == 403  # CSRF is on for unsafe methods
    http.cookies.set("csrfToken", "t0ken")  # a browser has it from any page that used `ctx.csrf`
    http.headers["x-csrf-token"] = "t0ken"
    http.headers["accept"] = "application/json"  # errors are JSON when the client prefers JSON (egg's rule)
    created = http.post("/orders", json={"sku": "egg-1", "quantity": 2})
    assert (created.status_code, created.json()) == (201, {"sku": "egg-1", "quantity": 2})
    invalid = http.post("/orders", json={"sku": "egg-1"})
    assert invalid.status_code == 422
    assert invalid.json() == {
        "code": "invalid_param",
        "message": "Validation Failed",
        "errors": [{"message": "required", "field": "quantity", "code": "missing_field"}],
    }


def test_middleware_views_and_static(boot_app: Callable[..., Booted]) -> None:
    http = boot_app(TOUR).http
    assert http.get("/").headers["x-response-time"].endswith("ms")
    assert (
        http.get("/hello", params={"name": "<b>you</b>"}).text.strip()
        == "<p>Hello, &lt;b&gt;you&lt;/b&gt;</p>"
    )
    css = http.get("/public/site.css")
    assert css.status_code == 200
    assert "x-response-time" not in css.headers  # `ignore` keeps the middleware off /public
