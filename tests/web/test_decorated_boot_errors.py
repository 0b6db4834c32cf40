"""Every boot error of the decorated model: its code, what it names (file:line) and what to do."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.web.boot_support import boot_error, write_app

HEADER = """
from typing import Annotated, Any

from eggbin import (
    Context, Param, Service, context_proto, http_controller, http_method, inject, singleton_proto,
)
from eggbin.aop import advice, pointcut
"""


LOG_ADVICE = """
@advice()
class Log:
    async def before_call(self, ctx):
        pass

"""


def error_of(tmp_path: Path, files: dict[str, str]) -> str:
    base = write_app(tmp_path / "app", {name: HEADER + source for name, source in files.items()})
    return asyncio.run(boot_error(base))


def shop_error(tmp_path: Path, source: str) -> tuple[str, Path]:
    """The boot error of an app whose one module is `app/module/shop.py`, and that file."""
    return error_of(tmp_path, {"app/module/shop.py": source}), tmp_path / "app" / "app" / "module" / "shop.py"


def line_of(file: Path, text: str) -> int:
    return next(i for i, line in enumerate(file.read_text().splitlines(), 1) if text in line)


def test_injecting_an_undeclared_class(tmp_path: Path) -> None:
    message, file = shop_error(
        tmp_path,
        """
class Helper:
    pass


@singleton_proto()
class Shop:
    helper: Helper = inject()
""",
    )
    assert message == (
        f"[EGG_PROTO_NOT_FOUND] `Shop.helper` at `{file}:{line_of(file, 'helper: Helper')}` "
        "injects `Helper`, "
        "which is not a proto: no proto has that type or the name `helper`; declare it with "
        "@singleton_proto() or @context_proto() in a module under app/, or correct the type or name"
    )


def test_a_misspelt_name_lists_the_closest(tmp_path: Path) -> None:
    message, file = shop_error(
        tmp_path,
        """
@singleton_proto()
class PriceService:
    pass


@context_proto()
class Shop:
    price_servce = inject()
""",
    )
    declared = line_of(file, "@singleton_proto()")
    assert message.startswith(
        f"[EGG_PROTO_NOT_FOUND] `Shop.price_servce` at `{file}:{line_of(file, 'price_servce =')}` injects "
        f"`price_servce`: no proto has that type or the name `price_servce`; closest: `price_service` "
        f"(`PriceService` at {file}:{declared}); declare it with"
    )


def test_an_annotation_that_can_not_be_evaluated(tmp_path: Path) -> None:
    message, _ = shop_error(
        tmp_path,
        """
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from decimal import Decimal


@singleton_proto()
class Shop:
    rate: "Decimal" = inject()
""",
    )
    assert "`Shop.rate` at `" in message
    assert "injects `Decimal` (its annotation could not be evaluated: import it at run time)" in message
    assert message.startswith("[EGG_PROTO_NOT_FOUND]")


def test_a_singleton_injecting_a_context_proto_names_both(tmp_path: Path) -> None:
    message, file = shop_error(
        tmp_path,
        """
@context_proto()
class Cart:
    pass


@singleton_proto()
class Shop:
    cart: Cart = inject()
""",
    )
    assert message == (
        f"[EGG_PROTO_SCOPE] singleton `Shop` ({file}:{line_of(file, '@singleton_proto()')}) injects context "
        f"proto `Cart` ({file}:{line_of(file, '@context_proto()')}) in `cart` at "
        f"`{file}:{line_of(file, 'cart: Cart')}`: a singleton lives for the whole process and can not hold "
        "what belongs to one request; make `Shop` a @context_proto(), or what it injects a @singleton_proto()"
    )


def test_a_singleton_injecting_the_context(tmp_path: Path) -> None:
    message = error_of(
        tmp_path,
        {"app/module/shop.py": "\n@singleton_proto()\nclass Shop:\n    ctx: Context = inject()\n"},
    )
    assert message.startswith("[EGG_PROTO_SCOPE] singleton `Shop` (")
    assert "injects `Context` (one per request) in `ctx` at" in message


def test_a_singleton_with_context_advice(tmp_path: Path) -> None:
    message, file = shop_error(
        tmp_path,
        LOG_ADVICE
        + """
@singleton_proto()
class Shop:
    @pointcut(Log)
    async def buy(self):
        pass
