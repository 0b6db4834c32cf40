"""The zygote process (`eggbin.cluster.zygote` forks it and holds its handle): import, then fork on request.

It imports what the agent needs and forks the agent as soon as the master asks, then what workers need,
tells the master, and serves fork requests until the master closes the control socket. Each batch of
requests is a double fork: one middle process forks the batch's children (the agent, or workers) and
exits, so they are re-parented to the master, its subreaper. The agent's middle process is reaped (and
its pid told) only after the workers' imports: they are not held up while it forks the agent and exits.
"""

from __future__ import annotations

import functools
import gc
import importlib
import json
import os
import select
import signal
import socket
import sys

from eggbin.cluster.start_trace import mark

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: imported in the zygote right after its fork
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any, NoReturn

    Request = tuple[dict[str, Any], list[int]]  # a message from the master and the fds it carried

# What the agent needs: it is forked as soon as these are in and boots while the rest comes in.
AGENT = "eggbin.cluster.agent"
AGENT_PRELOAD = (AGENT, "eggbin.web.framework", "eggbin.web.application")
WORKER_PRELOAD = ("eggbin.cluster.worker", "starlette.responses", "starlette.staticfiles")
# What a worker's boot imports for the built-in plugins on by default (plus their `app/extend` and
# `app/middleware` files, found on disk): imported once here, shared by every worker, off their boot.
# tests/cluster/test_zygote_preload.py fails when a default boot imports an eggbin module not preloaded.
BOOT_PRELOAD = (
    "eggbin.web.body", "eggbin.web.cookies", "eggbin.web.i18n", "eggbin.web.jsonp", "eggbin.web.keygrip",
    "eggbin.web.multipart", "eggbin.web.openapi", "eggbin.web.redirect", "eggbin.web.security",
    "eggbin.web.service", "eggbin.web.session", "eggbin.web.session_store", "eggbin.web.ssrf",
    "eggbin.web.uploads", "eggbin.web.websocket",
)  # fmt: skip
OPTIONAL_PRELOAD = ("eggbin.web.view",)  # jinja2: imported by a worker's first render
BUILTIN_APP_DIRS = ("extend", "middleware")
OFF_BY_DEFAULT = "eggbin.web.builtin.plugins.metrics"  # imported by the workers of an app that turns it on


def preload(modules: tuple[str, ...]) -> None:
    for name in modules:
        importlib.import_module(name)


def preload_agent() -> None:
    """What the agent needs, and what every boot reads of eggbin's own config files: their modules
    (pure: the app's values come from calling their `config(app_info)`) and their syntax."""
    from eggbin.cluster.lazy_modules import defer_unused_at_start

    defer_unused_at_start()  # before uvicorn and starlette import them
    import tempfile

    from eggbin.web import own_files
    from eggbin.web.units import EGGBIN_PACKAGE, EGGBIN_PATH

    # eggbin's multipart config reads it at every boot: found once here (it writes and removes a probe file
    # in each candidate directory, ~0.5 ms), every child then reads `tempfile.tempdir`
    tempfile.gettempdir()

    preload(AGENT_PRELOAD)
    preload(builtin_modules(EGGBIN_PATH, EGGBIN_PACKAGE, ("**/config/*.py",)))
    preload_boot_files(EGGBIN_PATH, EGGBIN_PACKAGE, "agent")
    read_builtin_config_syntax(EGGBIN_PATH)
    own_files.listing()  # what every boot asks of eggbin's own units: listed here, once


def preload_worker() -> None:
    """What workers need, what uvicorn would import at its first start, and eggbin's own load unit."""
    from pathlib import Path

    import eggbin.web.builtin

    preload(WORKER_PRELOAD)  # the worker's module first: it imports uvicorn without its CLI
    from eggbin.cluster.asgi_server import Config, LazyWebSocketsProtocol, loop_factory

    # as a worker configures it: the websockets protocol is imported at a worker's first upgrade, and no
    # `log_config` (uvicorn's own would give its loggers handlers every forked worker inherits: plain
    # lines where a spawned worker's go to the root logger, JSON with `EGG_LOG_STDOUT`)
    config = Config(
        app=_asgi_placeholder, lifespan="off", log_level="warning", ws=LazyWebSocketsProtocol, log_config=None
    )
    config.load()
    loop_factory()  # uvloop, when installed: chosen once here, as each worker would
    builtin = Path(eggbin.web.builtin.__file__).parent
    preload(builtin_packages(builtin, eggbin.web.builtin.__name__))
    preload(BOOT_PRELOAD)
    app_files = tuple(f"**/app/{directory}/*.py" for directory in BUILTIN_APP_DIRS)
    preload(builtin_modules(builtin, eggbin.web.builtin.__name__, app_files))
    preload_boot_files(builtin, eggbin.web.builtin.__name__, "app")


