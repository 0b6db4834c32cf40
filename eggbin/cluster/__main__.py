"""`python -m eggbin.cluster '<master blob>'`: the master's entry point (`eggbin.cluster.launch` runs it).

With `zygote` on, the zygote is forked before the master imports anything of its own: the zygote's
imports (the framework) and the master's then run side by side, and no second interpreter starts.
"""

from __future__ import annotations

import json
import sys


def main() -> None:
    blob = sys.argv[1]
    args = json.loads(blob)
    zygote = None
    if args["cluster"].get("zygote"):
        from eggbin.cluster.zygote import fork_zygote

        channel_fd = int(args.get("channel_fd", -1))
        zygote = fork_zygote(args["cluster"]["title"], (channel_fd,) if channel_fd >= 0 else ())
    from eggbin.cluster.master import run_master

    run_master(blob, zygote)


if __name__ == "__main__":
    main()
