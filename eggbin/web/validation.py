"""`ctx.validate(Model, data)`: pydantic validation whose failure is egg's RESTful 422.

`{"error": "Validation Failed", "detail": [{"message": ..., "field": ..., "code": ...}]}`, with the codes of
egg's guide: `missing_field` for an absent field, `invalid` for any other failure.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from eggbin.web.http_error import HttpError

M = TypeVar("M", bound=BaseModel)


def validate(model: type[M], data: Any) -> M:
    """The validated model instance; raises a 422 `HttpError` in egg's format otherwise."""
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as exc:
        detail = [_detail(error) for error in exc.errors()]
        raise HttpError(
            422, "Validation Failed", body={"error": "Validation Failed", "detail": detail}
        ) from exc


def _detail(error: Any) -> dict[str, str]:
    return {
        "message": str(error["msg"]),
        "field": ".".join(str(part) for part in error["loc"]),
        "code": "missing_field" if error["type"] == "missing" else "invalid",
    }
