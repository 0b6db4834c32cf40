"""A decorated method's parameters, prepared at boot: where each value comes from and how it is checked.

Each parameter reads one source of the request and is converted by a pydantic `TypeAdapter` built
once (none for `str` sources read as `str`). Every failure of one request is collected into a single
`InvalidParamError` (422, egg-validate's entries): a missing value is `required` / `missing_field`
named after its source key; body errors are named by their path in the body (`items.0.sku`).
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, get_args, get_origin

from pydantic import BaseModel, TypeAdapter, ValidationError

from eggbin.errors import BootError
from eggbin.web.context import Context
from eggbin.web.cookies import Cookies
from eggbin.web.decorated.declare import PARAM_MARKERS, Body, Header, Headers, Param, Queries, Query
from eggbin.web.http_error import InvalidParamError
from eggbin.web.request import Request
from eggbin.web.validation import field_errors

PARAM_SOURCE = "EGG_PARAM_SOURCE"
MISSING: Any = inspect.Parameter.empty


@dataclass(frozen=True)
class ParamPlan:
    """One parameter: its source (`body`, `query`, …), the key read there, and its conversion."""

    name: str
    source: str
    key: str
    annotation: Any
    read: Callable[[Any], Any]
    convert: Callable[[Any], Any] | None
    default: Any
    keyword: bool

    @property
    def required(self) -> bool:
        return self.default is MISSING


def plan_params(function: Callable[..., Any], where: str) -> tuple[ParamPlan, ...]:
    """The plans of `function`'s parameters after `self`; an unusable one is a `BootError` at `where`."""
    try:
        hints = typing.get_type_hints(function, include_extras=True)
    except Exception as exc:
        raise BootError(
            f"the parameters of `{function.__qualname__}` at `{where}` can not be evaluated: {exc}",
            hint="import every type a parameter names at run time",
            code=PARAM_SOURCE,
        ) from exc
    plans = []
    for parameter in list(inspect.signature(function).parameters.values())[1:]:
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            raise _unsourced(function, parameter.name, where, "`*args` / `**kwargs` have no source")
        annotation = hints.get(parameter.name, Any)
        plans.append(_plan(function, parameter, annotation, where))
    return tuple(plans)


def _plan(
    function: Callable[..., Any], parameter: inspect.Parameter, annotation: object, where: str
) -> ParamPlan:
    base, marker = annotation, None
    if get_origin(annotation) is Annotated:
        base, *metadata = get_args(annotation)
        marker = next((m() if isinstance(m, type) else m for m in metadata if _is_marker(m)), None)
    keyword = parameter.kind is parameter.KEYWORD_ONLY
    name, default = parameter.name, parameter.default
    if marker is None:
        source = _object_source(base)
        if source is None:
            raise _unsourced(
                function, name, where, f"its type `{_type_name(base)}` says nothing of the request"
            )
        return ParamPlan(name, source, "", base, OBJECT_READERS[source], None, default, keyword)
    source, key = _marker_source(marker, name)
    read = _reader(source, key)
    if source == "body" and default is not MISSING:  # no body at all: the default
        read = _body_or_missing
    return ParamPlan(name, source, key, base, read, _converter(base), default, keyword)


def _is_marker(value: object) -> bool:
    return isinstance(value, PARAM_MARKERS) or (isinstance(value, type) and value in PARAM_MARKERS)


def _object_source(base: object) -> str | None:
    if isinstance(base, type):
        for source, cls in (("ctx", Context), ("request", Request), ("cookies", Cookies)):
            if issubclass(base, cls):
                return source
    return None


def _marker_source(marker: Body | Query | Queries | Param | Header | Headers, name: str) -> tuple[str, str]:
    if isinstance(marker, Body):
        return "body", name
    if isinstance(marker, Headers):
        return "headers", ""
    if isinstance(marker, Header):
        return "header", (marker.name or name.replace("_", "-")).lower()
    kinds = {Query: "query", Queries: "queries", Param: "param"}
    return kinds[type(marker)], marker.name or name


OBJECT_READERS: dict[str, Callable[[Any], Any]] = {
    "ctx": lambda ctx: ctx,
    "request": lambda ctx: ctx.request,
    "cookies": lambda ctx: ctx.cookies,
}


def _reader(source: str, key: str) -> Callable[[Any], Any]:
    if source == "body":
        return lambda ctx: ctx.request.body
    if source == "query":
        return lambda ctx: ctx.request.query.get(key, MISSING)
    if source == "queries":
        return lambda ctx: ctx.request.queries.get(key, MISSING)
    if source == "param":
        return lambda ctx: ctx.params.get(key, MISSING)
    if source == "header":
        return lambda ctx: ctx.request.headers.get(key, MISSING)
    return lambda ctx: dict(ctx.request.headers)


def _body_or_missing(ctx: Context) -> Any:
    request = ctx.request
    return MISSING if request.raw_body is None else request.body


def _converter(base: Any) -> Callable[[Any], Any] | None:
    if base is Any or base is str:
        return None
    if isinstance(base, type) and issubclass(base, BaseModel):
        return base.model_validate
    return TypeAdapter(base).validate_python


def _unsourced(function: Callable[..., Any], name: str, where: str, why: str) -> BootError:
    return BootError(
        f"parameter `{name}` of `{function.__qualname__}` at `{where}` has no source: {why}",
        hint="annotate it `Annotated[T, Body()]`, `Query()`, `Queries()`, `Param()`, `Header()` or "
        "`Headers()`, or type it `Context`, `Request` or `Cookies`",
        code=PARAM_SOURCE,
    )


def _type_name(annotation: object) -> str:
    return getattr(annotation, "__qualname__", None) or str(annotation)


class Rejected(Exception):
    """One parameter's failures (collected by `arguments` into one `InvalidParamError`)."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__(errors)
        self.errors = errors


def argument(param: ParamPlan, ctx: Context) -> Any:
    """One parameter's value for this request; `Rejected` when it is missing or invalid."""
    value = param.read(ctx)
    if value is MISSING:
        if param.default is MISSING:
            raise Rejected([{"message": "required", "field": param.key, "code": "missing_field"}])
        return param.default
    if param.convert is None:
        return value
    try:
        return param.convert(value)
    except ValidationError as exc:
        found = field_errors(exc, () if param.source == "body" else (param.key,))
        raise Rejected([e if e["field"] else {**e, "field": param.name} for e in found]) from exc


def arguments(params: tuple[ParamPlan, ...], ctx: Context) -> tuple[list[Any], dict[str, Any]]:
    """The call's positional and keyword arguments; every failure at once as an `InvalidParamError`."""
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    errors: list[dict[str, str]] = []
    for param in params:
        try:
            value = argument(param, ctx)
        except Rejected as rejected:
            errors += rejected.errors
            continue
        if param.keyword:
            kwargs[param.name] = value
        else:
            args.append(value)
    if errors:
        raise InvalidParamError(errors)
    return args, kwargs


def sole_argument(param: ParamPlan, ctx: Context) -> Any:
    """The value of a method's only parameter (the common case: a body), without building a call."""
    try:
        return argument(param, ctx)
    except Rejected as rejected:
        raise InvalidParamError(rejected.errors) from None
