"""The app's container (`app.protos`): protos resolved, advice woven and creation plans made once, at boot.

    Container(app, classes).build(controllers, services)   resolve, weave, check, plan (load phase)
    await container.start()      create the singletons, dependencies first (after the did_load hooks)
    await container.close()      destroy them, newest first (app close)

A plan (`ProtoPlan`) is what creating one object costs at run time: fields whose value never changes
(singletons, `app`, `config`, the validator) are one dict update; a controller that needs nothing of
its request is built without any scope (`fast`).
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from eggbin.errors import BootError
from eggbin.web.aop.declare import crosscuts_of, is_advice
from eggbin.web.aop.weave import AdviceChain, advice_uses, build_chain, proto_methods
from eggbin.web.controller import BaseContextClass
from eggbin.web.decorated.declare import CONTROLLER_ATTR, METHOD_ATTR, middlewares_of
from eggbin.web.protos.declare import Inject, proto_info
from eggbin.web.protos.discover import UNDECLARED
from eggbin.web.protos.fields import CONSTANT, injected_fields
from eggbin.web.protos.graph import SCOPE, Field, Proto, ProtoGraph
from eggbin.web.protos.scope import SingletonScope

if TYPE_CHECKING:
    from eggbin.web.application import Application
    from eggbin.web.context import Context
    from eggbin.web.middleware import Next

ASYNC_INIT = "EGG_PROTO_ASYNC_INIT"
NOT_ADVICE = "EGG_AOP_NOT_ADVICE"


class ProtoPlan:
    """How to create one proto's objects."""

    __slots__ = (
        "advised",
        "async_init",
        "cls",
        "constants",
        "dynamic",
        "fast",
        "has_destroy",
        "has_init",
        "proto",
        "with_ctx",
    )

    def __init__(self, proto: Proto) -> None:
        cls = proto.cls
        self.proto = proto
        self.cls = cls
        self.with_ctx = issubclass(cls, BaseContextClass)
        self.has_init = callable(getattr(cls, "init", None))
        self.has_destroy = callable(getattr(cls, "destroy", None))
        self.advised: tuple[AdviceChain, ...] = tuple(proto.advice.values())
        self.constants: dict[str, Any] | None = None  # set by `Container.start` for context protos
        self.dynamic: tuple[Field, ...] = tuple(proto.fields)
        self.async_init = inspect.iscoroutinefunction(getattr(cls, "init", None))
        self.fast = False


def is_constant(field: Field) -> bool:
    """The same value for every request: a singleton, `app`, `config`, the validator, or nothing."""
    if field.builtin is not None:
        return field.builtin in CONSTANT
    return field.target is None or field.target.singleton


