"""Mounted ASGI apps and reused ASGI middleware, booted for real and requested in-process; boot errors."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from eggbin.errors import BootError
from tests.web.conftest import Booted

PREFLIGHT = {
    "origin": "https://front.example",
    "access-control-request-method": "POST",
    "access-control-request-headers": "x-token",
}


@pytest.fixture
def egg(boot_app: Callable[..., Booted]) -> Booted:
    return boot_app("asgi_app")


def edit_file(relative: str, old: str, new: str) -> Callable[[Path], None]:
    def edit(base: Path) -> None:
        file = base / relative
        text = file.read_text()
        assert old in text
        file.write_text(text.replace(old, new))

    return edit


def add_route(line: str) -> Callable[[Path], None]:
    def edit(base: Path) -> None:
        router = base / "app" / "router.py"
        router.write_text(router.read_text() + f"    {line}\n")

    return edit


def test_mounted_starlette_app_sees_its_root_path_and_the_raw_body(egg: Booted) -> None:
    where = egg.http.get("/sub/where/bob").json()
    assert where == {"path": "/sub/where/bob", "root_path": "/sub", "name": "bob"}
    # egg's bodyparser and CSRF do not run for a mounted app: it reads its own body
    assert egg.http.post("/sub/body", content=b"raw bytes").json() == {"body": "raw bytes"}
    assert egg.http.post("/post", json={"a": 1}).status_code == 403  # the egg app itself keeps CSRF


def test_mounted_fastapi_app_and_metrics_endpoint(egg: Booted) -> None:
    assert egg.http.get("/fast/items/7", params={"q": "x"}).json() == {"item_id": 7, "q": "x"}
    assert egg.http.get("/fast/items/nope").status_code == 422  # FastAPI's own validation
    egg.http.get("/")
    metrics = egg.http.get("/metrics").text
    hits = re.search(r"^egg_hits_total (\d+)\.0$", metrics, re.MULTILINE)
    assert hits is not None, metrics
    assert int(hits[1]) >= 1


def test_paths_beside_a_mount_prefix_stay_with_egg(egg: Booted) -> None:
    response = egg.http.get("/subway", headers={"accept": "application/json"})
    assert (response.status_code, response.json()) == (404, {"message": "Not Found"})


def test_cors_preflight_and_actual_request(egg: Booted) -> None:
    allowed = egg.http.options("/post", headers=PREFLIGHT)
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://front.example"
    assert "x-token" in allowed.headers["access-control-allow-headers"]
    assert allowed.headers["access-control-max-age"] == "300"
    denied = egg.http.options("/post", headers={**PREFLIGHT, "origin": "https://evil.example"})
    assert denied.status_code == 400
    assert "access-control-allow-origin" not in denied.headers
    actual = egg.http.get("/", headers={"origin": "https://front.example"})
    assert actual.headers["access-control-allow-origin"] == "https://front.example"
    assert (
        "access-control-allow-origin"
        not in egg.http.get("/", headers={"origin": "https://evil.example"}).headers
    )


def test_compress_gzips_large_bodies_for_clients_that_accept_it(egg: Booted) -> None:
    raw = egg.http.get("/big", headers={"accept-encoding": "gzip"})
    assert raw.headers["content-encoding"] == "gzip"
    assert raw.text == "egg " * 1000  # httpx decoded it
    assert int(raw.headers["content-length"]) < 200
    plain = egg.http.get("/big", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.headers["content-length"] == "4000"
    small = egg.http.get("/small", headers={"accept-encoding": "gzip"})
    assert "content-encoding" not in small.headers  # under `threshold`


def test_match_limits_an_asgi_middleware_to_its_paths(egg: Booted) -> None:
    assert egg.http.get("/tagged/x").headers["x-tagged"] == "yes"
    assert "x-tagged" not in egg.http.get("/").headers


def test_disabled_asgi_middleware_does_not_run(boot_app: Callable[..., Booted]) -> None:
    egg = boot_app(
        "asgi_app",
        edit=edit_file(
            "config/default.py", '"compress": {"threshold": 200}', '"compress": {"enable": False}'
        ),
    )
    assert "content-encoding" not in egg.http.get("/big", headers={"accept-encoding": "gzip"}).headers


def test_starlette_middleware_entry_with_config_overrides(boot_app: Callable[..., Booted]) -> None:
    def edit(base: Path) -> None:
        (base / "app" / "middleware" / "zipped.py").write_text(
            "from starlette.middleware import Middleware\n"
            "from starlette.middleware.gzip import GZipMiddleware\n"
            "zipped = Middleware(GZipMiddleware, minimum_size=100000, compresslevel=1)\n"
        )
        edit_file(
            "config/default.py",
            '"compress", "tagged"]',
            '"zipped", "tagged"], "zipped": {"minimum_size": 10}',
        )(base)

    egg = boot_app("asgi_app", edit=edit)
    # the entry's own minimum_size (100000) would leave /big (4000 bytes) plain: config's 10 wins
    assert egg.http.get("/big", headers={"accept-encoding": "gzip"}).headers["content-encoding"] == "gzip"


def test_bad_asgi_options_fail_the_boot_naming_the_middleware(boot_app: Callable[..., Booted]) -> None:
    with pytest.raises(BootError) as caught:
        boot_app("asgi_app", edit=edit_file("config/default.py", '"threshold": 200', '"treshold": 200'))
    assert str(caught.value).startswith("ASGI middleware `compress` (Compress) rejected `config.compress`: ")
    assert "treshold" in str(caught.value)


def test_an_asgi_middleware_class_on_one_route_is_refused(
    boot_app: Callable[..., Booted], tmp_path: Path
) -> None:
    with pytest.raises(BootError) as caught:
        boot_app("asgi_app", edit=add_route('app.router.get("/one", app.middleware.tagged(), home.index)'))
    file = tmp_path / "asgi_app" / "app" / "middleware" / "tagged.py"
    assert str(caught.value) == (
        f"`{file}`: `tagged` is an ASGI middleware class; it can only wrap the whole app; "
        "list `tagged` in `config.middleware` instead of using it on one route"
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('app.router.mount("/", object)', "mount prefix `/` at `{router}:22` must be a path below `/`"),
        ('app.router.mount("sub2", object)', "mount prefix `sub2` at `{router}:22` must be a path below `/`"),
        ('app.router.mount("/x", 42)', "mount `/x` at `{router}:22`: `42` is not an ASGI app"),
        (
            'app.router.mount("/sub/", object)',
            "`/sub` is mounted twice: at `{router}:19` and `{router}:22`",
        ),
        (
            'app.router.get("/metrics/extra", home.index)',
            "route `/metrics/extra` at `{router}:22` is under `/metrics`, mounted at `{router}:21`",
        ),
    ],
)
def test_mount_mistakes_fail_the_boot(
    boot_app: Callable[..., Booted], tmp_path: Path, line: str, message: str
) -> None:
    with pytest.raises(BootError) as caught:
        boot_app("asgi_app", edit=add_route(line))
    router = tmp_path / "asgi_app" / "app" / "router.py"
    assert str(caught.value).startswith(message.format(router=router))


def test_router_json_lists_mounts(egg: Booted) -> None:
    mounts = [r for r in egg.app.router.describe() if r["methods"] == ["*"]]
    assert [(m["path"], m["mount"]) for m in mounts] == [
        ("/metrics", "prometheus_client.asgi.make_asgi_app.<locals>.prometheus_app"),
        ("/fast", "fastapi.applications.FastAPI"),
        ("/sub", "starlette.applications.Starlette"),
    ]
