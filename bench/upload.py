"""Large uploads: the memory of the server while a 1 GB multipart upload streams to disk, per multipart mode.

    python bench/upload.py [--size-mb 1024] [--rounds 1]

The upload app (one eggbin worker under uvicorn, as `bench/throughput.py` serves it) receives one file:
in `stream` mode the handler writes `await ctx.get_file_stream()` to disk chunk by chunk; in `file`
mode (egg's) the plugin saves it under `multipart.tmpdir` and the handler moves it; in `buffer` mode
(eggbin's default) it is spooled to a temp file and the handler copies it out. The client sends the
body from a generator, so neither side ever holds it. Prints the server's RSS growth over its idle
size (peak, sampled every 50 ms) and the upload rate. Target (issue #15): memory flat, i.e. a growth
of a few MB whatever the size.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
from harness import Measurement, free_port, report, write_tree
from throughput import APPS

CHUNK = 256 * 1024
BOUNDARY = "eggbinBenchBoundary"
UPLOAD_APP = {
    "pyproject.toml": '[project]\nname = "bench-upload"\nversion = "0.0.0"\n',
    "config/default.py": (
        "import os\n\nconfig = {'keys': 'bench', 'security': {'csrf': {'enable': False}},\n"
        "          'multipart': {'mode': os.environ['BENCH_MODE'], 'file_size': '2gb',\n"
        "                        'file_extensions': ['.bin'], 'tmpdir': os.environ['BENCH_TMP']}}\n"
    ),
    "app/router.py": "def router(app):\n    app.router.post('/', app.controller.upload.save)\n",
    "app/controller/upload.py": """
import os
import shutil

from eggbin import Controller


class UploadController(Controller):
    async def save(self):
        target = os.path.join(os.environ["BENCH_TMP"], "received.bin")
        if self.config.multipart.mode == "stream":
            stream = await self.ctx.get_file_stream()
            with open(target, "wb") as out:
                async for chunk in stream:
                    out.write(chunk)
        elif self.config.multipart.mode == "file":
            os.replace(self.ctx.request.files[0].filepath, target)
        else:
            with open(target, "wb") as out:
                async for chunk in self.ctx.request.files[0]:
                    out.write(chunk)
        self.ctx.body = {"size": os.path.getsize(target)}
""",
}


def body(size: int) -> Iterator[bytes]:
    yield (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    block = b"\x5a" * CHUNK
    for _ in range(size // CHUNK):
        yield block
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


def measure(mode: str, size: int, root: Path) -> tuple[float, float]:
    """(RSS growth in MB, MB/s) of one upload of `size` bytes in `mode`."""
    tmp = root / f"tmp-{mode}"
    tmp.mkdir(exist_ok=True)
    port = free_port()
    env = {**os.environ, "BENCH_EGG_APP": str(root / "egg"), "BENCH_MODE": mode, "BENCH_TMP": str(tmp)}
    env.update(EGG_HOME=str(root), HOME=str(root))
    argv = [sys.executable, "-m", "uvicorn", "eggbin_app:app", "--port", str(port), "--log-level", "warning"]
    server = subprocess.Popen(argv, cwd=root, env=env, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}/"
        with httpx.Client(timeout=600) as http:
            deadline = time.monotonic() + 30
            while True:
                try:
                    http.post(url, files={"file": ("warm.bin", b"w" * 1000)}).raise_for_status()
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise
                    time.sleep(0.1)
            process = psutil.Process(server.pid)
            baseline, peak, done = process.memory_info().rss, [0], threading.Event()

            def sample() -> None:
                while not done.wait(0.05):
                    peak.append(process.memory_info().rss)

            sampler = threading.Thread(target=sample)
            sampler.start()
            started = time.perf_counter()
            try:
                headers = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}
                response = http.post(url, content=body(size), headers=headers)
            finally:
                done.set()
                sampler.join()
            elapsed = time.perf_counter() - started
        response.raise_for_status()
        assert response.json()["size"] == size, response.text
        return (max(peak) - baseline) / 2**20, size / 2**20 / elapsed
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--modes", default="stream,file,buffer")
    args = parser.parse_args()
    size = args.size_mb * 2**20
    results: dict[str, list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_tree(root, {name: APPS[name] for name in ("eggbin_app.py", "gc_probe.py")})
        write_tree(root / "egg", UPLOAD_APP)
        for _ in range(args.rounds):
            for mode in args.modes.split(","):
                results.setdefault(mode, []).append(measure(mode, size, root))
    print(f"\n{'mode':<8} {'RSS growth MB':>14} {'MB/s':>8}   ({args.size_mb} MB upload, one worker)")
    for mode, samples in results.items():
        growth = max(g for g, _ in samples)
        rate = sorted(r for _, r in samples)[len(samples) // 2]
        print(f"{mode:<8} {growth:>14.1f} {rate:>8.0f}")
    rows = [
        Measurement(f"{mode} rss growth", [g for g, _ in samples], "MB", {"MB/s": [r for _, r in samples]})
        for mode, samples in results.items()
    ]
    report("upload", rows, notes=f"{args.size_mb} MB multipart upload, uvicorn + one eggbin worker")


if __name__ == "__main__":
    main()