class Container:
    """Every proto of one app, their plans, and the singleton scope."""

    def __init__(self, app: Application, classes: list[type]) -> None:
        self.app = app
        self.graph = ProtoGraph(classes)
        self._validator: Any = None
        self.overrides: dict[Proto, Any] = {}  # `mock.inject(...)` in tests
        self.plans: dict[Proto, ProtoPlan] = {}
        self.singleton_scope = SingletonScope(self)
        self._classic: dict[type, dict[str, Field]] = {}
        self._woven: set[Proto] = set()

    @property
    def validator(self) -> Any:
        """The app's `Validator` (built on first use: pydantic is imported only by apps that need it)."""
        if self._validator is None:
            from eggbin.web.validation import Validator

            self._validator = Validator()
        return self._validator

    def build(self, controllers: list[type], services: list[type]) -> None:
        """Resolve, weave, check and plan everything; any mistake is a `BootError` naming its place.

        `controllers` and `services` are the classic classes: their `inject()` fields resolve here too.
        """
        for cls in [*controllers, *services]:
            self._classic[cls] = self._classic_fields(cls)
        while True:
            known = len(self.graph.protos)
            self.graph.resolve_all()
            self._weave()
            if len(self.graph.protos) == known:
                break
        self.graph.check_cycles()
        self.plans = {proto: ProtoPlan(proto) for proto in self.graph.protos.values()}
        self._mark_async_init()
        for cls in services:  # controllers get their fields before the action runs: async is fine
            self._check_classic(cls, self._classic[cls])

    def injects(self, cls: type) -> bool:
        """Whether a classic controller class has `inject()` fields."""
        return bool(self._classic.get(cls))

    def classic_endpoint(self, cls: type, action: str) -> Callable[..., Awaitable[None]]:
        """A classic controller action whose fields (async `init` included) are filled before it runs."""
        fields = tuple(self._classic[cls].values())

        async def injecting_endpoint(ctx: Context, next_: Next | None = None) -> None:
            obj = cls(ctx)
            await ctx.scope().fill(obj, fields)
            result = getattr(obj, action)()
            if inspect.isawaitable(result):  # a plain `def` action is fine too
                result = await result
            if result is not None:
                ctx.body = result

        return injecting_endpoint

    def _classic_fields(self, cls: type) -> dict[str, Field]:
        fields = {}
        for spec in injected_fields(cls):
            fields[spec.attr] = self.graph.resolve(spec, None)
            if not isinstance(getattr(cls, spec.attr, None), Inject):  # `Annotated[T, Inject()]` only
                spec.marker.__set_name__(cls, spec.attr)
                setattr(cls, spec.attr, spec.marker)
        return fields

    def classic_field(self, owner: type, attr: str) -> Field:
        fields = self._classic.get(owner)
        if fields is None:  # a class the loader does not list (a base class, a helper): resolve it now
            fields = self._classic[owner] = self._classic_fields(owner)
            self.graph.resolve_all()
            self.plans.update({p: ProtoPlan(p) for p in self.graph.protos.values() if p not in self.plans})
        return fields[attr]

    def _weave(self) -> None:
        crosscuts = []
        for proto in list(self.graph.protos.values()):
            for found in crosscuts_of(proto.cls):
                if not is_advice(proto.cls):
                    raise BootError(
                        f"@crosscut on `{proto.cls.__qualname__}` at `{found.use.where}` needs @advice() too",
                        hint="a crosscut declares where an advice applies: decorate the class with @advice()",
                        code=NOT_ADVICE,
                    )
                crosscuts.append(found)
        for proto in list(self.graph.protos.values()):
            if proto in self._woven or is_advice(proto.cls):
                continue
            self._woven.add(proto)
            check_http_decorators(proto)
            for method in proto_methods(proto.cls):
                uses = advice_uses(proto.cls, method, crosscuts, advice_middleware(proto.cls, method))
                if uses:
                    proto.advice[method] = self._chain(proto, method, uses)

    def _chain(self, proto: Proto, method: str, uses: list[Any]) -> AdviceChain:
        advice_protos = [self.graph.add(use.advice) for use in uses]
        for use, advice in zip(uses, advice_protos, strict=True):
            if proto.singleton and not advice.singleton:
                raise BootError(
                    f"{proto.label} has {advice.label} on `{method}` (at `{use.where}`): a singleton can not "
                    "use advice that lives for one request",
                    hint="declare the advice with @advice(init_type=ObjectInitType.SINGLETON)",
                    code=SCOPE,
                )
        chain = build_chain(proto.cls, method, uses, advice_protos)
        chain.advice_fields = tuple(Field(f"advice:{a.cls.__qualname__}", target=a) for a in advice_protos)
        return chain

    def _mark_async_init(self) -> None:
        done: set[Proto] = set()

        def visit(plan: ProtoPlan) -> bool:
            if plan.proto not in done:
                done.add(plan.proto)
                for dep in plan.proto.dependencies():
                    if not dep.singleton and visit(self.plans[dep]):
                        plan.async_init = True
            return plan.async_init

        for plan in self.plans.values():
            visit(plan)

    def _check_classic(self, cls: type, fields: dict[str, Field]) -> None:
        for attr, field in fields.items():
            target = field.target
            if target is not None and not target.singleton and self.plans[target].async_init:
                raise BootError(
                    f"`{cls.__qualname__}.{attr}` injects {target.label}, whose `init` (or a dependency's) "
                    "is async: a service is made on first use of `ctx.service` and reads fields "
                    "synchronously",
                    hint="inject it into a controller (classic or decorated) or a proto, or make `init` "
                    "a plain method",
                    code=ASYNC_INIT,
                )

    async def start(self) -> None:
        """Create every singleton (its `init` awaited), then freeze what context protos read from them."""
        for proto in self.graph.creation_order():
            await self.singleton_scope.get(self.plans[proto])
        needed = {dep for proto in self.graph.protos.values() for dep in proto.dependencies()}
        for plan in self.plans.values():
            if plan.proto.singleton:
                continue
            fields = plan.proto.fields
            plan.constants = {f.attr: self.singleton_scope.value(f, []) for f in fields if is_constant(f)}
            plan.dynamic = tuple(f for f in fields if not is_constant(f))
            plan.fast = not (plan.dynamic or plan.advised or plan.has_init or plan.has_destroy)
            plan.fast = plan.fast and plan.proto not in needed and not plan.with_ctx

    async def close(self, logger: object) -> None:
        await self.singleton_scope.destroy(logger)

    def find(self, target: type | str) -> Proto:
        """The proto of a class (or of a same-named class from the same file) or of a name."""
        protos = self.graph.protos
        if isinstance(target, str):
            named = self.graph.by_name.get(target, [])
            if len(named) == 1:
                return named[0]
        elif target in protos:
            return protos[target]
        else:  # the same declaration imported under another module name (a test's own import)
            where = getattr(proto_info(target), "where", "")
            for proto in protos.values():
                if proto.cls.__qualname__ == target.__qualname__ and same_place(proto.info.where, where):
                    return proto
        known = ", ".join(sorted(p.info.name for p in protos.values())) or "none"
        raise LookupError(
            f"no proto `{getattr(target, '__qualname__', target)}` in the app (protos: {known})"
        )

    async def get_egg_object(self, target: type | str) -> Any:
        """A singleton's instance (tegg's `app.getEggObject`); context protos need `ctx.get_egg_object`."""
        proto = self.find(target)
        if not proto.singleton:
            raise LookupError(f"{proto.label} lives in a request: use `await ctx.get_egg_object(...)`")
        return self.overrides.get(proto, self.singleton_scope.objects[proto])


