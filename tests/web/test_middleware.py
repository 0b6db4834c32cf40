"""Middleware loading through real requests: order, options, enable/match/ignore, per-route use, errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from eggbin.errors import BootError
from eggbin.web.loader import EGGBIN_PATH
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
    config, mine, health, eggbins = (
        base / "config" / "default.py",
        base / "app" / "middleware" / "gzip.py",
        EGGBIN_PATH / "plugins" / "health" / "app" / "middleware" / "gzip.py",  # a built-in plugin
        EGGBIN_PATH / "app" / "middleware" / "gzip.py",
    )
    assert str(caught.value) == (
        f"middleware `gzip` named in `config.middleware` (set in `{config}`) was not found: "
        f"looked for `{mine}`, `{health}`, `{eggbins}`; "
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
