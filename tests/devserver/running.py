"""A real `eggbin dev` / `eggbin debug` in its own process group, for the end-to-end tests."""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.support import FIXTURE_APPS, kill_tree, wait_until


def copy_app(tmp_path: Path, name: str = "dev_hello") -> Path:
    return Path(shutil.copytree(FIXTURE_APPS / name, tmp_path / name))


def get_text(url: str) -> str | None:
    try:
        response = httpx.get(url, timeout=5)
    except httpx.HTTPError:
        return None
    return response.text if response.status_code == 200 else None


@dataclass
class DevRun:
    """The CLI process, its combined output and the URL it serves."""

    popen: subprocess.Popen[bytes]
    log: Path
    url: str = ""

    @property
    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_output(self, pattern: str, timeout: float = 30) -> re.Match[str]:
        return wait_until(
            lambda: re.search(pattern, self.output), timeout=timeout, what=f"/{pattern}/ in output"
        )

    def wait_text(self, text: str, timeout: float = 30) -> None:
        wait_until(lambda: get_text(self.url) == text, timeout=timeout, what=f"{text!r} served at {self.url}")

    def reload_lines(self) -> list[str]:
        return [
            line for line in self.output.splitlines() if line.startswith("[eggbin] ") and " changed: " in line
        ]


@contextmanager
def eggbin(args: list[str], cwd: Path, log: Path, port: int | None) -> Iterator[DevRun]:
    """Run `eggbin <args>` in `cwd`; killed with its whole group at the end."""
    with log.open("wb") as out:
        popen = subprocess.Popen(["eggbin", *args], cwd=cwd, start_new_session=True, stdout=out, stderr=out)
    run = DevRun(popen, log, f"http://127.0.0.1:{port}/" if port else "")
    try:
        yield run
    finally:
        kill_tree(popen)


@dataclass
class Poller:
    """Polls a URL on fresh connections in a thread, counting every failed or non-200 answer."""

    url: str
    texts: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                response = httpx.get(self.url, timeout=10, headers={"connection": "close"})
            except httpx.HTTPError as exc:
                self.failures.append(repr(exc))
                continue
            if response.status_code != 200:
                self.failures.append(f"{response.status_code} {response.text[:80]}")
            else:
                self.texts.append(response.text)

    def __enter__(self) -> Poller:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(15)
