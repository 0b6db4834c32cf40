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
from typing import Any

from eggbin.cluster.channel import AsyncChannel, Message, envelope
from eggbin.cluster.child import (
    boot_or_exit,
    connect_messenger,
    listen,
    make_app,
    parse_args,
    run,
    time_left,
    write_run_files,
)
from eggbin.cluster.options import ChildOptions
from eggbin.cluster.scheduler import Scheduler, enabled_tasks
from eggbin.web.cluster_client import close_leaders
from eggbin.web.log_output import shareable
from eggbin.web.messenger import TO_MASTER


def make_scheduler(agent: Any, channel: AsyncChannel) -> Scheduler:
    from eggbin.web.schedule import schedules_of
    from eggbin.web.schedule_lock import schedule_lock_of

    tasks = enabled_tasks(schedules_of(agent), agent.env)
    lock = schedule_lock_of(agent) if any(task.singleton for task in tasks) else None
    return Scheduler(tasks, channel.send, lock)


async def serve(options: ChildOptions) -> None:
    channel = await AsyncChannel.from_fd(options.channel_fd)
    agent = make_app(options, "agent")
    connect_messenger(agent, channel, options)
    await boot_or_exit(channel, agent)
    scheduler = make_scheduler(agent, channel)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    started = {"pid": os.getpid(), "logger": shareable(agent.config.get("logger"))}  # the master logs alike
    channel.send(envelope("agent-start", started, sender="agent", to=TO_MASTER))
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