""",
    )
    assert message == (
        f"[EGG_PROTO_SCOPE] singleton `Shop` ({file}:{line_of(file, '@singleton_proto()')}) has "
        f"context proto `Log` ({file}:{line_of(file, '@advice()')}) on `buy` "
        f"(at `{file}:{line_of(file, '@pointcut(Log)')}`): "
        "a singleton can not use advice that lives for one request; declare the advice with "
        "@advice(init_type=ObjectInitType.SINGLETON)"
    )


def test_protos_that_need_each_other(tmp_path: Path) -> None:
    message, file = shop_error(
        tmp_path,
        """
@context_proto()
class Cart:
    shop: "Shop" = inject()


@context_proto()
class Shop:
    cart: Cart = inject()
""",
    )
    cart, shop = (f"{file}:{line_of(file, text) - 1}" for text in ("class Cart", "class Shop"))  # decorators
    assert message == (
        f"[EGG_PROTO_CYCLE] protos need each other: context proto `Cart` ({cart}) -> context proto `Shop` "
        f"({shop}) -> context proto `Cart` ({cart}); break the cycle: move the shared part into a third proto"
    )


def test_two_protos_with_one_name(tmp_path: Path) -> None:
    message = error_of(
        tmp_path,
        {
            "app/module/a.py": "\n@singleton_proto(name='store')\nclass Memory:\n    pass\n",
            "app/module/b.py": "\n@singleton_proto(name='store')\nclass Disk:\n    pass\n",
            "app/module/c.py": "\n@singleton_proto()\nclass Shop:\n    store = inject()\n",
        },
    )
    assert message.startswith("[EGG_PROTO_AMBIGUOUS] `Shop.store` at `")
    assert "matches several protos by name `store`: singleton `Memory` (" in message
    assert "singleton `Disk` (" in message
    assert message.endswith("pick one with inject(name=...) and give the protos distinct names")


def test_a_proto_needing_constructor_arguments(tmp_path: Path) -> None:
    message = error_of(
        tmp_path,
        {
            "app/module/shop.py": (
                "\n@singleton_proto()\nclass Shop:\n    def __init__(self, name):\n        pass\n"
            )
        },
    )
    file = tmp_path / "app" / "app" / "module" / "shop.py"
    assert message == (
        f"[EGG_PROTO_CONSTRUCTOR] singleton `Shop` ({file}:{line_of(file, '@singleton_proto()')}) can not be "
        "created: its constructor needs `name`; the container calls the class with no arguments: inject what "
        "it needs as fields"
    )


def test_a_service_injecting_a_proto_with_async_init(tmp_path: Path) -> None:
    message = error_of(
        tmp_path,
        {
            "app/module/cart.py": (
                "\n@context_proto()\nclass Cart:\n    async def init(self):\n        pass\n"
            ),
            "app/service/shop.py": """
from ..module.cart import Cart


class ShopService(Service):
    cart: Cart = inject()
""",
        },
    )
    assert message.startswith("[EGG_PROTO_ASYNC_INIT] `ShopService.cart` injects context proto `Cart` (")
    assert "is async: a service is made on first use of `ctx.service`" in message


def test_async_advice_on_a_plain_method(tmp_path: Path) -> None:
    message, file = shop_error(
        tmp_path,
        LOG_ADVICE
        + """
@context_proto()
class Shop:
    @pointcut(Log)
    def buy(self):
        pass
""",
    )
    assert message == (
        "[EGG_AOP_ASYNC_ADVICE] `Log.before_call` is async but `Shop.buy` (advised at "
        f"`{file}:{line_of(file, '@pointcut(Log)')}`) is a plain method: a sync call can not await "
        "its advice; "
        "make `buy` async, or `before_call` a plain method"
    )


def test_a_crosscut_without_advice_and_a_pointcut_on_a_non_advice(tmp_path: Path) -> None:
    crosscut = error_of(
        tmp_path / "one",
        {
            "app/module/shop.py": """
from eggbin.aop import PointcutType, crosscut


@crosscut(PointcutType.CUSTOM, callback=lambda cls, method: False)
@singleton_proto()
class NotAnAdvice:
    pass
""",
        },
    )
    assert crosscut.startswith("[EGG_AOP_NOT_ADVICE] @crosscut on `NotAnAdvice` at `")
    pointcut_message = error_of(
        tmp_path / "two",
        {
            "app/module/shop.py": """
class Plain:
    pass


@context_proto()
class Shop:
    @pointcut(Plain)
    async def buy(self):
        pass
""",
        },
    )
    file = tmp_path / "two" / "app" / "app" / "module" / "shop.py"
    assert pointcut_message.startswith(f"TypeError in `{file}:{line_of(file, '@pointcut(Plain)')}`: ")
    assert "is not an advice: decorate it with @advice()" in pointcut_message


def test_parameters_without_a_source(tmp_path: Path) -> None:
    unsourced = error_of(
        tmp_path / "one",
        {
            "app/controller/shop.py": """
