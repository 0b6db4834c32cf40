"""Running advice around a method, exactly as egg documents it:

    before_call(ctx) of every advice, outermost first
    try:     result = around(ctx, next) of every advice, nested, the method innermost
             after_return(ctx, result) of every advice; return result
    except:  after_throw(ctx, error) of every advice; re-raise
    finally: after_finally(ctx) of every advice

Chains are built once per (class, method) at boot (`AdviceChain`); creating a proto instance puts one
small `Advised` callable per advised method on the instance, holding that instance's advice objects.
The method itself is looked up on the class at call time, so a test may still patch it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from msgspec import Struct

from eggbin.errors import BootError
from eggbin.web.aop.declare import HOOKS, POINTCUT_ATTR, AdviceCall, AdviceContext, AdviceUse, Crosscut

ASYNC_ADVICE = "EGG_AOP_ASYNC_ADVICE"


class AdviceChain(Struct, eq=False):
    """The advice of one method, outermost first, with the indexes of those having each hook."""

    method: str
    uses: tuple[AdviceUse, ...]
    is_async: bool
    advice_protos: list[Any]  # the advice's Proto nodes, aligned with `uses`
    hooks: dict[str, tuple[int, ...]]
    advice_fields: tuple[Any, ...] = ()  # the same as injectable fields, set by the container

    def bind(self, that: object, advices: tuple[Any, ...]) -> Callable[..., Any]:
        """The callable that replaces `that.<method>`."""
        return AsyncAdvised(that, self, advices) if self.is_async else SyncAdvised(that, self, advices)


def proto_methods(cls: type) -> list[str]:
    """Names of the plain methods of `cls` and its bases (no dunders), in definition order."""
    names: dict[str, None] = {}
    for klass in reversed(cls.__mro__[:-1]):
        for name, value in vars(klass).items():
            if inspect.isfunction(value) and not (name.startswith("__") and name.endswith("__")):
                names[name] = None
    return list(names)


def advice_uses(cls: type, method: str, crosscuts: list[Crosscut], middleware: list[type]) -> list[AdviceUse]:
    """Every advice of `cls.<method>` in running order (see `eggbin.web.aop.declare`)."""
    function = getattr(cls, method)
    uses = [c.use for c in crosscuts if c.match(cls, method)]
    uses += [AdviceUse(advice, 1000, None, f"@middleware on {cls.__qualname__}") for advice in middleware]
    uses += list(getattr(function, POINTCUT_ATTR, None) or [])
    return sorted(uses, key=lambda use: use.order)


def build_chain(cls: type, method: str, uses: list[AdviceUse], advice_protos: list[Any]) -> AdviceChain:
    function = getattr(cls, method)
    is_async = inspect.iscoroutinefunction(function)
    hooks: dict[str, tuple[int, ...]] = {}
    for hook in HOOKS:
        having = []
        for index, use in enumerate(uses):
            implementation = getattr(use.advice, hook, None)
            if implementation is None:
                continue
            if not is_async and inspect.iscoroutinefunction(implementation):
                raise BootError(
                    f"`{use.advice.__qualname__}.{hook}` is async but `{cls.__qualname__}.{method}` (advised "
                    f"at `{use.where}`) is a plain method: a sync call can not await its advice",
                    hint=f"make `{method}` async, or `{hook}` a plain method",
                    code=ASYNC_ADVICE,
                )
            having.append(index)
        hooks[hook] = tuple(having)
    return AdviceChain(method, tuple(uses), is_async, advice_protos, hooks)


class Advised:
    """`that.<method>` with its advice."""

    __slots__ = ("advices", "chain", "that")

    def __init__(self, that: object, chain: AdviceChain, advices: tuple[Any, ...]) -> None:
        self.that = that
        self.chain = chain
        self.advices = advices

    def contexts(self, call: AdviceCall) -> list[AdviceContext]:
        chain = self.chain
        return [AdviceContext(self.that, chain.method, call, use.params) for use in chain.uses]

    def target(self) -> Callable[..., Any]:
        return getattr(type(self.that), self.chain.method)  # type: ignore[no-any-return]


class AsyncAdvised(Advised):
    __slots__ = ()

    async def __call__(self, *args: object, **kwargs: object) -> Any:
        call = AdviceCall(list(args), kwargs)
        contexts, advices, hooks = self.contexts(call), self.advices, self.chain.hooks
        for i in hooks["before_call"]:
            await _settle(advices[i].before_call(contexts[i]))
        try:
            result = await self._around(0, contexts, call)
            for i in hooks["after_return"]:
                await _settle(advices[i].after_return(contexts[i], result))
            return result
        except Exception as error:
            for i in hooks["after_throw"]:
                await _settle(advices[i].after_throw(contexts[i], error))
            raise
        finally:
            for i in hooks["after_finally"]:
                await _settle(advices[i].after_finally(contexts[i]))

    async def _around(self, position: int, contexts: list[AdviceContext], call: AdviceCall) -> Any:
        arounds = self.chain.hooks["around"]
        if position == len(arounds):
            return await self.target()(self.that, *call.args, **call.kwargs)
        index = arounds[position]

        def next_() -> Any:
            return self._around(position + 1, contexts, call)

        return await _settle(self.advices[index].around(contexts[index], next_))


class SyncAdvised(Advised):
    __slots__ = ()

    def __call__(self, *args: object, **kwargs: object) -> Any:
        call = AdviceCall(list(args), kwargs)
        contexts, advices, hooks = self.contexts(call), self.advices, self.chain.hooks
        for i in hooks["before_call"]:
            advices[i].before_call(contexts[i])
        try:
            result = self._around(0, contexts, call)
            for i in hooks["after_return"]:
                advices[i].after_return(contexts[i], result)
            return result
        except Exception as error:
            for i in hooks["after_throw"]:
                advices[i].after_throw(contexts[i], error)
            raise
        finally:
            for i in hooks["after_finally"]:
                advices[i].after_finally(contexts[i])

    def _around(self, position: int, contexts: list[AdviceContext], call: AdviceCall) -> Any:
        arounds = self.chain.hooks["around"]
        if position == len(arounds):
            return self.target()(self.that, *call.args, **call.kwargs)
        index = arounds[position]
        return self.advices[index].around(contexts[index], lambda: self._around(position + 1, contexts, call))


async def _settle(value: object) -> Any:
    return await value if inspect.isawaitable(value) else value
