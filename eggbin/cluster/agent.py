"""The agent process: boots `Agent`, reports `agent-start`, runs until the master says stop.

python -m eggbin.cluster.agent '<ChildOptions json>'
"""

from __future__ import annotations

import asyncio
import signal

from eggbin.cluster.channel import AsyncChannel, envelope
from eggbin.cluster.child import boot_or_exit, make_app, parse_args, run
from eggbin.cluster.options import ChildOptions


async def serve(options: ChildOptions) -> None:
    from eggbin.web.application import Agent

    channel = await AsyncChannel.from_fd(options.channel_fd)
    agent = make_app(options, Agent)
    await boot_or_exit(channel, agent)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    channel.send(envelope("agent-start", {"pid": __import__("os").getpid()}, sender="agent"))

    async def listen() -> None:
        async for message in channel:
            if message["action"] == "egg-ready":
                await agent.server_did_ready()
        stop.set()  # master gone

    listener = asyncio.create_task(listen())
    await stop.wait()
    listener.cancel()
    await agent.close()


def main() -> None:
    run(serve(parse_args()))


if __name__ == "__main__":
    main()
