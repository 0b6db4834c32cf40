"""What the agent and the workers share: start-up, boot reporting, the channel to the master."""

from __future__ import annotations

import asyncio
import signal
import sys
import traceback
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from eggbin.cluster.channel import AsyncChannel, envelope
from eggbin.cluster.options import ChildOptions
from eggbin.cluster.process import die_with_parent, set_title
from eggbin.errors import EggbinError

BOOT_FAILED = 3  # gunicorn's WORKER_BOOT_ERROR: the master halts instead of respawning


def parse_args() -> ChildOptions:
    options = ChildOptions.loads(sys.argv[1])
    die_with_parent(options.master_pid)
    # Ctrl-C reaches the whole process group: only the master decides when children stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    set_title(options.cluster.title, "agent" if options.role == "agent" else f"worker {options.id}")
    return options


def make_app(options: ChildOptions, factory: Callable[..., Any]) -> Any:
    from eggbin.web.env import resolve_env

    base = Path(options.cluster.base_dir)
    return factory(base, resolve_env(base, options.cluster.env))


async def boot_or_exit(channel: AsyncChannel, app: Any) -> None:
    """Boot the app; on failure tell the master why, then exit with BOOT_FAILED."""
    try:
        await app.boot()
    except Exception as exc:
        message = str(exc) if isinstance(exc, EggbinError) else f"{type(exc).__name__}: {exc}"
        if not isinstance(exc, EggbinError):
            traceback.print_exc()
        channel.send(envelope("boot-error", {"message": message}))
        await channel.drain()
        sys.exit(BOOT_FAILED)


def run(
    main: Coroutine[Any, Any, None], loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = None
) -> None:
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        runner.run(main)
