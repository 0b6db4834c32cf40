"""The zygote process (`eggbin.cluster.zygote` forks it and holds its handle): import, then fork on request.

It imports what the agent needs and forks the agent as soon as the master asks, then what workers need,
tells the master, and serves fork requests until the master closes the control socket. Each batch of
requests is a double fork: one middle process forks the batch's children (the agent, or workers) and
exits, so they are re-parented to the master, its subreaper. The agent's middle process is reaped (and
its pid told) only after the workers' imports: they are not held up while it forks the agent and exits.
The first workers' batch, asked ahead, is forked before that: the master, woken by the agent's pid,
does not delay their fork (`fork_held`). A batch the master marks `last` (it keeps no zygote after the
start) is forked by the zygote itself, which exits once it told their pids (`fork_last`).
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import select
import signal
import socket
import sys

from eggbin.cluster import start_caches
from eggbin.cluster.start_trace import mark
from eggbin.cluster.zygote_preload import AGENT, preload_agent, preload_optional, preload_worker

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: imported in the zygote right after its fork
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, NoReturn

    Request = tuple[dict[str, Any], list[int]]  # a message from the master and the fds it carried


def _none() -> None:
    """`Forking`'s default `after_first`: nothing."""


def receive(control: socket.socket) -> Request | None:
    """The master's next request and the fds that came with it; None once the master is gone."""
    try:
        data, fds, _, _ = socket.recv_fds(control, 1 << 20, 8)
    except OSError:
        return None
    return (json.loads(data), fds) if data else None


def receive_batch(control: socket.socket, first: Request | None = None) -> list[Request] | None:
    """The requests of one batch (`first`'s, when it is already read): up to one without `more`;
    None once the master is gone."""
    batch = []
    request = first or receive(control)
    while request is not None:
        batch.append(request)
        if not request[0].get("more"):
            return batch
        request = receive(control)
    for _, fds in batch:
        for fd in fds:
            os.close(fd)
    return None


class Forking:
    """One batch, its middle process forked (`begin_forks`): its children's pids are told to the master,
    in the order of the requests, once the middle is reaped (`tell`)."""

    def __init__(
        self,
        control: socket.socket,
        master_pid: int,
        batch: list[Request],
        after_first: Callable[[], None] = _none,
    ) -> None:
        self.control = control
        self.modules = [message["module"].rsplit(".", 1)[-1] for message, _ in batch]
        # the last batch the master asks (it keeps no zygote after the start): forked by the zygote
        # itself, which exits once their pids are told, as a middle process would (`fork_last`)
        self.last = bool(batch[-1][0].get("last"))
        self.forked: list[int] = []
        self.middle = self.read_end = -1
        try:
            if self.last:
                self.forked = fork_last(control, master_pid, batch, after_first)
            else:
                self.middle, self.read_end = begin_forks(control, master_pid, batch)
        finally:
            for _, fds in batch:
                for fd in fds:
                    os.close(fd)

    def tell(self) -> bool:
        """Reap the middle process, send the children's pids; False when the master is gone (it stopped
        while the zygote imported). A middle that forked fewer children than asked raises OSError."""
        pids = self.forked if self.last else collect_pids(self.middle, self.read_end, len(self.modules))
        for module, pid in zip(self.modules, pids, strict=True):
            mark("zygote", f"forked {module} {pid}")
        try:
            for pid in pids:
                self.control.send(json.dumps({"pid": pid}).encode())
        except OSError:
            return False
        return True

    def tell_or_raise(self) -> None:
        """`tell`, raising OSError when the master is gone."""
        if not self.tell():
            raise OSError("the master is gone")


def answer(control: socket.socket, master_pid: int, batch: list[Request]) -> bool:
    """Fork the batch's children and send their pids, in the order of the requests; whether it was the
    last batch (the zygote then exits)."""
    forking = Forking(control, master_pid, batch)
    forking.tell_or_raise()
    return forking.last


def fork_held(
    control: socket.socket, master_pid: int, held: list[Request] | None, tell_agents: Callable[[], None]
) -> tuple[Forking | None, OSError | None]:
    """The workers' batch the master asked for ahead (`held`), its middle process (or, for a last batch,
    its first child) forked before the agent's pid is told (`tell_agents`, called here after that fork):
    the master, woken by that message, would otherwise take the zygote's CPU before this fork (~1.7 ms of
    the start's path), and the workers wait for the `agent-started` it then sends; their pids are told
    after the agent's, as before. A failed fork is returned, raised once the agent's pid is told (the
    master spawns the workers instead)."""
    if held is None or held[0][0].get("preload") == "optional":
        return None, None
    try:
        return Forking(control, master_pid, held, tell_agents), None
    except OSError as exc:
        return None, exc


def serve_agent(control: socket.socket, master_pid: int) -> tuple[list[Forking], list[Request] | None]:
    """Fork the agent if the master already asked for it, its pid told later (`Forking.tell`): the
    zygote imports the workers' modules while its middle process forks the agent and exits. A batch of
    workers' requests is held, returned."""
    agents: list[Forking] = []
    while select.select([control], [], [], 0)[0]:
        batch = receive_batch(control)
        if batch is None or batch[0][0].get("module") != AGENT:
            return agents, batch
        agents.append(Forking(control, master_pid, batch))
    return agents, None


def announce_workers_ready(control: socket.socket) -> bool:
    """Tell the master it may request workers now; False when it is gone (stopped during the imports)."""
    try:
        control.send(json.dumps({"ready": "workers"}).encode())
    except OSError:
        return False
    return True


