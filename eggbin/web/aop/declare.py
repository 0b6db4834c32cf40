"""Declaring advice (tegg's `@Advice` / `@Pointcut` / `@Crosscut`); `eggbin.web.aop.weave` runs them.

    @advice()                                   a proto (context scope by default) with any of
    class Trace:                                before_call, after_return, after_throw, after_finally,
        async def around(self, ctx, next): ...  around (sync or async)

    @pointcut(Trace, advice_params={"tag": 1})  on one method of any proto
    @crosscut(PointcutType.NAME, class_name=re.compile("Service$"), method_name=re.compile("^find"))
                                                on an advice class: every proto method that matches

Order on one method (outermost first): crosscuts (order 100), then `@middleware` advice of the
controller class and of the method (order 1000), then pointcuts, top decorator first (order 1000);
a lower `order` runs outside a higher one, equal orders keep this sequence (tegg's rules).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from enum import StrEnum
from typing import Any, TypeVar

from msgspec import Struct

from eggbin.web.protos.declare import ObjectInitType, caller_where, mark_proto

T = TypeVar("T", bound=type)
F = TypeVar("F", bound=Callable[..., Any])
ADVICE_ATTR = "__egg_advice__"
CROSSCUT_ATTR = "__egg_crosscuts__"
POINTCUT_ATTR = "__egg_pointcuts__"
HOOKS = ("before_call", "around", "after_return", "after_throw", "after_finally")
CROSSCUT_ORDER = 100
POINTCUT_ORDER = 1000


class PointcutType(StrEnum):
    """How a crosscut picks its methods: a class and a method name, two regexes, or a callback."""

    CLASS = "CLASS"
    NAME = "NAME"
    CUSTOM = "CUSTOM"


class AdviceUse(Struct, frozen=True):
    """One advice applied to one method, with its parameters and order."""

    advice: type
    order: int
    params: Any = None
    where: str = "?"


class Crosscut(Struct, frozen=True):
    """Which methods a crosscut advice applies to."""

    kind: PointcutType
    match: Callable[[type, str], bool]
    use: AdviceUse


class AdviceCall:
    """The arguments of one advised call, shared by the contexts of all its advice."""

    __slots__ = ("args", "kwargs")

    def __init__(self, args: list[Any], kwargs: dict[str, Any]) -> None:
        self.args = args
        self.kwargs = kwargs


class AdviceContext:
    """What each advice hook receives: `that`, `method`, `args`, `kwargs`, `advice_params`.

    Changing `args` / `kwargs` (or assigning new ones) changes the call; `get` / `set` keep state
    between the hooks of one call.
    """

    __slots__ = ("_call", "_state", "advice_params", "method", "that")

    def __init__(self, that: object, method: str, call: AdviceCall, advice_params: object) -> None:
        self.that = that
        self.method = method
        self.advice_params = advice_params
        self._call = call
        self._state: dict[Any, Any] | None = None

    @property
    def args(self) -> list[Any]:
        return self._call.args

    @args.setter
    def args(self, value: Iterable[object]) -> None:
        self._call.args = list(value)

    @property
    def kwargs(self) -> dict[str, Any]:
        return self._call.kwargs

    @kwargs.setter
    def kwargs(self, value: dict[str, Any]) -> None:
        self._call.kwargs = dict(value)

    def get(self, key: object, default: object = None) -> Any:
        return (self._state or {}).get(key, default)

    def set(self, key: object, value: object) -> None:
        if self._state is None:
            self._state = {}
        self._state[key] = value


def advice(
    *, init_type: ObjectInitType = ObjectInitType.CONTEXT, name: str | None = None
) -> Callable[[T], T]:
    """Declare an advice class (a proto: it may inject, and is created in its `init_type` scope)."""
    where = caller_where()

    def declare(cls: T) -> T:
        if not any(callable(getattr(cls, hook, None)) for hook in HOOKS):
            raise TypeError(f"advice `{cls.__name__}` ({where}) defines none of {', '.join(HOOKS)}")
        setattr(cls, ADVICE_ATTR, True)
        return mark_proto(cls, ObjectInitType(init_type), name, where)

    return declare


def is_advice(cls: object) -> bool:
    return isinstance(cls, type) and bool(vars(cls).get(ADVICE_ATTR))


def pointcut(
    advice_class: type, *, advice_params: object = None, order: int = POINTCUT_ORDER
) -> Callable[[F], F]:
    """Apply `advice_class` to the decorated method of a proto (the top decorator runs outermost)."""
    if not is_advice(advice_class):
        raise TypeError(f"`{advice_class!r}` is not an advice: decorate it with @advice()")
    use = AdviceUse(advice_class, order, advice_params, caller_where())

    def apply(method: F) -> F:
        if not callable(method) or isinstance(method, type):
            raise TypeError(f"@pointcut goes on a method, not on {method!r}")
        method.__dict__.setdefault(POINTCUT_ATTR, []).insert(0, use)  # decorators apply bottom-up
        return method

    return apply


def crosscut(
    kind: PointcutType,
    *,
    clazz: type | None = None,
    method_name: str | re.Pattern[str] | None = None,
    class_name: str | re.Pattern[str] | None = None,
    callback: Callable[[type, str], bool] | None = None,
    advice_params: object = None,
    order: int = CROSSCUT_ORDER,
) -> Callable[[T], T]:
    """Apply the decorated advice class to every proto method matching the pointcut."""
    use_where = caller_where()
    match = _matcher(PointcutType(kind), clazz, method_name, class_name, callback)

    def declare(cls: T) -> T:
        found = Crosscut(PointcutType(kind), match, AdviceUse(cls, order, advice_params, use_where))
        own = vars(cls).get(CROSSCUT_ATTR)
        if own is None:
            own = []
            setattr(cls, CROSSCUT_ATTR, own)
        own.insert(0, found)  # decorators apply bottom-up: keep the written order
        return cls

    return declare


def crosscuts_of(cls: type) -> list[Crosscut]:
    return list(vars(cls).get(CROSSCUT_ATTR) or [])


def _matcher(
    kind: PointcutType,
    clazz: type | None,
    method_name: str | re.Pattern[str] | None,
    class_name: str | re.Pattern[str] | None,
    callback: Callable[[type, str], bool] | None,
) -> Callable[[type, str], bool]:
    if kind is PointcutType.CLASS:
        if not isinstance(clazz, type) or not isinstance(method_name, str):
            raise TypeError("crosscut(PointcutType.CLASS) needs clazz=<class> and method_name=<str>")
        return lambda cls, method: issubclass(cls, clazz) and method == method_name
    if kind is PointcutType.NAME:
        if class_name is None or method_name is None:
            raise TypeError("crosscut(PointcutType.NAME) needs class_name= and method_name= (regexes)")
        classes, methods = re.compile(class_name), re.compile(method_name)
        return lambda cls, method: bool(classes.search(cls.__name__) and methods.search(method))
    if not callable(callback):
        raise TypeError("crosscut(PointcutType.CUSTOM) needs callback=<function(cls, method_name) -> bool>")
    return lambda cls, method: bool(callback(cls, method))
