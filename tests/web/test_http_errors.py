"""onerror and notfound through real requests: JSON vs HTML by Accept, stacks only in local, hooks, 422s."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.web.conftest import Booted

JSON = {"accept": "application/json"}
HTML = {"accept": "text/html"}


@pytest.fixture
def egg(boot_app: Callable[..., Booted]) -> Booted:
    return boot_app("http_app")


def csrf_headers(egg: Booted) -> dict[str, str]:
    return {"x-csrf-token": egg.http.get("/csrf").json()["csrf"]}


def test_unknown_route_is_404_json_for_json_clients(egg: Booted) -> None:
    response = egg.http.get("/no/such/page", headers=JSON)
    assert response.status_code == 404
    assert response.json() == {"message": "Not Found"}


def test_unknown_route_is_404_json_for_a_json_path(egg: Booted) -> None:
    response = egg.http.get("/data.json", headers=HTML)
    assert (response.status_code, response.json()) == (404, {"message": "Not Found"})


def test_unknown_route_is_404_html_for_browsers_and_curl(egg: Booted) -> None:
    for headers in (HTML, {"accept": "*/*"}):
        response = egg.http.get("/no/such/page", headers=headers)
        assert response.status_code == 404
        assert response.text == "<h1>404 Not Found</h1>"
        assert response.headers["content-type"] == "text/html; charset=utf-8"


def test_wrong_method_is_404_and_csrf_comes_first_for_unsafe_ones(egg: Booted) -> None:
    assert egg.http.options("/", headers=JSON).status_code == 404
    assert egg.http.delete("/", headers=JSON).status_code == 403
    assert egg.http.delete("/", headers={**csrf_headers(egg), **JSON}).status_code == 404


def test_exception_is_500_without_details_in_prod(boot_app: Callable[..., Booted]) -> None:
    egg = boot_app("http_app", env="prod")
    response = egg.http.get("/boom", headers=JSON)
    assert response.status_code == 500
    assert response.json() == {"message": "Internal Server Error"}
    page = egg.http.get("/boom", headers=HTML)
    assert page.status_code == 500
    assert "secret detail" not in page.text
    assert "Traceback" not in page.text
    assert "<h1>500 Internal Server Error</h1>" in page.text


def test_exception_is_logged_with_its_trace(egg: Booted) -> None:
    egg.http.get("/boom")
    log = egg.base / "logs" / "http-app" / "common-error.log"
    text = log.read_text() if log.is_file() else ""
    assert "RuntimeError: secret detail" in text
    assert "Traceback" in text


@pytest.mark.parametrize("env", ["local", "unittest"])
def test_exception_shows_message_and_stack_in_development_envs(
    boot_app: Callable[..., Booted], env: str
) -> None:
    egg = boot_app("http_app", env=env)
    body = egg.http.get("/boom", headers=JSON).json()
    assert (body["message"], body["name"]) == ("secret detail", "RuntimeError")
    assert "Traceback" in body["stack"]
    assert "controller/errors.py" in body["stack"]
    page = egg.http.get("/boom", headers=HTML)
    assert "<pre>Traceback" in page.text
    assert "secret detail" in page.text


def test_a_4xx_shows_its_message_but_no_stack_in_prod(boot_app: Callable[..., Booted]) -> None:
    egg = boot_app("http_app", env="prod")
    response = egg.http.get("/throw", headers=JSON)
    assert (response.status_code, response.json()) == (418, {"message": "short and stout", "code": "TEAPOT"})


def test_throw_answers_its_status_message_and_props(egg: Booted) -> None:
    response = egg.http.get("/throw", headers=JSON)
    assert response.status_code == 418
    assert response.json() == {"message": "short and stout", "code": "TEAPOT"}


def test_validation_failure_is_egg_422(egg: Booted) -> None:
    response = egg.http.post("/users", json={"name": "a"}, headers={**csrf_headers(egg), **JSON})
    assert response.status_code == 422
    assert response.json() == {
        "code": "invalid_param",
        "message": "Validation Failed",
        "errors": [
            {"message": "String should have at least 2 characters", "field": "name", "code": "invalid"},
            {"message": "required", "field": "age", "code": "missing_field"},
        ],
    }


def test_validation_success_returns_the_model(egg: Booted) -> None:
    response = egg.http.post("/users", json={"name": "ann", "age": "7"}, headers=csrf_headers(egg))
    assert (response.status_code, response.json()) == (201, {"name": "ann", "age": 7})


def write_config(base: Path, text: str) -> None:
    (base / "config" / "default.py").write_text(text)


def test_onerror_hooks_replace_the_default_answer(boot_app: Callable[..., Booted]) -> None:
    def hooks(base: Path) -> None:
        write_config(
            base,
            "def on_json(err, ctx):\n"
            "    ctx.body = {'oops': type(err).__name__, 'status': ctx.status}\n"
            "async def on_html(err, ctx):\n"
            "    ctx.body = '<p>custom</p>'\n"
            "config = {'onerror': {'json': on_json, 'html': on_html}}\n",
        )

    egg = boot_app("http_app", edit=hooks)
    assert egg.http.get("/boom", headers=JSON).json() == {"oops": "RuntimeError", "status": 500}
    assert egg.http.get("/boom", headers=HTML).text == "<p>custom</p>"


def test_onerror_all_hook_handles_every_kind(boot_app: Callable[..., Booted]) -> None:
    def hooks(base: Path) -> None:
        write_config(base, "config = {'onerror': {'all': lambda err, ctx: setattr(ctx, 'body', 'all')}}\n")

    egg = boot_app("http_app", edit=hooks)
    for headers in (JSON, HTML):
        response = egg.http.get("/throw", headers=headers)
        assert (response.status_code, response.text) == (418, "all")


def test_error_event_is_emitted(boot_app: Callable[..., Booted]) -> None:
    egg = boot_app("http_app")
    seen: list[str] = []
    egg.app.on("error", lambda err, ctx: seen.append(f"{type(err).__name__} {ctx.path}"))  # type: ignore[attr-defined]
    egg.http.get("/boom")
    assert seen == ["RuntimeError /boom"]


def test_notfound_page_url_redirects_html_only(boot_app: Callable[..., Booted]) -> None:
    def page(base: Path) -> None:
        write_config(base, "config = {'notfound': {'page_url': '/404.html'}}\n")

    egg = boot_app("http_app", edit=page)
    response = egg.http.get("/missing", headers=HTML)
    assert (response.status_code, response.headers["location"]) == (302, "/404.html")
    assert egg.http.get("/404.html", headers=HTML).status_code == 404
    assert egg.http.get("/missing", headers=JSON).json() == {"message": "Not Found"}
