"""`breakpoint()` in a cluster child: pdb in the terminal for one worker, a clear line everywhere else.

`eggbin dev` on a terminal hands its stdin down to the master and from there to every child
(`ClusterOptions.terminal_worker` names the worker that keeps it, slot 1). That worker's
`breakpoint()` opens pdb on the terminal, as under Django's runserver or `uvicorn --reload`; the master
is told it is paused, so its heartbeat check does not take the stop for a hang. Every other child
(the agent, the other workers, any worker of `eggscripts start`) gets `/dev/null` as stdin, where pdb
would read end-of-file, quit and fail the request: there `breakpoint()` prints where it was hit and
which worker holds the terminal, and the code goes on.

pdb runs with `nosigint`: its Ctrl-C handler would replace the worker's ignored SIGINT after `c`, and
the Ctrl-C that stops the cluster would drop the worker back into pdb. `PYTHONBREAKPOINT` (`0`,
`ipdb.set_trace`...) and `eggbin debug` (debugpy owns `breakpoint()`) are left as they are.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from eggbin.cluster.options import ChildOptions

DEBUGGER_PAUSED = "debugger-paused"  # a worker stopped in pdb: not hung, only waiting for its user


def holds_terminal(options: ChildOptions) -> bool:
    """Whether this child is the worker whose stdin is the CLI's terminal."""
    slot = options.cluster.terminal_worker
    return slot > 0 and options.role == "worker" and options.id == slot


def release_stdin() -> None:
    """Read end-of-file from stdin, whatever the master handed down (another child owns the terminal)."""
    devnull = os.open(os.devnull, os.O_RDONLY)
    try:
        os.dup2(devnull, 0)
    finally:
        os.close(devnull)


def label(options: ChildOptions) -> str:
    return "agent" if options.role == "agent" else f"worker#{options.id}"


def hook_is_ours(options: ChildOptions) -> bool:
    """`PYTHONBREAKPOINT` (the user's choice) and `eggbin debug` (debugpy's) own `breakpoint()` otherwise."""
    return os.environ.get("PYTHONBREAKPOINT") is None and not options.cluster.debug_port


def setup(options: ChildOptions) -> None:
    """At start-up: keep or release stdin; without the terminal, `breakpoint()` says it was skipped."""
    if holds_terminal(options):
        return  # the hook needs the channel: `hold_terminal`, once the worker has it
    release_stdin()
    if hook_is_ours(options):
        sys.breakpointhook = skipping_hook(options)


def skipping_hook(options: ChildOptions) -> Callable[..., None]:
    """`breakpoint()` where no terminal is: say where and why it was skipped, then go on."""
    slot = options.cluster.terminal_worker
    if slot:
        why = f"only worker#{slot} holds the terminal (`eggbin dev --workers 1` stops in every request)"
    else:
        why = "stdin is not a terminal (run `eggbin dev` in a terminal to get pdb)"

    def skip(*args: object, **kwargs: object) -> None:
        frame = sys._getframe(1)
        where = f"{frame.f_code.co_filename}:{frame.f_lineno}"
        print(f"[{label(options)}:{os.getpid()}] breakpoint() at {where} skipped: {why}", file=sys.stderr)
        sys.stderr.flush()

    return skip


def hold_terminal(options: ChildOptions, notify_paused: Callable[[], None]) -> None:
    """In the worker holding the terminal: `breakpoint()` opens pdb there, and the master knows why."""
    if not holds_terminal(options) or not hook_is_ours(options):
        return

    def pause(*args: object, **kwargs: object) -> None:
        import pdb

        notify_paused()
        print(f"[{label(options)}:{os.getpid()}] paused in pdb; `c` continues", file=sys.stderr, flush=True)
        pdb.Pdb(nosigint=True).set_trace(sys._getframe(1))

    sys.breakpointhook = pause
