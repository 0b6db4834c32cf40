"""Declaring protos (tegg's `@SingletonProto` / `@ContextProto` / `@Inject`), the Python way.

    @singleton_proto()                       one instance per process, created at boot
    class HelloService:
        config: Config = inject()            filled by the container: by annotated type, then by name
        async def init(self): ...            after injection; `destroy()` at app close

    @context_proto()                         one instance per request context, created on first use
    class Greeter:
        hello: HelloService = inject()
        ctx: Annotated[Context, Inject()]    the same, without a default

The decorators only mark the class (`__egg_proto__`): the loader finds marked classes in the modules
it reads (see `eggbin.web.protos.discover`), so two apps in one process never share a registry.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

from msgspec import Struct

if TYPE_CHECKING:
    from eggbin.web.protos.scope import ContextScope

T = TypeVar("T", bound=type)
PROTO_ATTR = "__egg_proto__"
_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


class ObjectInitType(StrEnum):
    """How many instances a proto has: one per process, or one per request context."""

    SINGLETON = "SINGLETON"
    CONTEXT = "CONTEXT"


class ProtoInfo(Struct, frozen=True):
    """What a proto decorator records on its class."""

    init_type: ObjectInitType
    name: str
    where: str  # `file:line` of the decorator


def snake_name(class_name: str) -> str:
    """`HelloService` → `hello_service`, `MISTAdapter` → `mist_adapter` (tegg lower-cases one letter)."""
    return _WORD_BOUNDARY.sub("_", class_name).lower()


def caller_where(depth: int = 2) -> str:
    """`file:line` of the code `depth` frames up (the line holding the decorator)."""
    frame = sys._getframe(depth)
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


def mark_proto(cls: T, init_type: ObjectInitType, name: str | None, where: str) -> T:
    if not isinstance(cls, type):
        raise TypeError(f"a proto decorator goes on a class, not on {cls!r}")
    setattr(cls, PROTO_ATTR, ProtoInfo(init_type, name or snake_name(cls.__name__), where))
    return cls


def singleton_proto(*, name: str | None = None) -> Callable[[T], T]:
    """Declare a class whose one instance serves the whole process (tegg's `@SingletonProto`)."""
    where = caller_where()
    return lambda cls: mark_proto(cls, ObjectInitType.SINGLETON, name, where)


def context_proto(*, name: str | None = None) -> Callable[[T], T]:
    """Declare a class instantiated once per request context (tegg's `@ContextProto`)."""
    where = caller_where()
    return lambda cls: mark_proto(cls, ObjectInitType.CONTEXT, name, where)


def proto_info(cls: object) -> ProtoInfo | None:
    """The class's own proto declaration (a subclass of a proto is not one unless it is decorated too)."""
    return vars(cls).get(PROTO_ATTR) if isinstance(cls, type) else None


class Inject:
    """`inject()` / `Annotated[T, Inject()]`: a field the container fills.

    `name` picks the proto (or built-in) by name instead of by type; `optional` leaves `None` when
    nothing matches. On a classic `Controller` or `Service` the field resolves on first access.
    """

    __slots__ = ("attr", "name", "optional")

    def __init__(self, name: str | None = None, *, optional: bool = False) -> None:
        self.name = name
        self.optional = optional
        self.attr = ""

    def __set_name__(self, owner: type, attr: str) -> None:
        self.attr = attr

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        if obj is None:
            return self
        ctx = vars(obj).get("ctx")  # not getattr: `ctx` may itself be an injected field not yet filled
        if ctx is None or getattr(ctx.app, "protos", None) is None:
            raise AttributeError(
                f"`{type(obj).__name__}.{self.attr}` is filled by eggbin's container: create the object "
                "through injection (or `await ctx.get_egg_object(...)`), not by calling the class"
            )
        scope: ContextScope = ctx.scope()
        value = scope.classic_field(type(obj), self.attr)
        obj.__dict__[self.attr] = value
        return value

    def __repr__(self) -> str:
        return f"inject({self.name!r})" if self.name else "inject()"


def inject(name: str | None = None, *, optional: bool = False) -> Any:
    """A field filled by the container: `hello: HelloService = inject()` (by type, then by name)."""
    return Inject(name, optional=optional)
