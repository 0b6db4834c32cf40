"""`ctx.validate(Model, data)`: pydantic validation whose failure is egg-validate's 422.

The error is `InvalidParamError` (`code = "invalid_param"`, `message = "Validation Failed"`), with one entry
per failure in `errors`, as egg-validate words them: a missing field is
`{"message": "required", "field": "title", "code": "missing_field"}`, any other failure
`{"message": <pydantic's message>, "field": ..., "code": "invalid"}`; nested fields are dotted
(`items.0.sku`). egg-validate's rule objects (`{"title": "string"}`) are checked by `eggbin.web.rules`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from eggbin.web.http_error import InvalidParamError
from eggbin.web.rules import validator_of

M = TypeVar("M", bound=BaseModel)


def validate(model: type[M] | Mapping[str, Any], data: Any, app: Any = None) -> Any:
    """The validated model instance (or, for egg-validate's rules, the data); else `InvalidParamError`."""
    if isinstance(model, Mapping):
        errors = validator_of(app).validate(model, data if data is not None else {})
        if errors:
            raise InvalidParamError(errors)
        return data
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
