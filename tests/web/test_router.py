"""The router through real requests: verbs, both param syntaxes, names, resources, redirects, handlers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from eggbin.errors import BootError
from tests.web.conftest import Booted


@pytest.fixture
def egg(boot_app: Callable[..., Booted]) -> Booted:
    return boot_app("http_router")


def test_colon_and_brace_params(egg: Booted) -> None:
    assert egg.http.get("/user/42").json() == {"id": "42"}
    assert egg.http.get("/user/42/books/7").json() == {"id": "42", "book_id": 7}
    assert egg.http.get("/user/42/books/x").status_code == 404


def test_static_path_wins_over_a_param_path(egg: Booted) -> None:
    assert egg.http.get("/user/me").text == "me"


def test_trailing_slash_is_optional(egg: Booted) -> None:
    assert egg.http.get("/user/42/").json() == {"id": "42"}


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_each_verb(egg: Booted, method: str) -> None:
    assert egg.http.request(method, "/things").json() == {"method": method}


def test_get_answers_head_and_head_only_route(egg: Booted) -> None:
    response = egg.http.head("/")
    assert response.status_code == 200
    assert egg.http.head("/only-head").status_code == 200
    assert egg.http.get("/only-head").status_code == 404


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_all_answers_every_verb(egg: Booted, method: str) -> None:
    assert egg.http.request(method, "/any").json() == {"method": method}


def test_string_module_and_nested_handlers(egg: Booted) -> None:
    assert egg.http.get("/string").text == "home"
    assert egg.http.get("/ping").json() == {"pong": True}
    assert egg.http.get("/nested").json()["panel"] is True


def test_redirect_routes(egg: Booted) -> None:
    response = egg.http.get("/old")
    assert (response.status_code, response.headers["location"]) == (302, "/")
    response = egg.http.post("/moved")
    assert (response.status_code, response.headers["location"]) == (301, "/user/1")


@pytest.mark.parametrize(
    ("method", "path", "status", "body"),
    [
        ("GET", "/posts", 200, {"action": "index", "next": "/posts/7?page=2"}),
        ("GET", "/posts/new", 200, {"action": "new"}),
        ("GET", "/posts/3", 200, {"action": "show", "id": "3"}),
        ("GET", "/posts/3/edit", 200, {"action": "edit", "id": "3"}),
        ("POST", "/posts", 201, {"action": "create"}),
        ("PUT", "/posts/3", 200, {"action": "update", "id": "3"}),
        ("DELETE", "/posts/3", 200, {"action": "destroy", "id": "3"}),
        ("GET", "/api/comments", 200, {"action": "index"}),
        ("GET", "/api/comments/9", 200, {"action": "show", "id": "9"}),
    ],
)
def test_resources_table(egg: Booted, method: str, path: str, status: int, body: dict[str, str]) -> None:
    response = egg.http.request(method, path)
    assert (response.status_code, response.json()) == (status, body)


def test_resources_only_route_the_actions_the_controller_has(egg: Booted) -> None:
    assert egg.http.delete("/api/comments/9", headers={"accept": "application/json"}).status_code == 404


def test_url_for(egg: Booted) -> None:
    url_for = egg.app.url_for
    assert url_for("home") == "/"
    assert url_for("user", id=5) == "/user/5"
    assert url_for("book", id="a b", book_id=3, q=["x", "y"]) == "/user/a b/books/3?q=x&q=y"
    assert (url_for("posts"), url_for("new_post"), url_for("edit_post", id=1)) == (
        "/posts",
        "/posts/new",
        "/posts/1/edit",
    )
    with pytest.raises(KeyError, match="no route named 'nope'"):
        url_for("nope")
    with pytest.raises(KeyError, match=r"route 'user' \(/user/:id\) needs \['id'\]"):
        url_for("user")


def test_router_json_lists_routes(egg: Booted) -> None:
    described = egg.app.router.describe()
    user = next(r for r in described if r["name"] == "user")
    assert user["methods"] == ["GET", "HEAD"]
    assert user["where"].endswith("app/router.py:13")


def add_to_router(line: str) -> Callable[[Path], None]:
    def edit(base: Path) -> None:
        router = base / "app" / "router.py"
        router.write_text(router.read_text() + f"    {line}\n")

    return edit


def test_duplicate_route_fails_boot_naming_both_places(
    boot_app: Callable[..., Booted], tmp_path: Path
) -> None:
    with pytest.raises(BootError) as caught:
        boot_app("http_router", edit=add_to_router('r.get("/user/{id}", c.home.me)'))
    router = tmp_path / "http_router" / "app" / "router.py"
    assert str(caught.value) == (
        f"[EGG_ROUTER_CONFLICT] route `GET /user/{{id}}` is defined twice: at `{router}:13` "
        f"and `{router}:33`; remove or rename one of them"
    )


def test_duplicate_route_name_fails_boot(boot_app: Callable[..., Booted], tmp_path: Path) -> None:
    with pytest.raises(BootError) as caught:
        boot_app("http_router", edit=add_to_router('r.get("/other", c.home.me, name="user")'))
    router = tmp_path / "http_router" / "app" / "router.py"
    assert str(caught.value) == (
        f"[EGG_ROUTER_CONFLICT] route name `user` is used twice: at `{router}:13` and `{router}:33`; "
        "give one of them another name"
    )


def test_string_handler_naming_nothing_fails_boot(boot_app: Callable[..., Booted], tmp_path: Path) -> None:
    with pytest.raises(BootError) as caught:
        boot_app("http_router", edit=add_to_router('r.get("/x", "home.nope")'))
    router = tmp_path / "http_router" / "app" / "router.py"
    assert str(caught.value) == (
        f"route `/x` at `{router}:33` names `home.nope`: no such controller method; "
        "use `file.method` relative to app/controller"
    )


def test_route_without_handler_fails_boot(boot_app: Callable[..., Booted], tmp_path: Path) -> None:
    with pytest.raises(BootError) as caught:
        boot_app("http_router", edit=add_to_router('r.get("/x")'))
    router = tmp_path / "http_router" / "app" / "router.py"
    assert str(caught.value) == f"route `GET HEAD /x` at `{router}:33` has no handler"


def test_non_callable_handler_fails_boot(boot_app: Callable[..., Booted], tmp_path: Path) -> None:
    with pytest.raises(BootError) as caught:
        boot_app("http_router", edit=add_to_router('r.get("/x", 42)'))
    router = tmp_path / "http_router" / "app" / "router.py"
    assert str(caught.value) == (
        f"route `/x` at `{router}:33` has handler `42`, which is not callable; "
        "pass a controller method or an `async def handler(ctx)`"
    )
