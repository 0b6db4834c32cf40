"""Middleware loading through real requests: order, options, enable/match/ignore, per-route use, errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from eggbin.errors import BootError
from eggbin.web.loader import EGGBIN_PATH
from eggbin.web.middleware import compose, runs_when
from tests.support import BUILTIN_PLUGIN_DIRS
from tests.web.conftest import Booted


@pytest.fixture
def egg(boot_app: Callable[..., Booted]) -> Booted:
    return boot_app("http_router")


def test_app_middleware_runs_in_config_order_with_its_options(egg: Booted) -> None:
    response = egg.http.get("/seen")
    assert response.json() == {"seen": ["trace", "skip_static"]}
    assert response.headers["x-trace"] == "trace,skip_static"


def test_match_prefix_runs_only_under_it(egg: Booted) -> None:
    assert egg.http.get("/api/seen").json() == {"seen": ["trace", "api_only", "skip_static"]}


def test_ignore_regex_skips_matching_paths(egg: Booted) -> None:
    assert egg.http.get("/posts").headers["x-trace"] == "trace"


def test_match_callable(egg: Booted) -> None:
    seen = egg.http.get("/seen", headers={"x-callable": "yes"}).json()["seen"]
    assert seen == ["trace", "skip_static", "by_callable"]


def test_match_list_of_prefix_and_regex(egg: Booted) -> None:
    assert egg.http.get("/user/1").headers["x-trace"] == "trace,skip_static,by_list"
    assert egg.http.get("/userx").headers["x-trace"] == "trace,skip_static"


def test_route_middleware_and_app_middleware_factory(egg: Booted) -> None:
    response = egg.http.get("/admin", headers={"x-role": "admin"})
    assert response.json() == {"panel": True, "seen": ["trace", "skip_static", "by_list", "stamp:route"]}
    denied = egg.http.get("/admin", headers={"accept": "application/json"})
    assert (denied.status_code, denied.json()) == (403, {"message": "admins only"})


def test_unknown_factory_on_app_middleware_is_attribute_error(egg: Booted) -> None:
    with pytest.raises(AttributeError, match="no middleware `gzip` in any app/middleware directory"):
        egg.app.middleware.gzip({})  # type: ignore[attr-defined]


def set_config(base: Path, old: str, new: str) -> None:
    config = base / "config" / "default.py"
    config.write_text(config.read_text().replace(old, new))


def replacing(old: str, new: str) -> Callable[[Path], None]:
    """An `edit` for `boot_app`: one replacement in the app's config/default.py."""
    return lambda base: set_config(base, old, new)


def test_middleware_named_in_config_but_absent_fails_boot(
    boot_app: Callable[..., Booted], tmp_path: Path
) -> None:
    base = tmp_path / "http_router"
    with pytest.raises(BootError) as caught:
        boot_app("http_router", edit=lambda b: set_config(b, '"by_list"]', '"by_list", "gzip"]'))
    config, mine, eggbins = (
        base / "config" / "default.py",
        base / "app" / "middleware" / "gzip.py",
        EGGBIN_PATH / "app" / "middleware" / "gzip.py",
    )
    plugins = [f"`{d / 'app' / 'middleware' / 'gzip.py'}`, " for d in reversed(BUILTIN_PLUGIN_DIRS)]
    assert str(caught.value) == (
        f"middleware `gzip` named in `config.middleware` (set in `{config}`) was not found: "
        f"looked for `{mine}`, {''.join(plugins)}`{eggbins}`; "
        "create `app/middleware/gzip.py` defining `def gzip(options, app)`"
    )


def test_core_middleware_absent_fails_boot_naming_core_key(boot_app: Callable[..., Booted]) -> None:
    with pytest.raises(BootError, match=r"middleware `nope` named in `config.core_middleware`"):
        boot_app(
            "http_router",
            edit=lambda b: set_config(b, "config = {", 'config = {"core_middleware": ["nope"],'),
        )


def test_middleware_file_without_its_factory_fails_boot(
    boot_app: Callable[..., Booted], tmp_path: Path
) -> None:
    def broken(base: Path) -> None:
        (base / "app" / "middleware" / "off.py").write_text("def other(options, app):\n    pass\n")
        set_config(base, '"off": {"enable": False}', '"off": {}')

    with pytest.raises(BootError) as caught:
        boot_app("http_router", edit=broken)
    file = tmp_path / "http_router" / "app" / "middleware" / "off.py"
    assert str(caught.value) == f"`{file}` must define `def off(options, app)` returning a middleware"


def test_factory_returning_nothing_fails_boot(boot_app: Callable[..., Booted], tmp_path: Path) -> None:
    def broken(base: Path) -> None:
        (base / "app" / "middleware" / "trace.py").write_text("def trace(options, app):\n    return None\n")

    with pytest.raises(BootError) as caught:
        boot_app("http_router", edit=broken)
    file = tmp_path / "http_router" / "app" / "middleware" / "trace.py"
    assert str(caught.value) == f"`{file}`: `trace(options, app)` returned `None`, not a middleware"