def preload_boot_files(root: Path, package: str, role: str) -> None:
    """eggbin's own plugins' boot files (`app.py`, `agent.py`: their `Boot` classes), imported as the loader
    imports them (`<plugin package>._boot_app`): a boot finds them in `sys.modules` and runs their hooks."""
    from eggbin.web.modules import UnitModules

    for file in globbed(root, f"plugins/*/{role}.py"):
        plugin = f"{package}.plugins.{file.parent.name}"
        if not plugin.startswith(OFF_BY_DEFAULT):
            UnitModules(file.parent.name, file.parent, plugin).import_file(file)


def read_builtin_config_syntax(root: Path) -> None:
    """What every boot reads of the syntax of eggbin's own files (the names a config file assigns, the
    lines of a plugin file's entries, of each plugin's `EGG_PLUGIN`), parsed once here: the agent and
    each worker find it in memory (`eggbin.web.declared.read_syntax`)."""
    from eggbin.web.declared import assigned_names
    from eggbin.web.modules import definition_line
    from eggbin.web.plugins import key_lines

    for file in globbed(root, "**/config/*.py"):
        assigned_names(file)
        if file.stem.startswith("plugin"):
            key_lines(file)
    for file in globbed(root, "plugins/*/__init__.py"):
        definition_line(file, "EGG_PLUGIN")


def builtin_packages(root: Path, package: str) -> tuple[str, ...]:
    """The modules of eggbin's built-in packages (`plugins.health`, `plugins.health.probes`...), by the
    names they are imported by; not the plugins' boot files (`app.py`, `agent.py`: `preload_boot_files`
    imports them by the loader's names), nor the metrics plugin's (off by default). What
    `pkgutil.walk_packages` would list, from the zygote's one walk, without importing `pkgutil`."""
    files = set(_python_files(str(root)))
    names = []
    for parts in sorted(files):
        if not all((*parts[:depth], "__init__.py") in files for depth in range(1, len(parts))):
            continue  # in a directory that is no package (`app/extend/`): a unit's file, loaded by the loader
        if len(parts) == 3 and parts[0] == "plugins" and parts[2] in ("app.py", "agent.py"):
            continue
        module = parts[:-1] if parts[-1] == "__init__.py" else (*parts[:-1], parts[-1].removesuffix(".py"))
        name = ".".join((package, *module))
        if not name.startswith(OFF_BY_DEFAULT):
            names.append(name)
    return tuple(names)


def builtin_modules(root: Path, package: str, patterns: tuple[str, ...]) -> tuple[str, ...]:
    """The files of eggbin's unit and its plugins that match `patterns` (`**/app/extend/*.py`, ...), as
    module names (the loader imports them by these names), the metrics plugin's aside (off by default)."""
    names = []
    for pattern in patterns:
        for path in globbed(root, pattern):
            parts = path.relative_to(root).with_suffix("").parts
            name = ".".join((package, *parts))
            if parts[-1] != "__init__" and not name.startswith(OFF_BY_DEFAULT):
                names.append(name)
    return tuple(names)


def globbed(root: Path, pattern: str) -> list[Path]:
    """`sorted(root.glob(pattern))` for this module's patterns (a leading `**/`, then names, `*` or
    `*.py`; `__pycache__` is never looked in), from one walk of `root` for all of them: a `Path.glob`
    each read every directory again (~1,400 system calls for the zygote's five)."""
    recursive = pattern.startswith("**/")
    wanted = pattern.removeprefix("**/").split("/")
    found = []
    for parts in _python_files(str(root)):
        if len(parts) == len(wanted) or (recursive and len(parts) > len(wanted)):
            tail = parts[len(parts) - len(wanted) :]
            if all(_name_matches(name, want) for name, want in zip(tail, wanted, strict=True)):
                found.append(root.joinpath(*parts))
    return sorted(found)


