"""The OpenAPI 3.1 document of decorated controllers: served when enabled, written to run/ after ready."""

from __future__ import annotations

import json
from collections.abc import Callable

from tests.web.conftest import Booted


def test_document_describes_paths_parameters_bodies_and_errors(boot_app: Callable[..., Booted]) -> None:
    egg = boot_app("decorated_app")
    response = egg.http.get("/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"] == "3.1.0"
    assert document["info"] == {"title": "Decorated API", "version": "1.2.3"}
    item = document["paths"]["/api/items/{id}"]
    assert set(item) == {"get", "delete"}  # HEAD is implied
    assert item["get"]["operationId"] == "ApiController.item"
    assert item["get"]["parameters"] == [
        {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}},
        {"name": "x-token", "in": "header", "required": True, "schema": {"type": "string"}},
        {
            "name": "tag",
            "in": "query",
            "required": False,
            "schema": {"items": {"type": "string"}, "type": "array"},
        },
        {
            "name": "limit",
            "in": "query",
            "required": False,
            "schema": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
        },
    ]
    orders = document["paths"]["/api/orders"]["post"]
    assert orders["summary"] == "Create an order."
    assert orders["requestBody"] == {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Order"}}},
    }
    assert orders["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Order"
    }
    assert orders["responses"]["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ValidationError"
    }
    schemas = document["components"]["schemas"]
    assert schemas["Order"]["properties"]["items"] == {
        "items": {"$ref": "#/components/schemas/Item"},
        "title": "Items",
        "type": "array",
    }
    assert schemas["Item"]["properties"]["quantity"] == {
        "exclusiveMinimum": 0,
        "title": "Quantity",
        "type": "integer",
    }
    assert schemas["ValidationError"]["properties"]["code"] == {"type": "string", "const": "invalid_param"}
    assert "422" not in document["paths"]["/api/html"]["get"]["responses"]  # no parameter, nothing to reject
    assert "/classic/greet" not in document["paths"]  # classic routes have no declared parameters


def test_written_to_run_after_boot(boot_app: Callable[..., Booted]) -> None:
    egg = boot_app("decorated_app")
    written = json.loads((egg.base / "run" / "openapi.json").read_text())
    assert written == egg.http.get("/openapi.json").json()


def test_off_by_default_and_path_configurable(boot_app: Callable[..., Booted]) -> None:
    plain = boot_app("readme_tour")
    assert plain.http.get("/openapi.json").status_code == 404
    assert not (plain.base / "run" / "openapi.json").exists()  # no decorated routes, no document

    def move(base: object) -> None:
        config = base / "config" / "default.py"  # type: ignore[operator]
        config.write_text(config.read_text().replace('"title": "Decorated API"', '"path": "/docs/api.json"'))

    moved = boot_app("decorated_app", edit=move)
    assert moved.http.get("/openapi.json").status_code == 404
    assert moved.http.get("/docs/api.json").json()["info"]["title"] == "decorated"  # the app's name