def test_match_and_ignore_together_fail_boot(boot_app: Callable[..., Booted]) -> None:
    edit = replacing('"api_only": {"match": "/api"}', '"api_only": {"match": "/a", "ignore": "/b"}')
    with pytest.raises(
        BootError, match=r"^middleware `api_only`: `match` and `ignore` can not both be set; keep one$"
    ):
        boot_app("http_router", edit=edit)


def test_match_of_a_wrong_type_fails_boot(boot_app: Callable[..., Booted]) -> None:
    edit = replacing('"api_only": {"match": "/api"}', '"api_only": {"match": 3}')
    with pytest.raises(
        BootError, match=r"`match`/`ignore` must be a path prefix, a regex, a list or a callable, got `3`"
    ):
        boot_app("http_router", edit=edit)


def test_middleware_config_that_is_not_a_list_fails_boot(boot_app: Callable[..., Booted]) -> None:
    edit = replacing('"middleware": [', '"middleware": "trace", "unused": [')
    with pytest.raises(
        BootError, match=r"`config.middleware` must be a list of middleware names, got `'trace'`"
    ):
        boot_app("http_router", edit=edit)


def test_app_middleware_overrides_a_core_one_of_the_same_name(boot_app: Callable[..., Booted]) -> None:
    def custom_notfound(base: Path) -> None:
        (base / "app" / "middleware" / "notfound.py").write_text(
            "def notfound(options, app):\n"
            "    async def mw(ctx, next):\n"
            "        await next()\n"
            "        if ctx.status == 404 and ctx.body is None:\n"
            "            ctx.status = 404\n"
            "            ctx.body = {'custom': True}\n"
            "    return mw\n"
        )

    egg = boot_app("http_router", edit=custom_notfound)
    assert egg.http.get("/missing").json() == {"custom": True}


def test_disabled_core_middleware_is_skipped(boot_app: Callable[..., Booted]) -> None:
    egg = boot_app(
        "http_router", edit=lambda b: set_config(b, "config = {", 'config = {"notfound": {"enable": False},')
    )
    response = egg.http.get("/missing")
    assert (response.status_code, response.content) == (404, b"")


# -- compose: layers a request does not need are left out (issue #16) --------------------------------


def run_pipeline(middlewares: list[Any], ctx: Any) -> None:
    coroutine = compose(middlewares)(ctx)
    with pytest.raises(StopIteration):
        coroutine.send(None)


def recording(name: str, seen: list[str], test: Callable[[Any], bool] | str | None = "unmarked") -> Any:
    async def middleware(ctx: Any, next_: Any) -> None:
        seen.append(name)
        await next_()

    return middleware if test == "unmarked" else runs_when(test)(middleware)  # type: ignore[arg-type]


def test_a_marked_middleware_whose_test_fails_is_left_out_of_the_request() -> None:
    seen: list[str] = []
    tested: list[object] = []

    def wanted(ctx: object) -> bool:
        tested.append(ctx)
        return ctx == "wanted"

    chain = [recording("always", seen, None), recording("tested", seen, wanted), recording("last", seen)]
    run_pipeline(chain, "plain")
    assert (seen, tested) == (["always", "last"], ["plain"])
    seen.clear()
    run_pipeline(chain, "wanted")
    assert seen == ["always", "tested", "last"]


def test_after_an_unmarked_middleware_every_layer_runs_its_own_checks() -> None:
    """An unmarked middleware may rewrite the request: the tests of those after it would be stale."""
    seen: list[str] = []
    chain = [recording("user", seen), recording("tested", seen, lambda ctx: False)]
    run_pipeline(chain, "plain")
    assert seen == ["user", "tested"]


def test_a_path_rewritten_before_static_is_still_served(boot_app: Callable[..., Booted]) -> None:
    def rewrite_before_static(base: Path) -> None:
        (base / "app" / "public").mkdir(parents=True, exist_ok=True)
        (base / "app" / "public" / "a.txt").write_text("static a")
        (base / "app" / "middleware" / "rewrite.py").write_text(
            "def rewrite(options, app):\n"
            "    async def mw(ctx, next):\n"
            "        if ctx.path == '/a':\n"
            "            ctx.request.scope['path'] = '/public/a.txt'\n"
            "        await next()\n"
            "    return mw\n"
        )
        core = '"core_middleware": ["onerror", "rewrite", "site_file", "notfound", "body_parser", "static"],'
        set_config(base, "config = {", "config = {" + core)

    egg = boot_app("http_router", edit=rewrite_before_static)
    assert egg.http.get("/a").text == "static a"
    assert egg.http.get("/public/a.txt").text == "static a"