def check_http_decorators(proto: Proto) -> None:
    """`@http_method` only in an `@http_controller`; `@middleware` only on one or on its HTTP methods."""
    cls = proto.cls
    controller = getattr(cls, CONTROLLER_ATTR, None) is not None
    if middlewares_of(cls) and not controller:
        raise BootError(
            f"@middleware on {proto.label}, which is no @http_controller: nothing would run it",
            hint="middleware wraps HTTP methods: use @pointcut(...) for a proto's methods",
            code=UNDECLARED,
        )
    for method in proto_methods(cls):
        function = getattr(cls, method)
        own = vars(function)
        if METHOD_ATTR in own and not controller:
            raise BootError(
                f"`{cls.__qualname__}.{method}` at `{own[METHOD_ATTR].where}` has @http_method, but "
                f"{proto.label} is no @http_controller: the route would never be added",
                hint="declare the class with @http_controller(...)",
                code=UNDECLARED,
            )
        if middlewares_of(function) and METHOD_ATTR not in own:
            code = function.__code__
            raise BootError(
                f"`{cls.__qualname__}.{method}` at `{code.co_filename}:{code.co_firstlineno}` has "
                "@middleware but no @http_method: nothing would run it",
                hint="add @http_method(...) to it, or use @pointcut(...) for a plain method",
                code=UNDECLARED,
            )


def advice_middleware(cls: type, method: str) -> list[type]:
    """The advice classes of `@middleware` for an HTTP method: the class's, then the method's."""
    function = getattr(cls, method)
    if getattr(cls, CONTROLLER_ATTR, None) is None or METHOD_ATTR not in vars(function):
        return []
    return [mw for mw in [*middlewares_of(cls), *middlewares_of(function)] if is_advice(mw)]


def same_place(where: str, other: str) -> bool:
    """Whether two `file:line` name one line (the files compared after resolving links)."""
    file, _, line = where.rpartition(":")
    other_file, _, other_line = other.rpartition(":")
    return line == other_line and os.path.realpath(file) == os.path.realpath(other_file)
