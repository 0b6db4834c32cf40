"""The README's "Logging" snippets, exactly as written there, attached to a real app.

Each runs in its own interpreter (Sentry patches `logging` process-wide, dictConfig replaces handlers):
the app boots in-process, serves `/hello` and `/boom`, and the test reads what the attached library made.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support import FIXTURE_APPS, REPO

RUNNER = """
import asyncio, json, sys
from pathlib import Path
events = []
if "sentry" in sys.argv[2]:  # no network: the README's `sentry_sdk.init` gets a transport that keeps events
    import functools, sentry_sdk
    from sentry_sdk.transport import Transport

    class Keep(Transport):
        def capture_envelope(self, envelope):
            events.extend(item.payload.json for item in envelope.items if item.type == "event")

    sentry_sdk.init = functools.partial(sentry_sdk.init, transport=Keep())
from tests.web.boot_support import serving

async def main():
    async with serving(Path(sys.argv[1])) as (app, client):
        hello = await client.get("/hello?name=ada", headers={"x-request-id": "readme-1"})
        boom = await client.get("/boom", headers={"x-request-id": "readme-2"})
        assert (hello.status_code, boom.status_code) == (200, 500), (hello.text, boom.text)
        assert hello.headers["x-request-id"] == "readme-1"

asyncio.run(main())
if events:
    import sentry_sdk
    sentry_sdk.flush()
for event in events:
    print("EVENT " + json.dumps(event, default=str))
"""


def logging_section() -> str:
    text = (REPO / "README.md").read_text()
    start = text.index("\n## Logging\n")
    return text[start : text.index("\n## ", start + 1)]


def snippet(first_line: str) -> str:
    """The README's python block that starts with `first_line`."""
    blocks = re.findall(r"```python\n(.*?)```", logging_section(), re.S)
    found = [block for block in blocks if block.startswith(first_line)]
    assert len(found) == 1, f"one README block starting with `{first_line}`, found {len(found)}"
    return found[0]


def run_app(tmp_path: Path, files: dict[str, str], mode: str) -> subprocess.CompletedProcess[str]:
    import shutil

    base = tmp_path / "app"
    shutil.copytree(FIXTURE_APPS / "log_stdout", base)
    for name, text in files.items():
        (base / name).write_text(text)
    return subprocess.run(
        [sys.executable, "-c", RUNNER, str(base), mode],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


PROPAGATE = "# config/default.py: app records also reach"


@pytest.mark.parametrize("library", ["python-json-logger", "structlog"])
def test_a_json_formatter_attached_in_app_py(tmp_path: Path, library: str) -> None:
    app_py = snippet(f"# app.py: {'JSON lines' if library == 'python-json-logger' else 'structlog'}")
    done = run_app(tmp_path, {"app.py": app_py, "config/default.py": snippet(PROPAGATE)}, library)
    assert done.returncode == 0, done.stderr
    lines = json_lines(done.stderr)
    hello = next(
        line
        for line in lines
        if line.get("message" if library == "python-json-logger" else "event") == "hello ada"
    )
    assert (hello["trace_id"], hello["method"], hello["path"], hello["ip"]) == (
        "readme-1",
        "GET",
        "/hello",
        "127.0.0.1",
    )
    boom = next(line for line in lines if line.get("trace_id") == "readme-2")
    assert "RuntimeError: boom" in json.dumps(boom)
    assert "egg_prefix" not in hello  # only the request's fields, no internal attribute
    assert (
        (tmp_path / "app" / "logs" / "log-stdout" / "log-stdout-web.log").read_text().count("hello ada")
    ) == 1


def test_sentry_gets_errors_with_the_request_fields(tmp_path: Path) -> None:
    app_py = snippet("# app.py: Sentry")
    done = run_app(tmp_path, {"app.py": app_py}, "sentry")  # no propagate: Sentry hooks every logger
    assert done.returncode == 0, done.stderr
    events = [json.loads(line[6:]) for line in done.stdout.splitlines() if line.startswith("EVENT ")]
    errors = [
        event
        for event in events
        if event.get("level") == "error" and event.get("logger") == "eggbin.log-stdout.app"
    ]
    assert len(errors) == 1, events
    event = errors[0]
    assert event["logentry"]["formatted"] == "RuntimeError: boom"  # the bare message: Sentry groups by it
    assert (event["extra"]["trace_id"], event["extra"]["path"]) == ("readme-2", "/boom")
    crumbs = [(crumb.get("category"), crumb.get("message")) for crumb in event["breadcrumbs"]["values"]]
    assert ("eggbin.log-stdout.app", "hello ada") in crumbs


def test_dict_config_from_the_readme(tmp_path: Path) -> None:
    config_py = snippet("# config/default.py: dict_config")
    done = run_app(tmp_path, {"config/default.py": config_py}, "dict_config")
    assert done.returncode == 0, done.stderr
    lines = json_lines(done.stderr)
    hello = next(line for line in lines if line.get("message") == "hello ada")
    assert (hello["trace_id"], hello["name"], hello["levelname"]) == (
        "readme-1",
        "eggbin.log-stdout.app",
        "INFO",
    )
    # dictConfig closed every handler it found: the app's files still get their lines
    assert "hello ada" in (tmp_path / "app" / "logs" / "log-stdout" / "log-stdout-web.log").read_text()
