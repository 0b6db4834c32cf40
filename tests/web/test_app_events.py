"""egg's app events: `request` when a request arrives, `response` once it is answered, `error` on failure."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.web.conftest import Booted


def test_request_and_response_events_see_the_context(boot_app: Callable[..., Booted]) -> None:
    booted = boot_app("readme_tour")
    seen: list[tuple[str, str, int]] = []
    booted.app.on("request", lambda ctx: seen.append(("request", ctx.path, ctx.status)))
    booted.app.on("response", lambda ctx: seen.append(("response", ctx.path, ctx.status)))
    assert booted.http.get("/").text == "hi, egg"
    assert booted.http.get("/nowhere").status_code == 404
    assert seen == [
        ("request", "/", 404),  # nothing answered yet: egg's default status
        ("response", "/", 200),
        ("request", "/nowhere", 404),
        ("response", "/nowhere", 404),
    ]


def test_an_error_event_carries_the_exception(boot_app: Callable[..., Booted]) -> None:
    booted = boot_app("readme_tour")
    errors: list[Any] = []
    booted.app.on("error", lambda exc, ctx: errors.append((type(exc).__name__, ctx.path)))
    booted.http.headers["accept"] = "application/json"
    assert booted.http.post("/orders", json={}).status_code == 403  # CSRF refused: an HttpError
    assert errors == [("HttpError", "/orders")]
