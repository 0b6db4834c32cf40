"""AOP through real HTTP: hooks in egg's documented order, every pointcut kind, nesting and AOP middleware.

The fixture's advice write what they see into a request's `CallTrace` (or `ctx.state["order"]`), which the
routes answer, so every assertion below is an order recorded by a real request.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.web.conftest import Booted

APP = "decorated_app"


@pytest.fixture
def egg(boot_app: Callable[..., Booted]) -> Booted:
    return boot_app(APP)


def test_hooks_run_in_egg_pseudo_code_order_crosscut_outside_pointcut(egg: Booted) -> None:
    body = egg.http.get("/aop/hello", params={"name": "aop"}).json()
    # before_call rewrote args[0]; around replaced args and wrapped the result, the crosscut outermost
    assert body["result"] == "class(point(hello around(before(aop))))"
    assert body["trace"] == [
        "class before {'cross': 'class'}",
        "point before hello ['aop'] {'point': 1}",
        "class around in",
        "point around in ['before(aop)']",
        "point around out hello around(before(aop))",
        "class around out",
        "class after_return class(point(hello around(before(aop))))",
        "point after_return class(point(hello around(before(aop))))",
        "class after_finally",
        "point after_finally Target",
    ]


def test_after_throw_then_after_finally_and_the_error_still_raised(egg: Booted) -> None:
    body = egg.http.get("/aop/fail", params={"name": "x"}).json()
    assert body["error"] == "ops, around(before(x))"
    assert body["trace"] == [
        "point before fail ['x'] {'point': 2}",
        "point around in ['before(x)']",
        "point after_throw ValueError('ops, around(before(x))')",
        "point after_finally Target",
    ]


def test_name_and_custom_crosscuts_nesting_order_and_replacing_around(egg: Booted) -> None:
    body = egg.http.get("/aop/more").json()
    assert body["named"] == {"from": "named_thing", "named": "named_thing"}  # NAME crosscut, singleton advice
    assert body["custom"] == ["custom", "custom after_return"]  # CUSTOM crosscut mutating the result
    assert body["twice"] == "twice"
    assert body["early"] == "early"
    assert body["replaced"] == {"replaced": True, "params": {"why": "around decides"}}  # never called next()
    assert body["trace"] == [
        "first in",  # twice: @pointcut(First) written above @pointcut(Second) runs outside it
        "second in",
        "second out",
        "first out",
        "first in",  # early: First has order=50, so it runs outside Second (order 1000) though below it
        "second in",
        "second out",
        "first out",
    ]


def test_advice_on_plain_methods_with_plain_hooks(egg: Booted) -> None:
    body = egg.http.get("/aop/sync", params={"word": "ab"}).json()
    assert body["echo"] == "[ababab]"  # before_call set times=3 in kwargs, around wrapped the result
    assert body["trace"] == [
        "sync before echo ['ab'] {}",
        "sync after_return [ababab]",
        "sync after_finally",
        "sync before broken [] {}",
        "sync after_throw 'broken'",
        "sync after_finally",
    ]


def test_middleware_order_of_egg_docs_hello(egg: Booted) -> None:
    assert egg.http.get("/order/hello").json() == [
        "global_log in",  # class function middleware
        "method_count in",  # method function middleware
        "ClassAdvice in",  # then advice middleware
        "hello()",
        "ClassAdvice out",
        "method_count out",
        "global_log out",
    ]


def test_middleware_order_of_egg_docs_multiple(egg: Booted) -> None:
    # @middleware(method_count1) / (method_count2) / (method_count3) above `def multiple`: nearest first
    assert egg.http.get("/order/multiple").json() == [
        "global_log in",
        "method_count3 in",
        "method_count2 in",
        "method_count1 in",
        "ClassAdvice in",
        "multiple()",
        "ClassAdvice out",
        "method_count1 out",
        "method_count2 out",
        "method_count3 out",
        "global_log out",
    ]


def test_middleware_order_of_egg_docs_bye(egg: Booted) -> None:
    assert egg.http.get("/order/bye").json() == [
        "global_log in",
        "ClassAdvice in",
        "bye()",
        "ClassAdvice out",
        "global_log out",
    ]


def test_function_middleware_before_all_advice_class_before_method(egg: Booted) -> None:
    # written advice first, functions second: functions still run first; class advice before method's
    assert egg.http.get("/order/mixed").json() == [
        "global_log in",
        "method_count1 in",
        "method_count2 in",
        "ClassAdvice in",
        "MethodAdvice1 in",
        "MethodAdvice2 in",
        "mixed()",
        "MethodAdvice2 out",
        "MethodAdvice1 out",
        "ClassAdvice out",
        "method_count2 out",
        "method_count1 out",
        "global_log out",
    ]
