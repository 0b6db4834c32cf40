"""`app.curl` / `ctx.curl` to a local server: the median latency of one call, N calls in a row.

    python bench/curl.py [--calls 300] [--rounds 3]

The upstream is uvicorn serving a raw ASGI app on 127.0.0.1 in its own process. The eggbin subject is a
booted app's `curl` (the same code as `ctx.curl`); the anchors are httpx itself with a new
`AsyncClient` per call (no keep-alive: what `ctx.curl` did before it pooled) and with one client
reused for every call (the floor). Rounds interleave the subjects.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from harness import RAW_ASGI_APP, Measurement, report, server_process
from throughput import free_port, wait_ready, write_tree

APP = {
    "pyproject.toml": '[project]\nname = "bench-curl"\nversion = "0.0.0"\n',
    "config/default.py": 'config = {"keys": "bench"}\n',
    "app/router.py": "def router(app):\n    pass\n",
}


async def per_call(calls: int, send: Callable[[], Awaitable[object]]) -> list[float]:
    samples = []
    for _ in range(calls):
        start = time.perf_counter()
        await send()
        samples.append(time.perf_counter() - start)
    return samples


async def measure(url: str, base: Path, calls: int, rounds: int) -> list[Measurement]:
    from eggbin.web.application import Application
    from eggbin.web.env import ServerEnv

    app = Application(base, ServerEnv("prod", "bench"))
    await app.boot(write_run_files=False)
    pooled = httpx.AsyncClient()

    async def fresh_client() -> None:
        async with httpx.AsyncClient() as client:
            (await client.get(url)).raise_for_status()

    async def eggbin_curl() -> None:
        assert (await app.curl(url)).status == 200

    subjects: dict[str, Callable[[], Awaitable[object]]] = {
        "app.curl (eggbin)": eggbin_curl,
        "httpx, a client per call": fresh_client,
        "httpx, one pooled client": lambda: pooled.get(url),
    }
    rows = {name: Measurement(name, []) for name in subjects}
    try:
        for _ in range(rounds):
            for name, send in subjects.items():
                await per_call(5, send)  # warm-up: imports, the first connection
                rows[name].samples.extend(await per_call(calls, send))
    finally:
        await pooled.aclose()
        await app.close()
    return list(rows.values())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-curl-") as tmp:
        base = Path(tmp) / "app"
        write_tree(base, APP)
        (Path(tmp) / "upstream.py").write_text(RAW_ASGI_APP)
        port = free_port()
        argv = [
            sys.executable,
            "-m",
            "uvicorn",
            "upstream:app",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ]
        with server_process(argv, Path(tmp), dict(os.environ)) as server:
            wait_ready(port, server)
            url = f"http://127.0.0.1:{port}/"
            rows = asyncio.run(measure(url, base, args.calls, args.rounds))
    report(
        "curl",
        rows,
        anchor="httpx, one pooled client",
        notes=f"{args.calls} sequential calls x {args.rounds}",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
