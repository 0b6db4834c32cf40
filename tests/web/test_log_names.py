"""App loggers as standard loggers: found by name, propagating when configured, request fields in `extra`."""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from eggbin.web.logger import EggFormatter, EggLogger, logger_names
from tests.web.boot_support import boot, boot_error, copy_app, serving, write_app

NAME = "boot-basic"


class Keep(logging.Handler):
    """Every record it sees."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def keep() -> Iterator[Keep]:
    """A handler on `eggbin` (where propagating app records arrive), removed afterwards."""
    handler = Keep()
    logging.getLogger("eggbin").addHandler(handler)
    try:
        yield handler
    finally:
        logging.getLogger("eggbin").removeHandler(handler)


def test_app_and_agent_loggers_are_found_by_name_and_keep_to_their_files(tmp_path: Path, keep: Keep) -> None:
    base = copy_app("boot_basic", tmp_path)

    async def scenario() -> None:
        app = await boot(base)
        agent = await boot(base, role="agent")
        try:
            for role, owner in (("app", app), ("agent", agent)):
                for attribute, name in logger_names(NAME, role).items():
                    assert logging.getLogger(name) is getattr(owner, attribute), name
            assert logging.getLogger(f"eggbin.{NAME}.app").propagate is False
            logging.getLogger(f"eggbin.{NAME}.app").info("by name")
        finally:
            await app.close()
            await agent.close()

    asyncio.run(scenario())
    assert keep.records == []  # propagate is off by default: isolated as egg's loggers are
    assert (base / "logs" / NAME / f"{NAME}-web.log").read_text().endswith(" by name\n")


def test_propagate_sends_records_up_and_the_files_still_get_them(tmp_path: Path, keep: Keep) -> None:
    base = write_app(tmp_path / "app", {"config/default.py": "config = {'logger': {'propagate': True}}\n"})

    async def scenario() -> None:
        app = await boot(base)
        app.logger.info("up it goes")
        app.core_logger.warning("core too")
        await app.close()

    asyncio.run(scenario())
    assert [(r.name, r.getMessage()) for r in keep.records][-2:] == [
        ("eggbin.tmp-app.app", "up it goes"),
        ("eggbin.tmp-app.core", "core too"),
    ]
    assert (tmp_path / "app" / "logs" / "tmp-app" / "tmp-app-web.log").read_text().count("up it goes") == 1


def test_context_records_carry_the_request_and_the_file_line_is_eggs(tmp_path: Path) -> None:
    base = copy_app("boot_basic", tmp_path)
    kept = Keep()

    async def scenario() -> None:
        async with serving(base) as (_, client):
            logging.getLogger(f"eggbin.{NAME}.app").addHandler(kept)
            response = await client.get("/log?x=1", headers={"x-request-id": "req-42.a"})
            assert response.headers["x-request-id"] == "req-42.a"

    asyncio.run(scenario())
    info = kept.records[0]
    fields = {name: getattr(info, name) for name in ("method", "path", "url", "ip", "user", "trace_id")}
    assert fields == {
        "method": "GET",
        "path": "/log",
        "url": "/log?x=1",
        "ip": "127.0.0.1",
        "user": "-",
        "trace_id": "req-42.a",
    }
    assert info.getMessage() == "from a request"  # the bare message; the prefix is the file's format
    assert isinstance(info.elapsed_ms, int)
    assert info.funcName == "log"  # the caller is the controller, not eggbin's adapter
    web = (base / "logs" / NAME / f"{NAME}-web.log").read_text().splitlines()
    assert re.fullmatch(
        rf"\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d,\d{{3}} INFO {os.getpid()} "
        r"\[-/127\.0\.0\.1/req-42\.a/\d+ms GET /log\?x=1\] from a request",
        web[0],
    )
    assert web[1].split(" ")[2] == "WARN"


@pytest.mark.parametrize(
    "sent",
    [None, "", "x" * 129, "has space", "a/b", "semi;colon", "ünïcode".encode(), "<script>", "]x[-"],
)
def test_a_missing_or_unsafe_request_id_is_replaced(tmp_path: Path, sent: str | bytes | None) -> None:
    base = copy_app("boot_basic", tmp_path)

    async def scenario() -> None:
        async with serving(base) as (_, client):
            headers = {} if sent is None else {"x-request-id": sent}
            response = await client.get("/", headers=headers)
            assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])

    asyncio.run(scenario())


def test_the_tracer_header_is_configurable_or_off(tmp_path: Path) -> None:
    custom = write_app(tmp_path / "a", {"config/default.py": "config = {'tracer': {'header': 'X-Trace'}}\n"})
    off = write_app(tmp_path / "b", {"config/default.py": "config = {'tracer': {'header': ''}}\n"})

    async def scenario() -> None:
        async with serving(custom) as (_, client):
            response = await client.get("/", headers={"x-trace": "t-1", "x-request-id": "ignored"})
            assert (response.headers["x-trace"], "x-request-id" in response.headers) == ("t-1", False)
        async with serving(off) as (app, client):
            response = await client.get("/", headers={"x-request-id": "ignored"})
            assert "x-request-id" not in response.headers
            ctx = app.create_anonymous_context({"headers": {"x-request-id": "ignored"}})
            assert re.fullmatch(r"[0-9a-f]{32}", ctx.trace_id)

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ("{'tracer': {'header': 'bad header'}}", "config `tracer.header` is `'bad header'`"),
        ("{'logger': {'dict_config': 'yes'}}", "`config.logger.dict_config` is `'yes'`"),
        ("{'logger': {'dict_config': {'version': 2}}}", "was refused by logging: Unsupported version: 2"),
    ],
)
def test_bad_logging_settings_fail_the_boot_naming_the_key(
    tmp_path: Path, config: str, expected: str, process_logging: None
) -> None:
    base = write_app(tmp_path / "app", {"config/default.py": f"config = {config}\n"})
    message = asyncio.run(boot_error(base))
    assert expected in message
    assert "config/default.py" in message


def test_stdout_mode_writes_json_lines_and_no_file(
    tmp_path: Path, process_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    base = write_app(tmp_path / "app", {"config/default.py": "config = {'logger': {'stdout': True}}\n"})

    async def scenario() -> None:
        app = await boot(base)
        app.logger.warning("as json")
        await app.close()

    asyncio.run(scenario())
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    warning = next(line for line in lines if line["message"] == "as json")
    assert (warning["level"], warning["role"], warning["logger"], warning["pid"]) == (
        "WARNING",
        "worker",
        "eggbin.tmp-app.app",
        os.getpid(),
    )
    assert not (tmp_path / "app" / "logs").exists()


def test_a_logger_configured_before_the_app_boots_is_handed_over(tmp_path: Path) -> None:
    """The registry contract: dictConfig's (or a module's) logger of that name, and its children."""
    base = write_app(tmp_path / "app", {}, name="handover-app")  # a name no other test's app took
    early, child_records = Keep(), Keep()
    name = "eggbin.handover-app.app"
    logging.getLogger(name).addHandler(early)
    child = logging.getLogger(name + ".payments")  # a module logger under the app's, made first
    child.addHandler(child_records)

    async def scenario() -> None:
        app = await boot(base)
        try:
            assert logging.getLogger(name) is app.logger
            assert isinstance(app.logger, EggLogger)
            child.warning("from the child")
            app.logger.info("from the app")
        finally:
            await app.close()

    asyncio.run(scenario())
    assert [r.getMessage() for r in early.records] == ["from the child", "from the app"]
    assert child.parent is logging.getLogger(name)
    assert child.getEffectiveLevel() == logging.INFO  # the app's level, through the new parent


def test_egg_formatter_says_warn_and_leaves_the_record_alone() -> None:
    record = logging.makeLogRecord({"levelno": logging.WARNING, "levelname": "WARNING", "msg": "careful"})
    line = EggFormatter().format(record)
    assert line.split(" ")[2:] == ["WARN", str(record.process), "careful"]
    assert record.levelname == "WARNING"  # the next handler (JSON, Sentry) sees Python's name
