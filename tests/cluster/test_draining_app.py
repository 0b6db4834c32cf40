"""`DrainingApp`, the workers' ASGI app: the app's own call until the drain, `Connection: close` after it.
(The drain over real sockets: `tests/cluster/test_health_drain.py`.)"""

from __future__ import annotations

import asyncio
from typing import Any

from eggbin.cluster.worker import DrainingApp


class RecordingApp:
    """Answers with one header and records the `send` it was given."""

    def __init__(self) -> None:
        self.sends: list[Any] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.sends.append(send)
        await send({"type": "http.response.start", "status": 200, "headers": [(b"x-a", b"1")]})
        await send({"type": "http.response.body", "body": b"hi"})


def served(draining: bool, kind: str = "http") -> tuple[RecordingApp, Any, list[Any]]:
    """(the app, the `send` the server gave, the messages that reached it) for one request."""
    app = RecordingApp()
    wrapped = DrainingApp(app)  # type: ignore[arg-type]
    wrapped.draining = draining
    sent: list[Any] = []

    async def send(message: Any) -> None:
        sent.append(message)

    async def receive() -> Any:
        return {"type": "http.request"}

    asyncio.run(wrapped({"type": kind}, receive, send))  # type: ignore[arg-type]
    return app, send, sent


def test_until_the_drain_a_request_is_the_apps_own_call() -> None:
    app, send, sent = served(draining=False)
    assert app.sends == [send]  # uvicorn's own `send`: no wrapper, no frame of ours
    assert sent[0]["headers"] == [(b"x-a", b"1")]


def test_a_request_that_comes_while_draining_is_answered_with_connection_close() -> None:
    app, send, sent = served(draining=True)
    assert app.sends != [send]
    assert sent[0]["headers"] == [(b"x-a", b"1"), (b"connection", b"close")]
    assert sent[1] == {"type": "http.response.body", "body": b"hi"}


def test_other_scopes_are_never_wrapped() -> None:
    app, send, _ = served(draining=True, kind="websocket")
    assert app.sends == [send]
