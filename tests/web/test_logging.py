"""Loggers: files per role, levels, console in local, request prefix, reopen, whole lines across processes."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from pathlib import Path

import pytest

from eggbin.web.logger import AppendFileHandler
from tests.web.boot_support import boot, copy_app, serving, write_app

LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARN|ERROR) \d+ ")


def _logs(base: Path, name: str = "boot-basic") -> Path:
    return base / "logs" / name


def test_request_logger_lines_carry_the_request_and_errors_are_copied(tmp_path: Path) -> None:
    base = copy_app("boot_basic", tmp_path)

    async def scenario() -> None:
        async with serving(base) as (_, client):
            assert (await client.get("/log?x=1")).text == "logged"

    asyncio.run(scenario())
    web = (_logs(base) / "boot-basic-web.log").read_text().splitlines()
    prefix = r"\[-/127\.0\.0\.1/[0-9a-f]{32}/\d+ms GET /log\?x=1\]"  # a generated trace id
    assert [line.split(" ", 4)[2] for line in web] == ["INFO", "WARN", "ERROR"]
    assert all(LINE.match(line) for line in web)
    assert re.search(prefix + " from a request$", web[0])
    assert re.search(prefix + " went wrong$", web[2])
    errors = (_logs(base) / "common-error.log").read_text().splitlines()
    assert len(errors) == 1
    assert errors[0].endswith("went wrong")


def test_each_logger_writes_its_own_file(tmp_path: Path) -> None:
    base = copy_app("boot_basic", tmp_path)

    async def scenario() -> None:
        app = await boot(base)
        agent = await boot(base, role="agent")
        app.logger.info("app line")
        app.core_logger.info("core line")
        app.schedule_logger.info("schedule line")
        agent.logger.info("agent line")
        agent.core_logger.error("agent core error")
        await app.close()
        await agent.close()

    asyncio.run(scenario())
    logs = _logs(base)
    assert (logs / "boot-basic-web.log").read_text().endswith("app line\n")
    assert "core line" in (logs / "egg-web.log").read_text()
    assert (logs / "egg-schedule.log").read_text().endswith("schedule line\n")
    agent_lines = (logs / "egg-agent.log").read_text()
    assert "agent line" in agent_lines
    assert "agent core error" in agent_lines
    assert (logs / "common-error.log").read_text().endswith("agent core error\n")


@pytest.mark.parametrize(
    ("level", "written"),
    [
        ("DEBUG", ["DEBUG", "INFO", "WARN", "ERROR"]),
        ("WARN", ["WARN", "ERROR"]),
        ("ERROR", ["ERROR"]),
        ("NONE", []),
    ],
)
def test_levels(tmp_path: Path, level: str, written: list[str]) -> None:
    base = write_app(
        tmp_path / "app", {"config/default.py": f"config = {{'logger': {{'level': '{level}'}}}}\n"}
    )

    async def scenario() -> None:
        app = await boot(base)
        for method in ("debug", "info", "warn", "error"):
            getattr(app.logger, method)("at %s", method)
        await app.close()

    asyncio.run(scenario())
    lines = (_logs(base, "tmp-app") / "tmp-app-web.log").read_text().splitlines()
    assert [line.split(" ")[2] for line in lines] == written


def test_console_in_local_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = write_app(tmp_path / "app", {})

    async def scenario(env: str) -> None:
        app = await boot(base, env=env)
        app.logger.info("to the console in %s", env)
        app.logger.error("an error in %s", env)
        await app.close()

    asyncio.run(scenario("local"))
    asyncio.run(scenario("unittest"))
    out, err = capsys.readouterr()
    assert "to the console in local" in out
    assert "an error in local" in err
    assert "unittest" not in out + err


def test_reopen_after_rotation_writes_to_the_new_file(tmp_path: Path) -> None:
    base = copy_app("boot_basic", tmp_path)

    async def scenario() -> None:
        app = await boot(base)
        web = _logs(base) / "boot-basic-web.log"
        app.logger.info("before rotation")
        web.rename(web.with_name("boot-basic-web.log.2024-01-01"))
        app.logger.info("still the old file")
        app.loggers.reopen()
        app.logger.info("after rotation")
        await app.close()

    asyncio.run(scenario())
    rotated = (_logs(base) / "boot-basic-web.log.2024-01-01").read_text()
    assert "before rotation" in rotated
    assert "still the old file" in rotated
    assert (_logs(base) / "boot-basic-web.log").read_text().endswith("after rotation\n")


WRITER = """
import logging, sys
from pathlib import Path
from eggbin.web.logger import AppendFileHandler, EggFormatter
handler = AppendFileHandler(Path(sys.argv[1]))
handler.setFormatter(EggFormatter())
logger = logging.Logger("writer")
logger.addHandler(handler)
mark = sys.argv[2]
for i in range(300):
    logger.info("%s %d %s", mark, i, mark * 20000)
handler.close()
"""


def test_processes_sharing_a_file_never_interleave_lines(tmp_path: Path) -> None:
    target = tmp_path / "shared.log"
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(target), mark], start_new_session=True)
        for mark in ("a", "b")
    ]
    try:
        assert [writer.wait(60) for writer in writers] == [0, 0]
    finally:
        for writer in writers:
            writer.kill()
    lines = target.read_text().splitlines()
    assert len(lines) == 600
    for line in lines:
        mark = line.split(" ")[4]
        assert line.endswith(" " + mark * 20000), line[:80]


def test_a_retired_handler_drops_records_quietly(tmp_path: Path) -> None:
    import logging

    handler = AppendFileHandler(tmp_path / "x.log")
    handler.retire()
    handler.handle(logging.LogRecord("x", logging.INFO, __file__, 1, "late", None, None))
    assert (tmp_path / "x.log").read_text() == ""
