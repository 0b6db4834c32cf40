"""debugpy inside an agent or worker of `eggbin debug`; called by eggbin/cluster/child.py at start-up.

Each debugged process listens on a free loopback port and publishes it in `run/debug/<slot>.json`;
the CLI's proxy on the stable port (9229 for worker 1) forwards each client connection to the
process that holds the slot now. So a reload keeps its rolling order (new worker first, no port to
wait for) and a client attaches again on 9229 after it. `listen()` is called once per process.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from eggbin.cluster.options import ChildOptions

DEBUG_DIR = Path("run") / "debug"


def slot_name(role: str, child_id: int) -> str:
    return "agent" if role == "agent" else f"worker-{child_id}"


def endpoint_file(base_dir: str | Path, slot: str) -> Path:
    return Path(base_dir) / DEBUG_DIR / f"{slot}.json"


def activate(options: ChildOptions) -> None:
    """Listen with debugpy when the cluster runs under `eggbin debug`; with `--brk`, wait for a client."""
    cluster = options.cluster
    if not cluster.debug_port:
        return
    label = slot_name(options.role, options.id)
    if os.environ.get("DEBUGPY_RUNNING"):  # already debugged (e.g. VS Code launched eggbin itself)
        print(f"[{label}] already under a debugger; not listening again", file=sys.stderr, flush=True)
        return
    import debugpy

    file = endpoint_file(cluster.base_dir, label)
    first = not file.exists()
    host, port = debugpy.listen(("127.0.0.1", 0))
    publish(file, {"pid": os.getpid(), "host": host, "port": port})
    if cluster.debug_brk and first and options.role == "worker":
        print(
            f"[{label}:{os.getpid()}] waiting for a debugger before the app loads",
            file=sys.stderr,
            flush=True,
        )
        debugpy.wait_for_client()


def publish(file: Path, endpoint: dict[str, object]) -> None:
    """Write atomically: the proxy reads the old endpoint or the new one, never half of one."""
    from eggbin.private_files import private_dir, write_private

    private_dir(file.parent)
    write_private(file, json.dumps(endpoint))
