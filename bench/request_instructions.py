"""CPU instructions per hello-world request (valgrind's callgrind): the deterministic twin of throughput.

    python bench/request_instructions.py [--requests 2000]     (Debian: apt-get install valgrind)

One process serves the hello app of `throughput.py` in-process (uvloop, a transport that drops what is
written), requests fed one read each as a keep-alive client sends them. Each subject runs twice under
callgrind, with N and with 2N requests: the difference / N is its instructions per request, a number a
loaded machine does not move. (Both runs boot, warm up, freeze and exit alike, after an untraced run has
compiled the bytecode; a run of 0 requests would skip the freeze and exit with a different heap, which
moved the figure by ~30k a request.)
The anchor is bare Starlette (the `PlainTextResponse` route of
`throughput.py`) on uvicorn's plain httptools protocol with uvicorn's defaults, as `uvicorn app:app`
serves it. eggbin's subjects: the workers' setup (`LimitedHttpProtocol`, `DrainingApp`, no forwarded-header
rewrite, every default plugin and egg-security's defaults on), the same with `config.tracer.header = ""` (the
price of the `x-request-id` trace id), the same also without the four default security headers, and
uvicorn's plain httptools protocol with its forwarded-header rewrite on (the workers before #13), and
`throughput.py`'s `eggbin+plugs` app (a session read and a translation per request) on the workers.
Every subject sends the default headers uvicorn's server sets (its main loop, once a second): `date`, and
`server` where the subject's config keeps it (uvicorn's default; eggbin's workers turn it off).
The JSON subjects pair eggbin with Starlette on bench/jsonapi.py's endpoints: the 20-item JSON list
(`ctx.body = [...]` vs `JSONResponse([...])`, on `GET /`) and bench/typed_post.py's POST (a pydantic body,
CSRF token sent; eggbin's decorated controller with its whole default stack); `--only JSON` runs them.
`--only TEXT` measures the subjects whose name holds TEXT (and the anchor); `--keep DIR` keeps callgrind's
output files there, for `callgrind_annotate`. `--cache` also simulates the caches (callgrind's
`--cache-sim=yes`) and adds rows per subject for L1 instruction, L1 data and last-level misses a request:
a longer code path or a bigger heap costs cycles the instruction count does not show.
Every subject freezes its heap after the warm-up requests, so full collections of the boot's objects
(whose timing shifts with any code change) stay out of the figure; the requests' own garbage does not.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness import Measurement, report, write_tree
from jsonapi import ITEMS
from throughput import APPS, EGG_APP, EGG_PLUGS_APP
from typed_post import BODY, SERVERS, TEGG_APP

ANCHOR = "starlette (plain httptools)"
TRACER_OFF = {"tracer": {"header": ""}}
NO_SECURITY_HEADERS = {
    "security": {key: {"enable": False} for key in ("xframe", "nosniff", "xss_protection", "noopen")}
}
# subject: (protocol, config of the hello app beyond its defaults; None: the Starlette app)
SUBJECTS: dict[str, tuple[str, dict[str, Any] | None]] = {
    ANCHOR: ("starlette", None),
    "eggbin workers (default config)": ("workers", {}),
    "eggbin workers, tracer off": ("workers", TRACER_OFF),
    "eggbin workers, tracer off, no security headers": ("workers", {**TRACER_OFF, **NO_SECURITY_HEADERS}),
    "eggbin on plain httptools + proxy rewrite": ("plain", {}),
    "eggbin workers + plugs (session, i18n)": ("workers", {}),
}
PLUGS = "eggbin workers + plugs (session, i18n)"
# The 20-item JSON list of bench/jsonapi.py on `GET /`: `JSONResponse([...])` vs `ctx.body = [...]`.
JSON_LIST_STARLETTE = "starlette JSON list (plain httptools)"
JSON_LIST_EGG = "eggbin workers JSON list (default config)"
SUBJECTS[JSON_LIST_STARLETTE] = ("starlette", None)
SUBJECTS[JSON_LIST_EGG] = ("workers", {})
JSON_LIST_EGG_PLAIN = (
    "eggbin JSON list on plain httptools + proxy rewrite"  # as `uvicorn --workers` serves it
)
SUBJECTS[JSON_LIST_EGG_PLAIN] = ("plain", {})
# bench/typed_post.py's POST (pydantic body, CSRF token sent): its Starlette app vs eggbin's decorated one.
JSON_POST_STARLETTE = "starlette JSON POST (plain httptools)"
JSON_POST_EGG = "eggbin workers JSON POST (decorated, default config)"
SUBJECTS[JSON_POST_STARLETTE] = ("starlette", None)
SUBJECTS[JSON_POST_EGG] = ("workers", {})
REQUEST_FILE = "request.http"


def post_request(path: str) -> bytes:
    """typed_post.py's POST as wrk sends it (`POST_SCRIPT`), keep-alive."""
    body = BODY.encode()
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:7001\r\nUser-Agent: wrk\r\n"
        "Content-Type: application/json\r\nx-csrf-token: bench-token\r\nCookie: csrfToken=bench-token\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


