"""The injected fields of a class and the built-in objects they may name.

A field is `name: T = inject()` or `name: Annotated[T, Inject()]` (inherited ones included). Besides
protos, these are injectable, by type or by field name:

    type                          names                              context scope    singleton scope
    Application                   app, application                   ctx.app          app
    Context                       ctx, context                       ctx              (boot error)
    Request                       request                            ctx.request      (boot error)
    Config                        config                             app.config       app.config
    Logger (EggLogger, logging)   logger                             ctx.logger       app.logger
    -                             core_logger                        ctx.core_logger  app.core_logger
    BackgroundTaskHelper          background, background_task_helper ctx.background   app.background
    Validator                     validator                          the app's        the app's
"""

from __future__ import annotations

import inspect
import logging
import re
import sys
import types
import typing
from typing import Annotated, Any, get_args, get_origin

from msgspec import Struct

from eggbin.web.background import BackgroundTaskHelper
from eggbin.web.config import Config
from eggbin.web.context import Context
from eggbin.web.logger import Logger
from eggbin.web.protos.declare import Inject
from eggbin.web.request import Request

CONTEXT_ONLY = frozenset({"ctx", "request"})
CONSTANT = frozenset({"app", "config", "validator"})  # the same object in both scopes
BUILTIN_NAMES = {
    "app": "app",
    "application": "app",
    "ctx": "ctx",
    "context": "ctx",
    "request": "request",
    "config": "config",
    "logger": "logger",
    "core_logger": "core_logger",
    "background": "background",
    "background_task_helper": "background",
    "validator": "validator",
}


class FieldSpec(Struct, frozen=True):
    """One injected field as declared: its attribute, its type (None if unknown) and its marker."""

    owner: type
    attr: str
    annotation: Any
    marker: Inject
    optional: bool
    unresolved: str | None = None  # the annotation text when it could not be evaluated


def builtin_for_type(annotation: object) -> str | None:
    """The built-in a type names (`Context` → `ctx`), or None."""
    if annotation is Logger or annotation == Logger:
        return "logger"
    if not isinstance(annotation, type):
        return None
    from eggbin.web.application import EggCore
    from eggbin.web.validation import Validator  # pydantic: imported by apps that inject something

    for key, base in (
        ("app", EggCore),
        ("ctx", Context),
        ("request", Request),
        ("config", Config),
        ("background", BackgroundTaskHelper),
        ("validator", Validator),
        ("logger", logging.Logger),
        ("logger", logging.LoggerAdapter),
    ):
        if issubclass(annotation, base):
            return key
    return None


def injected_fields(cls: type) -> list[FieldSpec]:
    """The fields of `cls` (and its bases) the container fills, in declaration order."""
    hints, unresolved = _annotations(cls)
    fields = []
    for attr, annotation in hints.items():
        base, marker = _split(annotation, getattr(cls, attr, None))
        if marker is None:
            continue
        base, optional = _strip_optional(base)
        fields.append(FieldSpec(cls, attr, base, marker, optional or marker.optional, unresolved.get(attr)))
    declared = {field.attr for field in fields}
    for klass in reversed(cls.__mro__):  # `x = inject()` with no annotation, or one we could not evaluate
        for attr, marker in vars(klass).items():
            if isinstance(marker, Inject) and attr not in declared:
                declared.add(attr)
                fields.append(FieldSpec(cls, attr, None, marker, marker.optional, unresolved.get(attr)))
    return fields


def _annotations(cls: type) -> tuple[dict[str, Any], dict[str, str]]:
    try:
        return typing.get_type_hints(cls, include_extras=True), {}
    except Exception:  # a name imported only for type checking: evaluate one annotation at a time
        hints: dict[str, Any] = {}
        unresolved: dict[str, str] = {}
        for klass in reversed(cls.__mro__):
            namespace = vars(sys.modules.get(klass.__module__, types.ModuleType("?")))
            for attr, value in vars(klass).get("__annotations__", {}).items():
                try:
                    hints[attr] = (
                        eval(value, namespace, dict(vars(klass))) if isinstance(value, str) else value
                    )
                    unresolved.pop(attr, None)
                except Exception:
                    hints.pop(attr, None)
                    unresolved[attr] = str(value)
        return hints, unresolved


def _split(annotation: object, default: object) -> tuple[Any, Inject | None]:
    if get_origin(annotation) is Annotated:
        base, *metadata = get_args(annotation)
        marker = next((m for m in metadata if isinstance(m, Inject)), None)
        if marker is not None:
            return base, marker
        annotation = base
    return annotation, default if isinstance(default, Inject) else None


def _strip_optional(annotation: object) -> tuple[Any, bool]:
    if get_origin(annotation) in (typing.Union, types.UnionType) and annotation != Logger:
        args = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(args) < len(get_args(annotation)):
            return (args[0] if len(args) == 1 else typing.Union[tuple(args)]), True  # noqa: UP007
    return annotation, False


def field_where(spec: FieldSpec) -> str:
    """`file:line` of the field's declaration (for error messages; reads the source)."""
    declares = re.compile(rf"^\s*{re.escape(spec.attr)}\s*[:=]")
    for klass in spec.owner.__mro__:
        if spec.attr not in vars(klass) and spec.attr not in vars(klass).get("__annotations__", {}):
            continue
        try:
            lines, start = inspect.getsourcelines(klass)
            file = inspect.getsourcefile(klass) or "?"
        except (OSError, TypeError):
            return f"{klass.__module__}.{klass.__qualname__}.{spec.attr}"
        offset = next((i for i, line in enumerate(lines) if declares.match(line)), 0)
        return f"{file}:{start + offset}"
    return "?"


def type_name(annotation: object) -> str:
    if annotation is None:
        return "?"
    return getattr(annotation, "__qualname__", None) or str(annotation)
