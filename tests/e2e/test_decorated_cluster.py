"""The decorated model in a real cluster (master, agent, two uvicorn workers), via the plugin's `cluster`."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.support import FIXTURE_APPS

pytestmark = pytest.mark.slow


def test_decorated_routes_di_aop_and_openapi_over_real_sockets(cluster: Any, tmp_path: Path) -> None:
    base = shutil.copytree(FIXTURE_APPS / "decorated_app", tmp_path / "decorated_app")
    running = cluster(base, workers=2)
    http = running.http
    http.headers["accept"] = "application/json"
    assert http.get("/api/hello", params={"name": "net"}).json() == {"greeting": "hello, net"}
    assert http.get("/classic/greet", params={"name": "old"}).json() == {"greeting": "hello, old"}
    assert http.get("/order/multiple").json()[:5] == [
        "global_log in",
        "method_count3 in",
        "method_count2 in",
        "method_count1 in",
        "ClassAdvice in",
    ]
    assert (
        http.get("/aop/hello", params={"name": "x"}).json()["result"]
        == "class(point(hello around(before(x))))"
    )
    refused = http.post("/api/orders", json={"customer": "c", "items": []})
    assert refused.status_code == 403  # CSRF, as for classic routes
    http.cookies.set("csrfToken", "t0ken")
    created = http.post(
        "/api/orders",
        json={"customer": "c", "items": [{"sku": "s", "quantity": 1}]},
        headers={"x-csrf-token": "t0ken"},
    )
    assert created.status_code == 201
    invalid = http.get("/api/items/nope")
    assert invalid.status_code == 422
    assert invalid.json()["errors"][0]["field"] == "id"
    assert http.get("/openapi.json").json()["info"]["title"] == "Decorated API"
    assert (base / "run" / "openapi.json").is_file()  # written by the workers once they serve
