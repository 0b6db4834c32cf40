"""`ctx.validate(Model, data)` and the injectable `Validator`: pydantic, failing as egg-validate's 422.

The error is `InvalidParamError` (`code = "invalid_param"`, `message = "Validation Failed"`), with one entry
per failure in `errors`, as egg-validate words them: a missing field is
`{"message": "required", "field": "title", "code": "missing_field"}`, any other failure
`{"message": <pydantic's message>, "field": ..., "code": "invalid"}`; nested fields are dotted
(`items.0.sku`). egg-validate's rule objects (`{"title": "string"}`) are checked by `eggbin.web.rules`.

The schema is a pydantic model (egg's typebox schema) or any type pydantic understands (`list[Item]`);
typebox's transforms are pydantic constraints (see the README's table): `trim` is
`StringConstraints(strip_whitespace=True)`, `toLowerCase` `StringConstraints(to_lower=True)`, ...
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar, overload

from pydantic import BaseModel, TypeAdapter, ValidationError

from eggbin.web.http_error import InvalidParamError
from eggbin.web.rules import validator_of

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails

    from eggbin.web.application import Application

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


@overload
def validate(model: type[M], data: object, app: Application | None = None) -> M: ...
@overload
def validate(model: object, data: object, app: Application | None = None) -> Any: ...
def validate(model: object, data: object, app: Application | None = None) -> Any:
    """The validated value (a model instance for a model; the data for egg-validate's rules), or
    `InvalidParamError` (a 422)."""
    if isinstance(model, Mapping):
        errors = validator_of(app).validate(model, data if data is not None else {})
        if errors:
            raise InvalidParamError(errors)
        return data
    try:
        if isinstance(model, type) and issubclass(model, BaseModel):
            return model.model_validate(data if data is not None else {})
        return adapter(model).validate_python(data)
    except ValidationError as exc:
        raise invalid_param(exc) from exc


@lru_cache(maxsize=256)
def adapter(schema: Any) -> TypeAdapter[Any]:
    """One `TypeAdapter` per schema, built once."""
    return TypeAdapter(schema)


def invalid_param(exc: ValidationError, prefix: Sequence[str | int] = ()) -> InvalidParamError:
    """egg-validate's error for a pydantic `ValidationError` (`prefix` names where the value came from)."""
    return InvalidParamError(field_errors(exc, prefix))


def field_errors(exc: ValidationError, prefix: Sequence[str | int] = ()) -> list[dict[str, str]]:
    return [field_error(error, prefix) for error in exc.errors()]


def field_error(error: ErrorDetails, prefix: Sequence[str | int] = ()) -> dict[str, str]:
    missing = error["type"] == "missing"
    return {
        "message": "required" if missing else str(error["msg"]),
        "field": ".".join(str(part) for part in (*prefix, *error["loc"])),
        "code": "missing_field" if missing else "invalid",
    }


class Validator:
    """egg's injectable `ajv`, on pydantic: `validator.validate(Model, data) -> Model` or a 422."""

    @overload
    def validate(self, schema: type[M], data: object) -> M: ...
    @overload
    def validate(self, schema: object, data: object) -> Any: ...
    def validate(self, schema: object, data: object) -> Any:
        """`data` as `schema` (a model, or any type pydantic validates); `InvalidParamError` otherwise."""
        return validate(schema, data)
