"""`check_settings` in a forked child, awaited later: the cluster's agent checks for every worker.

The agent lives as long as the cluster, so it keeps none of pydantic's memory (~9 MB): the check runs in
a child forked once the config is merged. The agent's boot goes on meanwhile and the master holds the
workers' listening (and so `egg-ready`) until the verdict came: the check is off the start's critical
path and nothing serves on settings that were not checked.

    agent ──fork──> child: check_settings(loaded) ──JSON {"warnings": [...]} | {"error": [...]}──> pipe

A config that passed before (`eggbin.web.settings.verdict_cache`) forks nothing: the verdict is known.
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

from eggbin.errors import BootError
from eggbin.web.settings import CHECKED, LoadedConfig, check_settings, passed_before, set_outside_eggbin


class ForkedCheck:
    """A settings check running in a child process (or known to pass); `await verdict()` collects it."""

    def __init__(self, loaded: LoadedConfig, *, passed: bool = False) -> None:
        self.loaded = loaded
        self.passed = passed
        if passed:
            return
        read_fd, write_fd = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # pragma: no cover (the child ends with os._exit; coverage cannot see it)
            os.close(read_fd)
            _report_and_exit(loaded, write_fd)
        os.close(write_fd)
        self.read_fd = read_fd

    @classmethod
    def start(cls, loaded: LoadedConfig) -> ForkedCheck | None:
        """The check started in a child; None when no file outside eggbin sets a checked name."""
        if not set_outside_eggbin(loaded.meta) & CHECKED:
            return None
        return cls(loaded, passed=passed_before(loaded))

    async def verdict(self) -> list[str]:
        """The child's warnings, or its `BootError` raised; the pipe is read as it becomes readable."""
        if self.passed:
            return []
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        chunks: list[bytes] = []

        def readable() -> None:
            try:
                chunk = os.read(self.read_fd, 65536)
            except BlockingIOError:
                return
            if chunk:
                chunks.append(chunk)
            elif not done.done():
                done.set_result(None)

        os.set_blocking(self.read_fd, False)
        loop.add_reader(self.read_fd, readable)
        try:
            await done
        finally:
            loop.remove_reader(self.read_fd)
        return self._conclude(b"".join(chunks))

    def _conclude(self, raw: bytes) -> list[str]:
        os.close(self.read_fd)
        os.waitpid(self.pid, 0)
        try:
            report: dict[str, Any] = json.loads(raw)
        except ValueError:  # the child died unexpectedly: check here rather than not at all
            return check_settings(self.loaded)
        if "error" in report:
            message, hint, code = report["error"]
            raise BootError(message, hint=hint, code=code)
        return [str(line) for line in report["warnings"]]


def _report_and_exit(loaded: LoadedConfig, write_fd: int) -> None:  # pragma: no cover (a forked child)
    try:
        try:
            report: dict[str, Any] = {"warnings": check_settings(loaded)}
        except BootError as exc:
            report = {"error": [exc.message, exc.hint, exc.code]}
        data = json.dumps(report).encode()
        while data:
            data = data[os.write(write_fd, data) :]
    finally:
        os._exit(0)
