"""Where proto instances live: the process (`SingletonScope`) or one request (`ContextScope`, `ctx.scope()`).

Creating an object builds it and what it needs synchronously (construct, fill fields, weave advice),
then runs the `init` hooks, dependencies first. A request's scope also holds its background tasks;
`release()` runs after the response: once those tasks end (or time out) the context protos' `destroy`
hooks run, newest first.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

from eggbin.web.background import BackgroundTaskHelper

if TYPE_CHECKING:
    from eggbin.web.context import Context
    from eggbin.web.protos.container import Container, ProtoPlan
    from eggbin.web.protos.graph import Field, Proto


class Scope:
    """Instances of one scope, and how the built-ins read in it."""

    def __init__(self, container: Container) -> None:
        self.container = container
        self.objects: dict[Proto, Any] = {}
        self.destroyable: list[Any] = []

    def builtin(self, key: str) -> Any:
        raise NotImplementedError

    def value(self, field: Field, inits: list[Any]) -> Any:
        """What `field` holds in this scope (building context protos it needs into `inits`)."""
        if field.builtin is not None:
            return self.builtin(field.builtin)
        target = field.target
        if target is None:
            return None
        overrides = self.container.overrides
        if target in overrides:
            return overrides[target]
        found = self.objects.get(target)
        if found is not None:
            return found
        if target.singleton and self is not self.container.singleton_scope:
            made = self.container.singleton_scope.objects.get(target)
            if made is None:
                raise RuntimeError(f"{target.label} is not made yet: singletons are made after `did_load`")
            return made
        return self.build(self.container.plans[target], inits)

    def build(self, plan: ProtoPlan, inits: list[Any]) -> Any:
        """Construct `plan`'s object, fill its fields, weave its advice; its `init` is queued in `inits`."""
        obj = plan.cls(self.ctx_for_constructor()) if plan.with_ctx else plan.cls()
        self.objects[plan.proto] = obj
        values = obj.__dict__
        fields: tuple[Field, ...] | list[Field] = plan.proto.fields
        if plan.constants is not None and not self.container.overrides:
            values.update(plan.constants)
            fields = plan.dynamic
        for field in fields:
            values[field.attr] = self.value(field, inits)
        for chain in plan.advised:
            advices = tuple(self.value(advice, inits) for advice in chain.advice_fields)
            values[chain.method] = chain.bind(obj, advices)
        if plan.has_init:
            inits.append(obj)
        if plan.has_destroy:
            self.destroyable.append(obj)
        return obj

    def ctx_for_constructor(self) -> Any:
        raise NotImplementedError

    async def get(self, plan: ProtoPlan) -> Any:
        """The scope's instance of `plan`, created (and its `init` awaited) on first use."""
        found = self.container.overrides.get(plan.proto, self.objects.get(plan.proto))
        if found is not None:
            return found
        inits: list[Any] = []
        obj = self.build(plan, inits)
        await run_inits(inits)
        return obj

    async def fill(self, obj: object, fields: tuple[Field, ...]) -> None:
        """Set `fields` on `obj` (a classic controller), creating and initialising what they need."""
        inits: list[Any] = []
        for field in fields:
            obj.__dict__[field.attr] = self.value(field, inits)
        await run_inits(inits)

    async def destroy(self, logger: Any) -> None:
        """`destroy()` of every object that has one, newest first; failures are logged."""
        while self.destroyable:
            obj = self.destroyable.pop()
            try:
                result = obj.destroy()
                if inspect.isawaitable(result):
                    await result
            except Exception:
                logger.exception("[egg:proto] %s.destroy() failed", type(obj).__qualname__)


class SingletonScope(Scope):
    """The process's singletons, created at boot and destroyed at close."""

    def builtin(self, key: str) -> Any:
        app = self.container.app
        if key == "validator":
            return self.container.validator
        return app if key == "app" else getattr(app, key)  # config, logger, core_logger, background

    def ctx_for_constructor(self) -> Any:
        raise AssertionError("singletons never take a context (rejected at boot)")


class ContextScope(Scope):
    """One request's context protos and background tasks (`ctx.scope()`, made on first use)."""

    def __init__(self, container: Container, ctx: Context) -> None:
        super().__init__(container)
        self.ctx = ctx
        self._background: BackgroundTaskHelper | None = None

    def builtin(self, key: str) -> Any:
        ctx = self.ctx
        if key == "ctx":
            return ctx
        if key == "validator":
            return self.container.validator
        if key == "config":
            return ctx.app.config
        if key == "background":
            return self.background
        return ctx.app if key == "app" else getattr(ctx, key)  # request, logger, core_logger

    def ctx_for_constructor(self) -> Any:
        return self.ctx

    @property
    def background(self) -> BackgroundTaskHelper:
        """`ctx.background`: this request's `BackgroundTaskHelper`."""
        if self._background is None:
            app = self.ctx.app
            timeout = (app.config.get("background_task") or {}).get("timeout", 5)
            self._background = BackgroundTaskHelper(app.background_tasks, self.ctx.logger, timeout, self.ctx)
        return self._background

    def classic_field(self, owner: type, attr: str) -> Any:
        """A field of a classic controller or service, resolved on first access (sync)."""
        field = self.container.classic_field(owner, attr)
        inits: list[Any] = []
        value = self.value(field, inits)
        for pending in inits:
            if inspect.isawaitable(result := pending.init()):
                result.close()  # type: ignore[attr-defined]
                raise RuntimeError(
                    f"`{type(pending).__qualname__}.init` is async: `{owner.__qualname__}.{attr}` can not "
                    "await it from a plain attribute (inject it into a decorated controller or a proto)"
                )
        return value

    async def get_egg_object(self, target: type | str) -> Any:
        """The instance of a proto (by class or name) in this request: tegg's `ctx.getEggObject`."""
        proto = self.container.find(target)
        if proto.singleton:
            return self.container.singleton_scope.objects[proto]
        return await self.get(self.container.plans[proto])

    async def release(self) -> None:
        """After the response: wait for this request's background tasks, then destroy its objects."""
        helper = self._background
        if helper is not None and helper.pending:
            self.ctx.app.background_tasks.track_release(self._release_later(helper))
        elif self.destroyable:
            await self.destroy(self.ctx.logger)

    async def _release_later(self, helper: BackgroundTaskHelper) -> None:
        await helper.wait()
        await self.destroy(self.ctx.logger)


async def run_inits(objects: list[Any]) -> None:
    """`init()` of each new object, dependencies first (sync or async)."""
    for obj in objects:
        result = obj.init()
        if inspect.isawaitable(result):
            await result
