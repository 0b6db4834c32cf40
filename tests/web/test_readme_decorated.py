"""The README's "Decorated controllers, DI and AOP": its snippets are the fixture app, which works as told."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable

import pytest

from tests.support import FIXTURE_APPS, REPO, wait_until
from tests.web.conftest import Booted

APP = "readme_decorated"


def section_snippets() -> list[str]:
    readme = (REPO / "README.md").read_text()
    start = readme.index("## Decorated controllers, DI and AOP")
    section = readme[start : readme.index("\n## ", start + 1)]
    return re.findall(r"```python\n(.*?)```", section, re.DOTALL)


def test_every_snippet_is_a_file_of_the_fixture_app() -> None:
    files = [path.read_text() for path in (FIXTURE_APPS / APP).rglob("*.py")]
    snippets = section_snippets()
    assert len(snippets) == 6
    for snippet in snippets:
        assert any(snippet in text for text in files), f"not in tests/fixtures/apps/{APP}:\n{snippet}"


@pytest.fixture
def shop(boot_app: Callable[..., Booted]) -> Booted:
    booted = boot_app(APP)
    booted.http.cookies.set("csrfToken", "t0ken")
    booted.http.headers.update({"x-csrf-token": "t0ken", "accept": "application/json"})
    return booted


def app_log(shop: Booted) -> str:
    return (shop.base / "logs" / "shop" / "shop-web.log").read_text()


def test_typed_controller_with_di_aop_and_its_middleware(shop: Booted) -> None:
    added = shop.http.post("/shop/carts/7/lines", json={"sku": "  egg-1 ", "quantity": 2})
    assert added.status_code == 201
    assert added.json() == {"cart": 7, "line": {"sku": "EGG-1", "quantity": 2}, "url": "/shop/carts/7/lines"}
    assert added.headers["cache-control"] == "no-store"  # @middleware(no_cache)
    wait_until(lambda: "cart of /shop/carts/7/lines released" in app_log(shop), what="Cart.destroy")
    assert re.search(
        r"\[-/127\.0\.0\.1/[0-9a-f]{32}/\d+ms POST /shop/carts/7/lines\] ShopController\.add_line took",
        app_log(shop),
    )
    invalid = shop.http.post("/shop/carts/x/lines", json={"sku": " ", "quantity": 0})
    assert invalid.status_code == 422
    assert [e["field"] for e in invalid.json()["errors"]] == ["id", "sku", "quantity"]


def test_singleton_and_crosscut(shop: Booted) -> None:
    assert shop.http.get("/shop/price", params={"cents": 250}).json() == {"price": "2.50 EUR"}
    assert shop.http.get("/shop/price", params={"cents": 250}, headers={"x-currency": "USD"}).json() == {
        "price": "2.75 USD"
    }
    audited = shop.run(shop.app.get_egg_object("audited"))
    assert audited.last == ("price", [250, "USD"], "2.75 USD")  # the NAME crosscut on PriceService.price


def test_background_work_after_the_response(shop: Booted) -> None:
    assert shop.http.post("/shop/orders", json={"sku": "egg-2", "quantity": 1}).json() == {"ordered": "EGG-2"}
    shop.run(asyncio.wait_for(shop.app.background_tasks_finished(), 10))
    assert "POST /shop/orders] order of EGG-2 confirmed" in app_log(shop)


def test_validator_and_typebox_transforms(shop: Booted) -> None:
    probe = {"name": "  egg  ", "left": "  l  ", "right": "  r  ", "lower": "MiXeD", "unit": "PH"}
    assert shop.http.post("/checks/probe", json=probe).json() == {
        "name": "egg",
        "left": "l  ",
        "right": "  r",
        "lower": "mixed",
        "unit": "pH",
        "note": None,
    }
    invalid = shop.http.post("/checks/probe", json={**probe, "name": "x" * 11, "unit": "kg"})
    assert invalid.status_code == 422
    assert [(e["field"], e["code"]) for e in invalid.json()["errors"]] == [
        ("name", "invalid"),
        ("unit", "invalid"),
    ]


def test_openapi_is_served_when_enabled(shop: Booted) -> None:
    document = shop.http.get("/openapi.json").json()
    assert set(document["paths"]) == {"/shop/carts/{id}/lines", "/shop/price", "/shop/orders"}
    assert document["components"]["schemas"]["Line"]["required"] == ["sku", "quantity"]