def _name_matches(name: str, wanted: str) -> bool:
    return name.endswith(wanted[1:]) if wanted.startswith("*") else name == wanted


@functools.cache
def _python_files(root: str) -> tuple[tuple[str, ...], ...]:
    """The `.py` files under `root`, walked once, each as its path's parts below `root`."""
    found: list[tuple[str, ...]] = []
    for directory, subdirectories, names in os.walk(root):
        subdirectories[:] = [name for name in subdirectories if name != "__pycache__"]
        below = tuple(os.path.relpath(directory, root).split(os.sep)) if directory != root else ()
        found.extend((*below, name) for name in names if name.endswith(".py"))
    return tuple(found)


async def _asgi_placeholder(scope: Any, receive: Any, send: Any) -> None:
    """Never called: lets uvicorn import its protocol classes in the zygote."""


def receive(control: socket.socket) -> Request | None:
    """The master's next request and the fds that came with it; None once the master is gone."""
    try:
        data, fds, _, _ = socket.recv_fds(control, 1 << 20, 8)
    except OSError:
        return None
    return (json.loads(data), fds) if data else None


def receive_batch(control: socket.socket, first: Request | None = None) -> list[Request] | None:
    """The requests of one batch (`first`'s, when it is already read): up to one without `more`;
    None once the master is gone."""
    batch = []
    request = first or receive(control)
    while request is not None:
        batch.append(request)
        if not request[0].get("more"):
            return batch
        request = receive(control)
    for _, fds in batch:
        for fd in fds:
            os.close(fd)
    return None


class Forking:
    """One batch, its middle process forked (`begin_forks`): its children's pids are told to the master,
    in the order of the requests, once the middle is reaped (`tell`)."""

    def __init__(self, control: socket.socket, master_pid: int, batch: list[Request]) -> None:
        self.control = control
        self.modules = [message["module"].rsplit(".", 1)[-1] for message, _ in batch]
        try:
            self.middle, self.pids = begin_forks(control, master_pid, batch)
        finally:
            for _, fds in batch:
                for fd in fds:
                    os.close(fd)

    def tell(self) -> bool:
        """Reap the middle process, send the children's pids; False when the master is gone (it stopped
        while the zygote imported). A middle that forked fewer children than asked raises OSError."""
        pids = collect_pids(self.middle, self.pids, len(self.modules))
        for module, pid in zip(self.modules, pids, strict=True):
            mark("zygote", f"forked {module} {pid}")
        try:
            for pid in pids:
                self.control.send(json.dumps({"pid": pid}).encode())
        except OSError:
            return False
        return True


def answer(control: socket.socket, master_pid: int, batch: list[Request]) -> None:
    """Fork the batch's children and send their pids, in the order of the requests."""
    if not Forking(control, master_pid, batch).tell():
        raise OSError("the master is gone")


def serve_agent(control: socket.socket, master_pid: int) -> tuple[list[Forking], list[Request] | None]:
    """Fork the agent if the master already asked for it, its pid told later (`Forking.tell`): the
    zygote imports the workers' modules while its middle process forks the agent and exits. A batch of
    workers' requests is held, returned."""
    agents: list[Forking] = []
    while select.select([control], [], [], 0)[0]:
        batch = receive_batch(control)
        if batch is None or batch[0][0].get("module") != AGENT:
            return agents, batch
        agents.append(Forking(control, master_pid, batch))
    return agents, None


def announce_workers_ready(control: socket.socket) -> bool:
    """Tell the master it may request workers now; False when it is gone (stopped during the imports)."""
    try:
        control.send(json.dumps({"ready": "workers"}).encode())
    except OSError:
        return False
    return True


def serve(control: socket.socket, master_pid: int, held: list[Request] | None = None) -> None:
    """Fork one batch of children per request (`held` first) until the master closes the control socket."""
    batch = held or receive_batch(control)
    while batch is not None:
        if batch[0][0].get("preload") == "optional":
            preload_optional()
        else:
            answer(control, master_pid, batch)
        batch = receive_batch(control)