STARLETTE_JSON_LIST_APP = f"""
import gc_probe
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

async def home(request):
    return JSONResponse({ITEMS})

app = Starlette(routes=[Route("/", home)])
"""
EGG_JSON_LIST_APP = {
    **EGG_APP,
    "app/controller/home.py": (
        "from eggbin import Controller\n\n\nclass HomeController(Controller):\n"
        f"    async def index(self):\n        self.ctx.body = {ITEMS}\n"
    ),
}


def serve(
    protocol: str,
    app_dir: str,
    requests: int,
    prepare: Callable[[Any], None] | None = None,
    concurrency: int = 1,
) -> None:
    """Run in the child: boot the app (after `prepare(app)`), feed it `requests` GETs through `protocol`
    on `concurrency` keep-alive connections, one request each in flight."""
    from email.utils import formatdate

    import uvicorn
    import uvloop
    from http_protocol import REQUEST, NullTransport
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    from uvicorn.server import ServerState

    from eggbin.cluster.http_protocol import LimitedHttpProtocol
    from eggbin.cluster.worker import DrainingApp
    from eggbin.web.application import Application
    from eggbin.web.env import ServerEnv

    request_file = Path(app_dir) / REQUEST_FILE  # a subject's own request (the POST), else `GET /`
    request = request_file.read_bytes() if request_file.exists() else REQUEST

    async def main() -> None:
        app: Application | None = None
        if protocol == "starlette":  # as `uvicorn starlette_app:app` serves it (proxy headers on)
            sys.path.insert(0, app_dir)
            from starlette_app import app as starlette_app  # type: ignore[import-not-found]

            config = uvicorn.Config(app=starlette_app, lifespan="off", access_log=False, log_config=None)
        else:
            app = Application(Path(app_dir), ServerEnv("prod", "bench"))
            if prepare is not None:
                prepare(app)
            await app.boot(write_run_files=False)
            proxy = protocol != "workers"
            config = uvicorn.Config(
                app=DrainingApp(app) if protocol == "workers" else app,  # as the workers serve it
                interface="asgi3",
                lifespan="off",
                access_log=False,
                proxy_headers=proxy,
                log_config=None,
                server_header=False,  # as eggbin's workers run uvicorn
            )
        config.load()
        state = ServerState()
        # What uvicorn's `Server.on_tick` sets (a new list each second; one second here).
        state.default_headers = [(b"date", formatdate(usegmt=True).encode()), *config.encoded_headers]
        protocol_class = LimitedHttpProtocol if protocol == "workers" else HttpToolsProtocol
        connections = [
            protocol_class(config=config, server_state=state, app_state={}) for _ in range(concurrency)
        ]
        for connection in connections:
            connection.connection_made(NullTransport())
        warm = -(-200 // concurrency) * concurrency  # 200 to warm up, in whole rounds of the connections
        for done in range(warm + requests):
            if done == warm:
                # Booted and warm: what is alive now is never collected again (the zygote freezes its
                # imports the same way). Otherwise whether a full collection over the whole heap falls
                # inside the measured requests moves a subject by +-15k instructions a request.
                gc.collect()
                gc.freeze()
            connections[done % concurrency].data_received(request)
            if done % concurrency == concurrency - 1 or done == warm + requests - 1:
                while state.tasks:  # a read on every connection, then their answers, as a loaded loop
                    await asyncio.sleep(0)
        for connection in connections:
            connection.connection_lost(None)
        if app is not None:
            await app.close()

    uvloop.run(main())


# callgrind's events with `--cache-sim=yes`, summed into the rows `--cache` adds
CACHE_ROWS = {"I1 misses": ("I1mr",), "D1 misses": ("D1mr", "D1mw"), "LL misses": ("ILmr", "DLmr", "DLmw")}


def events(
    protocol: str,
    app_dir: Path,
    requests: int,
    out: str = "/dev/null",
    cache: bool = False,
    concurrency: int = 1,
) -> dict[str, int]:
    """callgrind's totals for one run, by event name (`Ir` alone unless `cache`)."""
    argv = [
        "valgrind",
        "--tool=callgrind",
        f"--callgrind-out-file={out}",
        *(["--cache-sim=yes"] if cache else []),
    ]
    argv += [sys.executable, __file__, "--serve", protocol, str(app_dir), str(requests), str(concurrency)]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    stderr = subprocess.run(argv, capture_output=True, text=True, check=True, env=env).stderr
    names = re.search(r"Events    : (.+)", stderr).group(1).split()  # type: ignore[union-attr]
    totals = re.search(r"Collected : (.+)", stderr).group(1).split()  # type: ignore[union-attr]
    return dict(zip(names, map(int, totals), strict=True))


def warm_bytecode(protocol: str, app_dir: Path) -> None:
    """One untraced run first: the app's (and any stale) modules are compiled and cached before either
    measured run, or the first one alone pays their compilation."""
    argv = [sys.executable, __file__, "--serve", protocol, str(app_dir), "1", "1"]
    subprocess.run(argv, capture_output=True, check=True, env={**os.environ, "PYTHONHASHSEED": "0"})


def main() -> None:
    if sys.argv[1:2] == ["--serve"]:
        serve(sys.argv[2], sys.argv[3], int(sys.argv[4]), concurrency=int(sys.argv[5]))
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=2000, help="N (the runs serve N and 2N)")
    parser.add_argument("--only", action="append", default=[], help="subjects whose name holds this")
    parser.add_argument("--keep", type=Path, help="keep callgrind's output files in this directory")
    parser.add_argument("--cache", action="store_true", help="also count cache misses a request (slower)")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=1,
        help="connections with a request in flight at once (each gets a read, then all are answered)",
    )
    args = parser.parse_args()
    rows: list[Measurement] = []
    cache_rows: list[Measurement] = []
    with tempfile.TemporaryDirectory() as tmp:
        for number, (subject, (protocol, settings)) in enumerate(SUBJECTS.items()):
            if args.only and subject != ANCHOR and not any(text in subject for text in args.only):
                continue
            app_dir = Path(tmp) / protocol / str(number)
            if subject == JSON_POST_STARLETTE:
                write_tree(app_dir, {name: SERVERS[name] for name in ("model.py", "starlette_app.py")})
                (app_dir / REQUEST_FILE).write_bytes(post_request("/tasks"))
            elif settings is None:
                starlette_app = (
                    STARLETTE_JSON_LIST_APP if subject == JSON_LIST_STARLETTE else APPS["starlette_app.py"]
                )
                write_tree(app_dir, {"gc_probe.py": APPS["gc_probe.py"], "starlette_app.py": starlette_app})
            else:
                egg_app = {
                    PLUGS: EGG_PLUGS_APP,
                    JSON_LIST_EGG: EGG_JSON_LIST_APP,
                    JSON_LIST_EGG_PLAIN: EGG_JSON_LIST_APP,
                    JSON_POST_EGG: TEGG_APP,
                }
                write_tree(app_dir, egg_app.get(subject, EGG_APP))
                if subject == JSON_POST_EGG:
                    (app_dir / REQUEST_FILE).write_bytes(post_request("/decorated/tasks"))
                config = {"keys": "bench", "logger": {"console": False}, **settings}
                (app_dir / "config" / "default.py").write_text(f"config = {config!r}\n")
            warm_bytecode(protocol, app_dir)
            outs = ["/dev/null"] * 2
            if args.keep is not None:
                args.keep.mkdir(parents=True, exist_ok=True)
                outs = [str(args.keep / f"callgrind.{number}.{n}") for n in (1, 2)]
            once, twice = (
                events(protocol, app_dir, n * args.requests, out, args.cache, args.concurrency)
                for n, out in zip((1, 2), outs, strict=True)
            )
            per_request = (twice["Ir"] - once["Ir"]) / args.requests
            rows.append(Measurement(subject, [per_request], "instr/request"))
            for row, names in CACHE_ROWS.items() if args.cache else ():
                misses = sum(twice[name] - once[name] for name in names) / args.requests
                cache_rows.append(Measurement(f"{subject} [{row}]", [misses], "/request"))
    report(
        "request_instructions",
        rows + cache_rows,
        anchor=ANCHOR,
        notes=f"{args.requests} requests, {args.concurrency} in flight",
    )


if __name__ == "__main__":
    main()
