"""The master's message router: every message between processes goes through here.

One envelope (`eggbin.web.messenger.envelope`), routed on its `to`:

    app worker ──┐                      ┌──> agent                       to = "agent"
    app worker ──┤                      ├──> every worker                to = "app"
    agent      ──┼──> master (route) ───┼──> agent + every worker        to = "all"
    parent     ──┘        │             ├──> one ready worker at random  to = "random"
                          │             ├──> the process with that pid   to = "pid", receiver_pid
                          │             └──> the parent (CLI, dev server) to = "parent"
                          └── to = "master" (or empty): cluster control, handled by the master itself

Messages sent before `egg-ready` are **queued in the master** (up to `QUEUE_LIMIT`, beyond that they
are refused with an error in the master's log) and delivered in order right after `egg-ready`, so a
message an agent sends from `did_load` reaches workers that did not exist yet. A message naming a pid
that is not a child is dropped with a warning in the log.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol

from eggbin.cluster import masterlog
from eggbin.web.messenger import TO_AGENT, TO_ALL, TO_APP, TO_PARENT, TO_PID, TO_RANDOM, Message

QUEUE_LIMIT = 10_000
CHILD_TARGETS = (TO_ALL, TO_APP, TO_AGENT, TO_RANDOM, TO_PID)


class Endpoint(Protocol):
    """A child as the router needs it."""

    role: str
    ready: bool

    @property
    def pid(self) -> int: ...

    def send(self, message: Message) -> bool: ...


def route(message: Message, children: Iterable[Endpoint]) -> list[Endpoint]:
    """The children a message is for (the parent is handled by the caller)."""
    to = message.get("to")
    alive = list(children)
    if to == TO_AGENT:
        return [c for c in alive if c.role == "agent"]
    if to == TO_APP:
        return [c for c in alive if c.role == "worker"]
    if to == TO_ALL:
        return alive
    if to == TO_RANDOM:
        import random  # here: the master imports it only for an app that sends to a random worker

        ready = [c for c in alive if c.role == "worker" and c.ready]
        return [random.choice(ready)] if ready else []
    if to == TO_PID:
        return [c for c in alive if c.pid == message.get("receiver_pid")]
    return []


class Router:
    """Routes child messages; holds them until the cluster is ready."""

    def __init__(self, children: Callable[[], Iterable[Endpoint]], parent: Callable[[Message], bool]) -> None:
        self._children = children
        self._send_parent = parent
        self._queue: list[Message] = []
        self.ready = False

    def is_routed(self, message: Message) -> bool:
        """True for messages between processes; False for control messages meant for the master."""
        return message.get("to") in (*CHILD_TARGETS, TO_PARENT)

    def dispatch(self, message: Message) -> None:
        if message.get("to") == TO_PARENT:
            self._send_parent(message)
        elif not self.ready:
            self._enqueue(message)
        else:
            self._deliver(message)

    def _enqueue(self, message: Message) -> None:
        if len(self._queue) >= QUEUE_LIMIT:
            action = message.get("action")
            masterlog.error(f"refused message `{action}`: {QUEUE_LIMIT} messages already wait for egg-ready")
            return
        self._queue.append(message)

    def _deliver(self, message: Message) -> None:
        targets = route(message, self._children())
        if not targets and message.get("to") == TO_PID:
            action, pid = message.get("action"), message.get("receiver_pid")
            masterlog.error(f"dropped message `{action}`: no process with pid {pid}")
        for child in targets:
            child.send(message)

    def become_ready(self) -> None:
        """Deliver what was queued, in order (called right after `egg-ready` went out)."""
        self.ready = True
        queued, self._queue = self._queue, []
        for message in queued:
            self._deliver(message)
