"""`app.messenger` / `agent.messenger`: egg's messenger, seen from inside one process.

Every call builds one envelope and hands it to the transport the cluster attaches (the channel to
the master, which routes it; see `eggbin.cluster.messenger`). Without a transport (the pytest `app`
fixture runs app and agent in one process, like egg-mock) every message is delivered back to this
process, whatever its target.

    envelope = {"action": "refresh", "data": {...}, "from": "app", "to": "agent", "receiver_pid": 0}

Handlers registered with `on`/`once` receive `data`; async handlers run as tasks of the running loop.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio  # imported when a handler is async: the master routes envelopes without a loop

Message = dict[str, Any]
Handler = Callable[[Any], Any]

TO_ALL = "all"  # the agent and every worker
TO_APP = "app"  # every worker
TO_AGENT = "agent"
TO_RANDOM = "random"  # one worker, chosen by the master
TO_PID = "pid"  # the process whose pid is `receiver_pid`
TO_PARENT = "parent"  # the process that started the master (the CLI, the dev server, a test)
TO_MASTER = "master"  # cluster control messages, never delivered to a handler
TARGETS = (TO_ALL, TO_APP, TO_AGENT, TO_RANDOM, TO_PARENT)

logger = logging.getLogger("eggbin.messenger")


def envelope(
    action: str, data: object = None, *, sender: str = "", to: str = "", receiver_pid: int = 0
) -> Message:
    """The one message shape of the cluster."""
    return {"action": action, "data": data, "from": sender, "to": to, "receiver_pid": receiver_pid}


class Messenger:
    """Send to other processes of the cluster; receive with `on` / `once`."""

    def __init__(self, role: str) -> None:
        self.role = role
        self._transport: Callable[[Message], None] | None = None
        self._handlers: dict[str, list[tuple[Handler, bool]]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()

    def attach(self, transport: Callable[[Message], None]) -> None:
        """Route sends through `transport` (the cluster does this before the app boots)."""
        self._transport = transport

    def broadcast(self, action: str, data: object = None) -> None:
        """To the agent and every worker, this process included."""
        self.send(action, data, TO_ALL)

    def send_to_app(self, action: str, data: object = None) -> None:
        """To every worker."""
        self.send(action, data, TO_APP)

    def send_to_agent(self, action: str, data: object = None) -> None:
        """To the agent."""
        self.send(action, data, TO_AGENT)

    def send_random(self, action: str, data: object = None) -> None:
        """To one worker picked at random by the master."""
        self.send(action, data, TO_RANDOM)

    def send_to(self, pid: int, action: str, data: object = None) -> None:
        """To the one process with this pid."""
        self._deliver(envelope(action, data, sender=self.role, to=TO_PID, receiver_pid=int(pid)))

    def send(self, action: str, data: object = None, to: str | int = TO_APP) -> None:
        """To `app`, `agent`, `all`, `random`, `parent`, or a pid."""
        if isinstance(to, int):
            self.send_to(to, action, data)
            return
        if to not in TARGETS:
            raise ValueError(f"messenger target `{to}` is not one of {', '.join(TARGETS)} or a pid")
        self._deliver(envelope(action, data, sender=self.role, to=to))

    def _deliver(self, message: Message) -> None:
        if self._transport is None:
            self.emit(message["action"], message["data"])
        else:
            self._transport(message)

    def on(self, action: str, handler: Handler) -> None:
        """Call `handler(data)` for every message with this action."""
        self._handlers.setdefault(action, []).append((handler, False))

    def once(self, action: str, handler: Handler) -> None:
        """Call `handler(data)` for the next message with this action only."""
        self._handlers.setdefault(action, []).append((handler, True))

    def off(self, action: str, handler: Handler | None = None) -> None:
        """Forget one handler of `action`, or all of them."""
        kept = [
            (h, once) for h, once in self._handlers.get(action, []) if handler is not None and h != handler
        ]
        self._handlers[action] = kept

    def emit(self, action: str, data: object) -> None:
        """Run the handlers of `action` (the cluster calls this for each message that arrives)."""
        handlers = self._handlers.get(action, [])
        self._handlers[action] = [(h, once) for h, once in handlers if not once]
        for handler, _ in handlers:
            try:
                result = handler(data)
            except Exception:
                logger.exception("messenger handler for `%s` failed", action)
                continue
            if inspect.isawaitable(result):
                import asyncio

                task = asyncio.ensure_future(result)
                self._tasks.add(task)
                task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("messenger handler failed", exc_info=task.exception())
