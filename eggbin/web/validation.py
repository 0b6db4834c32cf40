"""`ctx.validate(Model, data)`: pydantic validation whose failure is egg-validate's 422.

The error is `InvalidParamError` (`code = "invalid_param"`, `message = "Validation Failed"`), with one entry
per failure in `errors`, as egg-validate words them: a missing field is
`{"message": "required", "field": "title", "code": "missing_field"}`, any other failure
`{"message": <pydantic's message>, "field": ..., "code": "invalid"}`; nested fields are dotted
(`items.0.sku`).
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from eggbin.web.http_error import InvalidParamError

M = TypeVar("M", bound=BaseModel)


def validate(model: type[M], data: Any) -> M:
    """The validated model instance; raises `InvalidParamError` (a 422) otherwise."""
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as exc:
        raise invalid_param(exc) from exc


def invalid_param(exc: ValidationError) -> InvalidParamError:
    """egg-validate's error for a pydantic `ValidationError`."""
    return InvalidParamError([field_error(error) for error in exc.errors()])


def field_error(error: Any) -> dict[str, str]:
    missing = error["type"] == "missing"
    return {
        "message": "required" if missing else str(error["msg"]),
        "field": ".".join(str(part) for part in error["loc"]),
        "code": "missing_field" if missing else "invalid",
    }
