"""The master's lines through `logging`: `[master] ...` text, JSON once told so, `dict_config` applied."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest

from eggbin.cluster import masterlog


def test_text_lines_progress_on_stdout_faults_on_stderr(
    process_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    masterlog.configure()
    masterlog.info("egg started on http://127.0.0.1:1 (1 ms)")
    masterlog.error("worker#1:42 died (code 1)")
    assert capsys.readouterr() == (
        "[master] egg started on http://127.0.0.1:1 (1 ms)\n",
        "[master] worker#1:42 died (code 1)\n",
    )


def test_the_agents_config_turns_json_on_and_applies_dict_config(
    tmp_path: Path, process_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    masterlog.configure()
    copy = tmp_path / "master.log"
    dict_config = {
        "handlers": {"file": {"class": "logging.FileHandler", "filename": str(copy), "formatter": "bare"}},
        "formatters": {"bare": {"format": "%(name)s %(levelname)s %(message)s"}},
        "loggers": {"eggbin.master": {"handlers": ["file"]}},
    }
    masterlog.configure_from_agent({"stdout": True, "propagate": False, "dict_config": dict_config})
    masterlog.error("as json")
    logging.getLogger("eggbin.master").handlers[0].flush()
    (line,) = capsys.readouterr().out.splitlines()
    assert {k: v for k, v in json.loads(line).items() if k != "time"} == {
        "level": "ERROR",
        "role": "master",
        "pid": os.getpid(),
        "logger": "eggbin.master",
        "message": "as json",
    }
    assert copy.read_text() == "eggbin.master ERROR as json\n"


def test_a_bad_dict_config_from_the_agent_is_reported_and_the_master_goes_on(
    process_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    masterlog.configure()
    masterlog.configure_from_agent({"dict_config": {"version": 2}})
    masterlog.info("still here")
    out, err = capsys.readouterr()
    assert out == "[master] still here\n"
    assert err.startswith(
        "[master] config `logger.dict_config` (set in `the app's config`) was refused by logging"
    )