def serve(control: socket.socket, master_pid: int, held: list[Request] | None = None) -> None:
    """Fork one batch of children per request (`held` first) until the master closes the control socket."""
    batch = held or receive_batch(control)
    while batch is not None:
        if batch[0][0].get("preload") == "optional":
            preload_optional()
        elif answer(control, master_pid, batch):
            return
        batch = receive_batch(control)


def begin_forks(control: socket.socket, master_pid: int, batch: list[Request]) -> tuple[int, int]:
    """Double-fork: one middle process forks every child of the batch (the agent or workers) and exits,
    so each ends up the master's child. Returns at once: the middle's pid and the pipe it writes the
    children's pids to (`collect_pids`)."""
    read_end, write_end = os.pipe()
    gc.freeze()  # what the zygote holds is never collected in a child: its pages stay shared (see run_zygote)
    middle = os.fork()
    if middle == 0:
        os.close(read_end)
        fork_batch(control, master_pid, batch, write_end)
    os.close(write_end)
    return middle, read_end


def fork_last(
    control: socket.socket, master_pid: int, batch: list[Request], after_first: Callable[[], None]
) -> list[int]:
    """The last batch: each child forked from the zygote itself (no middle process: one fork less before
    the first child runs), `after_first` called once the first is; they are the master's once the
    zygote, their pids told, exits."""
    gc.freeze()  # as `begin_forks`
    zygote, pids = os.getpid(), []
    for index, (message, fds) in enumerate(batch):
        child = os.fork()
        if child == 0:
            control.close()
            for _, theirs in batch[:index] + batch[index + 1 :]:
                for fd in theirs:  # another child's channel held here would hide its end from the master
                    os.close(fd)
            run_child(master_pid, message["module"], message["blob"], fds, zygote)
        pids.append(child)
        if index == 0:
            after_first()
    return pids


def collect_pids(middle: int, read_end: int, expected: int) -> list[int]:
    """The pids the middle process wrote, in order, once it is reaped (its children are the master's)."""
    os.waitpid(middle, 0)
    with os.fdopen(read_end, "rb") as pipe:
        pids = [int(line) for line in pipe.read().split()]
    if len(pids) != expected:
        raise OSError(f"forked {len(pids)} of {expected} children")
    return pids


def fork_batch(control: socket.socket, master_pid: int, batch: list[Request], pids: int) -> NoReturn:
    """The middle process: fork each child, write its pid to `pids`, exit (a failed fork: the pids so far)."""
    code, middle = 0, os.getpid()
    try:
        for index, (message, fds) in enumerate(batch):
            child = os.fork()
            if child == 0:
                os.close(pids)
                control.close()
                for _, theirs in batch[:index] + batch[index + 1 :]:
                    for fd in theirs:  # another child's channel held here would hide its end from the master
                        os.close(fd)
                run_child(master_pid, message["module"], message["blob"], fds, middle)
            os.write(pids, f"{child}\n".encode())
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    os._exit(code)


def _rewrite_fds(blob: str, fds: list[int], middle: int) -> str:
    """The fd numbers the master wrote are its own; here they arrived as `fds`, from `middle`."""
    from msgspec.structs import replace

    from eggbin.cluster.options import ChildOptions

    options = ChildOptions.loads(blob)
    listen_fd = fds[1] if len(fds) > 1 else -1
    return replace(options, channel_fd=fds[0], listen_fd=listen_fd, forked_by=middle).dumps()


def run_child(master_pid: int, module: str, blob: str, fds: list[int], middle: int) -> NoReturn:
    """Become the child: run the role's `main()`; never returns. It starts while the middle process
    forks its siblings: it waits to be re-parented to the master only before the app's code runs
    (`eggbin.cluster.process.die_with_parent`)."""
    gc.enable()
    start_caches.finish(save=False)  # the agent is forked before the zygote's imports are done
    from eggbin.cluster.process import run_and_exit

    def main() -> None:
        sys.argv = [module, _rewrite_fds(blob, fds, middle)]
        importlib.import_module(module).main()

    run_and_exit(main)  # an import error too ends here


def run_zygote(control: socket.socket, master_pid: int, title: str) -> None:
    """The zygote process, just forked from the master: import, then serve forks; never returns."""
    # No collection in the zygote (it only imports and forks: little garbage), and everything it holds
    # frozen before each fork: a child's collections then never write to the inherited objects' GC
    # headers, so those pages are not copied into every worker (gc docs, "fork() without exec()").
    gc.disable()
    code = 0
    try:
        from eggbin.cluster.process import die_with_parent, set_title

        mark("zygote", "forked")
        die_with_parent(master_pid)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # only the master decides when anything stops
        set_title(title, "zygote")
        preload_agent()
        mark("zygote", "agent preload done")
        agents, held = serve_agent(control, master_pid)
        preload_worker()
        start_caches.finish(save=True)  # where the imports found each module, what they compiled
        mark("zygote", "worker preload done")
        told: list[bool] = []

        def tell_agents() -> None:
            if not told:  # once
                each = [agent.tell() for agent in agents]  # every middle process reaped, in order
                told.append(all(each))

        workers, failed = fork_held(control, master_pid, held, tell_agents)
        tell_agents()
        if told[0] and announce_workers_ready(control):
            if failed is not None:
                raise failed  # as `serve` would have: the master spawns them instead
            if workers is not None:
                workers.tell_or_raise()
            if workers is None or not workers.last:
                serve(control, master_pid, None if workers is not None else held)
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)
