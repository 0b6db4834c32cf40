"""The agent: boots `Agent`, reports `agent-start`, runs schedules and log rotation until told to stop.

python -m eggbin.cluster.agent '<ChildOptions json>'
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
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
from eggbin.cluster.logrotate import ROTATE_ACTION, rotate_daily, rotate_now
from eggbin.cluster.options import ChildOptions
from eggbin.cluster.scheduler import Scheduler, enabled_tasks
from eggbin.web.messenger import TO_MASTER


def make_scheduler(agent: Any, channel: AsyncChannel) -> Scheduler:
    from eggbin.web.schedule import schedules_of

    return Scheduler(enabled_tasks(schedules_of(agent), agent.env), channel.send)


async def serve(options: ChildOptions) -> None:
    channel = await AsyncChannel.from_fd(options.channel_fd)
    agent = make_app(options, "agent")
    connect_messenger(agent, channel, options)
    await boot_or_exit(channel, agent)
    scheduler = make_scheduler(agent, channel)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    channel.send(envelope("agent-start", {"pid": os.getpid()}, sender="agent", to=TO_MASTER))
    write_run_files(agent)

    def workers_changed(message: Message) -> None:
        scheduler.set_workers((message.get("data") or {}).get("pids", []))

    handlers = {
        "egg-ready": lambda _: scheduler.start(),
        "cluster-workers": workers_changed,
        ROTATE_ACTION: lambda _: rotate_now(agent, dt.date.today()),
    }
    background = [asyncio.create_task(rotate_daily(agent))]
    listener = asyncio.create_task(listen(channel, agent, handlers))
    listener.add_done_callback(lambda _: stop.set())  # master gone
    await stop.wait()
    stopping_since = time.monotonic()
    scheduler.stop()
    for task in (listener, *background):
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
    await agent.close(background_timeout=time_left(stopping_since, options.cluster.agent_close_timeout))


def main() -> None:
    run(serve(parse_args()))


if __name__ == "__main__":
    main()
