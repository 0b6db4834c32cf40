"""What the agent and the workers share: start-up, boot reporting, the channel to the master."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import time
import traceback
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, NoReturn

from eggbin.cluster import breakpoints
from eggbin.cluster.channel import BOOT_PROGRESS, AsyncChannel, Message, envelope
from eggbin.cluster.options import ChildOptions
from eggbin.cluster.process import die_with_parent, set_title
from eggbin.cluster.start_trace import mark
from eggbin.debugger import activate as activate_debugger
from eggbin.errors import EggbinError
from eggbin.web.log_output import PROCESS
from eggbin.web.messenger import TO_MASTER

BOOT_FAILED = 3  # gunicorn's WORKER_BOOT_ERROR: a boot that failed once will fail again
Handler = Callable[[Message], Any]


def parse_args() -> ChildOptions:
    options = ChildOptions.loads(sys.argv[1])
    mark(trace_role(options), "main")
    # Ctrl-C reaches the whole process group: only the master decides when children stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    breakpoints.setup(options)  # stdin: the terminal for one worker in `eggbin dev`, else /dev/null
    set_title(options.cluster.title, "agent" if options.role == "agent" else f"worker {options.id}")
    PROCESS.configure("agent" if options.role == "agent" else "worker", None)  # EGG_LOG_STDOUT from the start
    return options


def before_the_app(options: ChildOptions) -> None:
    """What holds before the app's code runs: this process dies with the master (a child the zygote forked
    waits here to be re-parented to it: its event loop and channel were made while its siblings were
    forked), and under `eggbin debug` the debugger listens (with --brk, it waits for a client)."""
    die_with_parent(options.master_pid, options.forked_by)
    activate_debugger(options)


def trace_role(options: ChildOptions) -> str:
    """`agent` or `worker#N`, as the start trace names this process."""
    return "agent" if options.role == "agent" else f"worker#{options.id}"


def make_app(options: ChildOptions, role: str) -> Any:
    """The app (or agent) object of this process, from the selected framework when there is one."""
    from eggbin.web.env import resolve_env
    from eggbin.web.framework import create_app

    base = Path(options.cluster.base_dir)
    env = resolve_env(base, options.cluster.env)
    app = create_app("agent" if role == "agent" else "app", base, env, options.cluster.framework)
    # the agent checks the built-in settings for the whole cluster (same files): workers boot without pydantic
    app.checks_settings = app.checks_settings_apart = role == "agent"
    return app


def connect_messenger(app: Any, channel: AsyncChannel, options: ChildOptions) -> None:
    """Route `app.messenger` through the master; tell the cluster client where leaders listen."""
    messenger = getattr(app, "messenger", None)
    if messenger is not None:
        messenger.attach(channel.send)
    app.cluster_key = f"{options.cluster.base_dir}:{options.master_pid}"
    app.worker_slot, app.worker_restarts = options.id, options.restarts
    timing = getattr(app, "timing", None)
    if timing is not None:  # sent before the phase runs: a hook blocking the loop is still named
        role = trace_role(options)

        def on_phase(phase: str) -> None:
            mark(role, phase)
            channel.send(envelope(BOOT_PROGRESS, {"phase": phase}, to=TO_MASTER))

        timing.on_phase = on_phase


async def boot_or_exit(channel: AsyncChannel, app: Any) -> None:
    """Boot the app; on failure tell the master why, then exit with BOOT_FAILED.

    `run/` is left to `write_run_files`, called once the start is reported.
    """
    try:
        await app.boot(write_run_files=False)
    except Exception as exc:
        await exit_boot_failed(channel, exc)
    mark("agent" if app.role == "agent" else f"worker#{app.worker_slot}", "booted")


async def exit_boot_failed(channel: AsyncChannel, exc: Exception) -> NoReturn:
    """Tell the master why this process could not start, then exit with BOOT_FAILED."""
    message = str(exc) if isinstance(exc, EggbinError) else f"{type(exc).__name__}: {exc}"
    if not isinstance(exc, EggbinError):
        if PROCESS.json:
            logging.getLogger("eggbin.boot").error("boot failed: %s", message, exc_info=exc)
        else:
            traceback.print_exc()
    channel.send(envelope("boot-error", {"message": message}))
    await channel.drain()
    sys.exit(BOOT_FAILED)


def write_run_files(app: Any) -> None:
    """`run/<role>_config.json` and friends, after the start was reported (as egg dumps after ready)."""
    from eggbin.web.dump import dump_run_files

    try:
        dump_run_files(app)
    except OSError as exc:
        app.core_logger.warning("[egg:dump] could not write run/: %s", exc)


async def listen(channel: AsyncChannel, app: Any, handlers: dict[str, Handler]) -> None:
    """Dispatch the master's messages until it is gone: role handlers first, then `app.messenger`."""
    async for message in channel:
        action = message["action"]
        if action == "egg-ready":
            await app.server_did_ready()
        handler = handlers.get(action)
        if handler is not None:
            handler(message)
        messenger = getattr(app, "messenger", None)
        if messenger is not None:
            messenger.emit(action, message["data"])


def time_left(since: float | None, timeout: float) -> float:
    """What remains of a close timeout that started at `since`: pending background tasks may use it."""
    return max(0.0, timeout - (time.monotonic() - since)) if since is not None else timeout


def run(
    main: Coroutine[Any, Any, None], loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = None
) -> None:
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        runner.run(main)