@http_controller()
class Shop:
    @http_method(path="/buy")
    async def buy(self, amount: int):
        pass
""",
        },
    )
    file = tmp_path / "one" / "app" / "app" / "controller" / "shop.py"
    assert unsourced == (
        f"[EGG_PARAM_SOURCE] parameter `amount` of `Shop.buy` at `{file}:{line_of(file, '@http_method')}` "
        "has no source: its type `int` says nothing of the request; annotate it `Annotated[T, Body()]`, "
        "`Query()`, "
        "`Queries()`, `Param()`, `Header()` or `Headers()`, or type it `Context`, `Request` or `Cookies`"
    )
    not_in_path = error_of(
        tmp_path / "two",
        {
            "app/controller/shop.py": """
@http_controller()
class Shop:
    @http_method(path="/items/:item_id")
    async def item(self, id: Annotated[int, Param()]):
        pass
""",
        },
    )
    assert not_in_path.startswith("[EGG_PARAM_SOURCE] parameter `id` of `Shop.item` at `")
    assert "reads path parameter `id`, which `/items/:item_id` does not have" in not_in_path


def test_route_conflicts_name_both_places(tmp_path: Path) -> None:
    controller = """
@http_controller(path="/api")
class Shop:
    @http_method(path="/hello")
    async def hello(self):
        pass
"""
    with_router = error_of(
        tmp_path / "one",
        {
            "app/router.py": "\ndef router(app):\n    app.router.get('/api/hello', lambda ctx: 'hi')\n",
            "app/controller/shop.py": controller,
        },
    )
    router = tmp_path / "one" / "app" / "app" / "router.py"
    shop = tmp_path / "one" / "app" / "app" / "controller" / "shop.py"
    assert with_router == (
        "[EGG_ROUTER_CONFLICT] route `GET /api/hello` is defined twice: "
        f"at `{router}:{line_of(router, 'get(')}` "
        f"and `{shop}:{line_of(shop, '@http_method')}`; remove or rename one of them"
    )
    twice = error_of(
        tmp_path / "two",
        {
            "app/controller/shop.py": controller,
            "app/controller/store.py": controller.replace("class Shop", "class Store"),
        },
    )
    assert twice.startswith("[EGG_ROUTER_CONFLICT] route `GET /api/hello` is defined twice: at `")
    assert "controller/shop.py:" in twice
    assert "controller/store.py:" in twice


def test_decorators_nothing_would_use(tmp_path: Path) -> None:
    no_controller, file = shop_error(
        tmp_path / "one",
        """
class Shop:
    @http_method(path="/buy")
    async def buy(self):
        pass
""",
    )
    assert no_controller == (
        f"[EGG_DECORATOR_UNUSED] `Shop.buy` at `{file}:{line_of(file, '@http_method')}` has @http_method, "
        "but "
        "`Shop` is no proto, so nothing would use it; decorate the class with @http_controller(), "
        "@context_proto() or @singleton_proto()"
    )
    in_a_plain_proto, file = shop_error(
        tmp_path / "two",
        """
@context_proto()
class Shop:
    @http_method(path="/buy")
    async def buy(self):
        pass
""",
    )
    assert in_a_plain_proto.startswith(
        f"[EGG_DECORATOR_UNUSED] `Shop.buy` at `{file}:{line_of(file, '@http_method')}` has @http_method, "
        "but "
        f"context proto `Shop` ({file}:{line_of(file, '@context_proto')}) is no @http_controller"
    )
    middleware_alone, file = shop_error(
        tmp_path / "three",
        """
from eggbin.aop import middleware


async def log(ctx, next):
    await next()


@http_controller()
class Shop:
    @middleware(log)
    async def helper(self):
        pass
""",
    )
    assert middleware_alone.startswith("[EGG_DECORATOR_UNUSED] `Shop.helper` at `")
    assert "has @middleware but no @http_method: nothing would run it" in middleware_alone


def test_routes_differing_only_in_parameter_names_conflict(tmp_path: Path) -> None:
    message = error_of(
        tmp_path,
        {
            "app/router.py": "\ndef router(app):\n    app.router.get('/items/:item', lambda ctx: 'old')\n",
            "app/controller/shop.py": """
@http_controller()
class Shop:
    @http_method(path="/items/{id}")
    async def item(self, id: Annotated[int, Param()]):
        pass
""",
        },
    )
    assert message.startswith("[EGG_ROUTER_CONFLICT] route `GET /items/{id}` is defined twice: at `")
    assert "app/router.py:" in message
    assert "controller/shop.py:" in message
