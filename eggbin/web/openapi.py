"""An OpenAPI 3.1 document of the decorated controllers (beyond egg, as FastAPI users expect one).

Paths and methods from the routes, parameters (query, path, header) and request bodies with their
pydantic schemas (shared models under `components.schemas`), a response schema from the method's
return annotation, and the 422 every validated route may answer (`{code, message, errors}`).

Written to `run/openapi.json` after ready when the app has decorated routes; served at
`config.openapi.path` (default `/openapi.json`) when `config.openapi.enable` is true (off by default).
"""

from __future__ import annotations

import typing
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from eggbin.web.application import Application
    from eggbin.web.context import Context
    from eggbin.web.decorated.routes import DecoratedRoute

PARAM_IN = {"query": "query", "queries": "query", "param": "path", "header": "header"}
VALIDATION_ERROR = {
    "title": "ValidationError",
    "type": "object",
    "required": ["code", "message", "errors"],
    "properties": {
        "code": {"type": "string", "const": "invalid_param"},
        "message": {"type": "string", "const": "Validation Failed"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["message", "field", "code"],
                "properties": {
                    "message": {"type": "string"},
                    "field": {"type": "string"},
                    "code": {"type": "string", "enum": ["missing_field", "invalid"]},
                },
            },
        },
    },
}


def serve_openapi(app: Application) -> None:
    """`GET config.openapi.path` answers the document, when `config.openapi.enable` is true."""
    options = app.config.get("openapi") or {}
    if not options.get("enable"):
        return
    built: list[dict[str, Any]] = []

    async def openapi(ctx: Context) -> dict[str, Any]:
        if not built:
            built.append(openapi_document(app))
        return built[0]

    path = str(options.get("path") or "/openapi.json")
    app.router.add(("GET", "HEAD"), path, openapi, where="config.openapi (eggbin/web/openapi.py)")


def openapi_document(app: Application) -> dict[str, Any]:
    """The OpenAPI 3.1 document of `app.decorated_routes`."""
    from pydantic import TypeAdapter

    options = app.config.get("openapi") or {}
    routes = app.decorated_routes
    inputs: list[tuple[Any, Any, TypeAdapter[Any]]] = []
    for index, found in enumerate(routes):
        for param in found.params:
            if param.source in PARAM_IN or param.source == "body":
                inputs.append(((index, param.name), "validation", TypeAdapter(param.annotation)))
        returned = _return_type(found)
        if returned is not None:
            inputs.append(((index, "return"), "serialization", TypeAdapter(returned)))
    schemas, definitions = TypeAdapter.json_schemas(inputs, ref_template="#/components/schemas/{model}")
    by_key = {key: schema for (key, _mode), schema in schemas.items()}
    paths: dict[str, dict[str, Any]] = {}
    for index, found in enumerate(routes):
        for verb in found.route.methods:
            if verb != "HEAD":
                paths.setdefault(found.route.path_format, {})[verb.lower()] = _operation(index, found, by_key)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": options.get("title") or app.name,
            "version": str(options.get("version") or "0.0.0"),
        },
        "paths": paths,
        "components": {"schemas": {**definitions.get("$defs", {}), "ValidationError": VALIDATION_ERROR}},
    }


def _operation(index: int, found: DecoratedRoute, schemas: dict[Any, Any]) -> dict[str, Any]:
    function = getattr(found.cls, found.method)
    operation: dict[str, Any] = {"operationId": f"{found.cls.__qualname__}.{found.method}"}
    doc = (function.__doc__ or "").strip()
    if doc:
        operation["summary"] = doc.splitlines()[0]
    parameters = [
        {
            "name": param.key,
            "in": PARAM_IN[param.source],
            "required": param.required or param.source == "param",
            "schema": schemas[(index, param.name)],
        }
        for param in found.params
        if param.source in PARAM_IN
    ]
    if parameters:
        operation["parameters"] = parameters
    body = next((p for p in found.params if p.source == "body"), None)
    if body is not None:
        operation["requestBody"] = {
            "required": body.required,
            "content": {"application/json": {"schema": schemas[(index, body.name)]}},
        }
    ok: dict[str, Any] = {"description": "OK"}
    if (index, "return") in schemas:
        ok["content"] = {"application/json": {"schema": schemas[(index, "return")]}}
    operation["responses"] = {"200": ok}
    if found.params:
        operation["responses"]["422"] = {
            "description": "Validation Failed",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ValidationError"}}},
        }
    return operation


def _return_type(found: DecoratedRoute) -> Any:
    try:
        returned = typing.get_type_hints(getattr(found.cls, found.method)).get("return")
    except Exception:
        return None
    if returned in (None, type(None), Any, str):
        return None  # nothing, anything, or HTML
    return returned
