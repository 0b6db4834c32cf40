"""`python -m eggbin.cluster '<master blob>'`: the master's entry point (`eggbin.cluster.launch` runs it;
`eggbin.cluster.become` calls `run` in the CLI's own process, or a fork of it, when that process is fit).

With `zygote` on, the zygote is forked before the master imports anything of its own, the modules both
processes import aside (`import_shared_modules`): the zygote's imports (the framework) and the master's
then run side by side, none twice, and no second interpreter starts.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: nothing more is imported before the zygote forks
if TYPE_CHECKING:
    from eggbin.cluster.zygote import Zygote


def main() -> None:
    run(sys.argv[1])


def run(blob: str) -> None:
    """Be the master `blob` describes, in this process: a new interpreter's (`main`), or the CLI's own
    (`eggbin.cluster.become`); exits with the master's code."""
    import gc

    # No collection during the imports (they make next to no cyclic garbage; ~8M instructions before
    # the zygote's fork, ~20M in all): `run_master` turns it back on, the zygote keeps it off.
    gc.disable()
    from eggbin.cluster import start_trace

    start_trace.mark_origin()
    start_trace.mark("master", "main")
    from eggbin.cluster import start_caches

    start_caches.install()  # what earlier starts found and compiled (until the imports are done)
    from eggbin.cluster.lazy_modules import defer_unused_at_start

    defer_unused_at_start()  # before anything imports them: msgspec's package, subprocess
    import json

    args = json.loads(blob)
    zygote = None
    if args["cluster"].get("zygote"):
        import_shared_modules()
        from eggbin.cluster.zygote import fork_zygote

        channel_fd = int(args.get("channel_fd", -1))
        zygote = fork_zygote(args["cluster"]["title"], (channel_fd,) if channel_fd >= 0 else ())
        start_trace.mark("master", "zygote forked")
    run_master(blob, zygote)


def import_shared_modules() -> None:
    """What the master imports and the zygote's children import too, imported once before the fork:
    imported after it, each process would pay for them (~50 ms of CPU on 2 cores that the start needs)."""
    import eggbin.cluster.breakpoints
    import eggbin.cluster.options
    import eggbin.cluster.process  # noqa: F401


def run_master(blob: str, zygote: Zygote | None) -> None:
    """Run the master the blob describes (with the zygote forked above, if any); exits."""
    import gc
    import socket

    from eggbin.cluster import masterlog
    from eggbin.cluster.channel import Channel, envelope
    from eggbin.cluster.master import Master
    from eggbin.cluster.options import parse_master_blob
    from eggbin.cluster.process import set_title
    from eggbin.cluster.start_trace import mark
    from eggbin.errors import EggbinError

    mark("master", "imports done")
    from eggbin.cluster import start_caches

    start_caches.finish(save=zygote is None)  # else the zygote keeps what its imports found too
    gc.enable()
    masterlog.configure()
    options, channel_fd = parse_master_blob(blob)
    set_title(options.title, "master")
    parent = Channel(socket.socket(fileno=channel_fd)) if channel_fd >= 0 else None
    try:
        options = options.with_env_overrides()
    except EggbinError as exc:
        masterlog.error(str(exc))
        if parent:
            parent.send(envelope("egg-start-failed", {"message": str(exc)}, sender="master"))
        if zygote:
            zygote.stop()
        sys.exit(1)
    sys.exit(Master(options, parent, zygote).run())


if __name__ == "__main__":
    main()