def preload_optional() -> None:
    """What a child imports only on some paths (a WebSocket upgrade, a template render), for the children
    forked from now on (`eggbin dev`'s reloads, respawns): imported once here, not again in each of them."""
    from eggbin.cluster.asgi_server import LazyWebSocketsProtocol

    LazyWebSocketsProtocol.preload()
    preload(OPTIONAL_PRELOAD)
    mark("zygote", "optional preload done")


def begin_forks(control: socket.socket, master_pid: int, batch: list[Request]) -> tuple[int, int]:
    """Double-fork: one middle process forks every child of the batch (the agent or workers) and exits,
    so each ends up the master's child. Returns at once: the middle's pid and the pipe it writes the
    children's pids to (`collect_pids`)."""
    read_end, write_end = os.pipe()
    gc.freeze()  # what the zygote holds is never collected in a child: its pages stay shared (see run_zygote)
    middle = os.fork()
    if middle == 0:
        os.close(read_end)
        fork_batch(control, master_pid, batch, write_end)
    os.close(write_end)
    return middle, read_end


def collect_pids(middle: int, read_end: int, expected: int) -> list[int]:
    """The pids the middle process wrote, in order, once it is reaped (its children are the master's)."""
    os.waitpid(middle, 0)
    with os.fdopen(read_end, "rb") as pipe:
        pids = [int(line) for line in pipe.read().split()]
    if len(pids) != expected:
        raise OSError(f"forked {len(pids)} of {expected} children")
    return pids


def fork_batch(control: socket.socket, master_pid: int, batch: list[Request], pids: int) -> NoReturn:
    """The middle process: fork each child, write its pid to `pids`, exit (a failed fork: the pids so far)."""
    code, middle = 0, os.getpid()
    try:
        for index, (message, fds) in enumerate(batch):
            child = os.fork()
            if child == 0:
                os.close(pids)
                control.close()
                for _, theirs in batch[:index] + batch[index + 1 :]:
                    for fd in theirs:  # another child's channel held here would hide its end from the master
                        os.close(fd)
                run_child(master_pid, message["module"], message["blob"], fds, middle)
            os.write(pids, f"{child}\n".encode())
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    os._exit(code)


def _rewrite_fds(blob: str, fds: list[int], middle: int) -> str:
    """The fd numbers the master wrote are its own; here they arrived as `fds`, from `middle`."""
    from msgspec.structs import replace

    from eggbin.cluster.options import ChildOptions

    options = ChildOptions.loads(blob)
    listen_fd = fds[1] if len(fds) > 1 else -1
    return replace(options, channel_fd=fds[0], listen_fd=listen_fd, forked_by=middle).dumps()


def run_child(master_pid: int, module: str, blob: str, fds: list[int], middle: int) -> NoReturn:
    """Become the child: run the role's `main()`; never returns. It starts while the middle process
    forks its siblings: it waits to be re-parented to the master only before the app's code runs
    (`eggbin.cluster.process.die_with_parent`)."""
    gc.enable()
    from eggbin.cluster.process import run_and_exit

    def main() -> None:
        sys.argv = [module, _rewrite_fds(blob, fds, middle)]
        importlib.import_module(module).main()

    run_and_exit(main)  # an import error too ends here


def run_zygote(control: socket.socket, master_pid: int, title: str) -> None:
    """The zygote process, just forked from the master: import, then serve forks; never returns."""
    # No collection in the zygote (it only imports and forks: little garbage), and everything it holds
    # frozen before each fork: a child's collections then never write to the inherited objects' GC
    # headers, so those pages are not copied into every worker (gc docs, "fork() without exec()").
    gc.disable()
    code = 0
    try:
        from eggbin.cluster.process import die_with_parent, set_title

        mark("zygote", "forked")
        die_with_parent(master_pid)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # only the master decides when anything stops
        set_title(title, "zygote")
        preload_agent()
        mark("zygote", "agent preload done")
        agents, held = serve_agent(control, master_pid)
        preload_worker()
        mark("zygote", "worker preload done")
        told = [agent.tell() for agent in agents]  # every middle process reaped, in order
        if all(told) and announce_workers_ready(control):
            serve(control, master_pid, held)
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)
