"""The agent: boots `Agent`, reports `agent-start`, runs schedules (and plugins' agent side, such as
log rotation: `eggbin.web.logrotator`) until told to stop.

python -m eggbin.cluster.agent '<ChildOptions json>'
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from typing import TYPE_CHECKING, Any

from eggbin.cluster.channel import SETTINGS_CHECKED, AsyncChannel, Message, envelope
from eggbin.cluster.child import (
    before_the_app,
    boot_or_exit,
    connect_messenger,
    exit_boot_failed,
    listen,
    make_app,
    parse_args,
    run,
    time_left,
    write_run_files,
)
from eggbin.cluster.options import ChildOptions
from eggbin.cluster.scheduler import Scheduler, enabled_tasks
from eggbin.cluster.start_trace import mark
from eggbin.errors import BootError
from eggbin.web.cluster_client import close_leaders
from eggbin.web.log_output import shareable
from eggbin.web.messenger import TO_MASTER

if TYPE_CHECKING:
    from eggbin.web.settings.forked import ForkedCheck


def make_scheduler(agent: Any, channel: AsyncChannel) -> Scheduler:
    from eggbin.web.schedule import schedules_of
    from eggbin.web.schedule_lock import schedule_lock_of

    tasks = enabled_tasks(schedules_of(agent), agent.env)
    lock = schedule_lock_of(agent) if any(task.singleton for task in tasks) else None
    return Scheduler(tasks, channel.send, lock)


async def report_settings(channel: AsyncChannel, agent: Any, check: ForkedCheck) -> None:
    """The settings check's verdict: its warnings logged and `settings-checked`, or the boot fails
    as if the check had run in the boot (the master fails the start with the same line)."""
    try:
        warnings = await check.verdict()
    except BootError as exc:
        await exit_boot_failed(channel, exc)
    mark("agent", "settings checked")
    for warning in warnings:
        agent.core_logger.warning("[egg:loader] %s", warning)
    channel.send(envelope(SETTINGS_CHECKED, sender="agent", to=TO_MASTER))


async def serve(options: ChildOptions) -> None:
    channel = await AsyncChannel.from_fd(options.channel_fd)
    before_the_app(options)
    agent = make_app(options, "agent")
    connect_messenger(agent, channel, options)
    await boot_or_exit(channel, agent)
    scheduler = make_scheduler(agent, channel)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    check = agent.settings_check
    started = {
        "pid": os.getpid(),
        "logger": shareable(agent.config.get("logger")),  # the master logs alike
        "settings_pending": check is not None,  # workers load meanwhile and serve after `settings-checked`
    }
    mark("agent", "agent-start")
    channel.send(envelope("agent-start", started, sender="agent", to=TO_MASTER))
    if check is not None:
        await report_settings(channel, agent, check)
    write_run_files(agent)

    def workers_changed(message: Message) -> None:
        scheduler.set_workers((message.get("data") or {}).get("pids", []))

    handlers = {
        "egg-ready": lambda _: scheduler.start(),
        "cluster-workers": workers_changed,
    }
    listener = asyncio.create_task(listen(channel, agent, handlers))
    listener.add_done_callback(lambda _: stop.set())  # master gone
    await stop.wait()
    stopping_since = time.monotonic()
    scheduler.stop()
    listener.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await listener
    await agent.close(background_timeout=time_left(stopping_since, options.cluster.agent_close_timeout))
    close_leaders(agent)


def main() -> None:
    run(serve(parse_args()))


if __name__ == "__main__":
    main()
