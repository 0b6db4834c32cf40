"""Every place eggbin leans on a library's internals, in one file: what it uses, and why.

Each coupling is pinned in pyproject.toml to the range tested here (an upper bound below the next
minor). When a bump is due, raise the pin, run this file: a failure names the upstream symbol that
moved, and the eggbin module that has to follow. (`logging`'s `_style`, the WARN level name, belongs
to eggbin/web/logger.py and is not covered here.)
"""

from __future__ import annotations

import importlib.metadata
import inspect
import re
import tomllib
from pathlib import Path

import httpcore
import httptools
import httpx
import pytest
import uvicorn
from packaging.requirements import Requirement
from packaging.version import Version
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from eggbin.cluster.http_protocol import LimitedHttpProtocol
from eggbin.web.checked_transport import AddressCheckingTransport
from eggbin.web.http_server import HttpLimits

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def pinned(distribution: str) -> Requirement:
    """The requirement pyproject.toml declares for `distribution`, wherever it is declared."""
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    declared = [
        *project["dependencies"],
        *(d for ds in project["optional-dependencies"].values() for d in ds),
    ]
    for line in declared:
        requirement = Requirement(line)
        if requirement.name == distribution:
            return requirement
    raise AssertionError(f"{distribution} is not a dependency in pyproject.toml")


@pytest.mark.parametrize("distribution", ["uvicorn", "httpx", "cookiecutter", "typer"])
def test_each_coupled_library_is_pinned_below_its_next_minor_and_the_installed_one_fits(
    distribution: str,
) -> None:
    requirement = pinned(distribution)
    assert any(spec.operator == "<" for spec in requirement.specifier), (
        f"{distribution} is used through its internals: pyproject.toml must cap it (`<next minor`)"
    )
    installed = Version(importlib.metadata.version(distribution))
    assert requirement.specifier.contains(installed, prereleases=True), (
        f"{distribution} {installed} is outside the tested range `{requirement.specifier}`"
    )


# -- uvicorn: the workers' HTTP protocol (eggbin/cluster/http_protocol.py, checked_head.py) ---------


def test_uvicorn_httptools_protocol_what_the_head_limits_override() -> None:
    """`LimitedHttpProtocol` subclasses `HttpToolsProtocol` and replaces its reads and parser callbacks."""
    for name in (
        "connection_made",
        "connection_lost",
        "data_received",
        "on_message_begin",
        "on_url",
        "on_headers_complete",
        "on_body",
        "handle_websocket_upgrade",
        "_unset_keepalive_if_required",
        "_should_upgrade",
        "_unsupported_upgrade_warning",
        "send_400_response",
    ):
        assert callable(getattr(HttpToolsProtocol, name)), f"uvicorn HttpToolsProtocol.{name} is gone"
    # `on_url` is replaced whole: it must still only collect the target, as uvicorn's does.
    assert inspect.getsource(HttpToolsProtocol.on_url).strip().endswith("self.url += url")
    source = inspect.getsource(HttpToolsProtocol)
    for attribute in (
        "self.parser",
        "self.loop",
        "self.logger",
        "self.server_state",
        "self.cycle",
        "self.url",
        "self.flow",
    ):
        assert attribute in source, f"uvicorn HttpToolsProtocol no longer sets `{attribute}`"
    assert issubclass(httptools.HttpParserCallbackError, httptools.HttpParserError)
    bound = LimitedHttpProtocol.with_limits(HttpLimits(max_header_size=10))
    assert issubclass(bound, HttpToolsProtocol)
    assert bound.limits.max_header_size == 10


def test_uvicorn_what_the_workers_request_start_and_response_cycle_redo() -> None:
    """`LimitedHttpProtocol.on_headers_complete` redoes uvicorn's (to answer through `CheckedHeadCycle`),
    and `CheckedHeadCycle.send` redoes the plain case of `RequestResponseCycle.send`: a change upstream
    in either must be looked at (the differential tests in tests/cluster/test_http_protocol_headers.py
    then say whether the bytes still match)."""
    from uvicorn.protocols.http import httptools_impl

    upstream = inspect.getsource(HttpToolsProtocol.on_headers_complete)
    used = set(re.findall(r"self\.(\w+)", upstream))
    assert used == {
        "parser", "scope", "_should_upgrade", "url", "root_path", "limit_concurrency", "connections",
        "tasks", "app", "logger", "cycle", "transport", "flow", "access_logger", "access_log",
        "server_state", "expect_100_continue", "on_response_complete", "_start_asgi_task", "pipeline",
    }, used  # fmt: skip
    assert "RequestResponseCycle(" in upstream
    assert "service_unavailable" in upstream
    parameters = list(inspect.signature(httptools_impl.RequestResponseCycle.__init__).parameters)
    assert parameters == [
        "self", "scope", "transport", "flow", "logger", "access_logger", "access_log", "default_headers",
        "message_event", "expect_100_continue", "keep_alive", "on_response",
    ]  # fmt: skip
    send = inspect.getsource(httptools_impl.RequestResponseCycle.send)
    for needed in (
        "HEADER_RE.search(name)",
        "HEADER_VALUE_RE.search(value)",
        "name = name.lower()",
        "STATUS_LINE[status_code]",
        'content.append(b"connection: close\\r\\n")',
        "self.expected_content_length -= num_bytes",
        "self.message_event.set()",
    ):
        assert needed in send, f"uvicorn RequestResponseCycle.send no longer has `{needed}`"
    assert set(re.findall(r"self\.(\w+) =", send)) == {
        "response_started", "waiting_for_100_continue", "expected_content_length", "chunked_encoding",
        "keep_alive", "response_complete",
    }  # fmt: skip


def test_uvicorn_what_the_workers_response_end_redoes() -> None:
    """`LimitedHttpProtocol.on_response_complete` redoes uvicorn's, noting the idle time where uvicorn
    schedules its keep-alive timer (whose handler only closes the transport): a change upstream must be
    looked at."""
    upstream = inspect.getsource(HttpToolsProtocol.on_response_complete)
    assert set(re.findall(r"self\.(\w+)", upstream)) == {
        "server_state", "transport", "_unset_keepalive_if_required", "flow", "pipeline", "_start_asgi_task",
        "timeout_keep_alive_task", "loop", "timeout_keep_alive", "timeout_keep_alive_handler",
    }  # fmt: skip
    handler = inspect.getsource(HttpToolsProtocol.timeout_keep_alive_handler)
    assert set(re.findall(r"self\.(\w+)", handler)) == {"transport"}
    assert "self.transport.close()" in handler
    data_received = inspect.getsource(HttpToolsProtocol.data_received)
    assert "self._unset_keepalive_if_required()" in data_received  # what the idle mark replaces


# -- uvicorn: the worker's drain (eggbin/cluster/worker.py, WorkerServer) ----------------------------


def test_uvicorn_server_what_the_worker_drain_replaces() -> None:
    """`WorkerServer.shutdown` replaces `uvicorn.Server.shutdown` and walks its connections itself."""
    server = uvicorn.Server(uvicorn.Config(app=None, lifespan="off"))
    for attribute in ("server_state", "should_exit", "force_exit", "started", "config"):
        assert hasattr(server, attribute), f"uvicorn.Server.{attribute} is gone"
    assert "self.servers" in inspect.getsource(uvicorn.Server.startup), "uvicorn.Server.servers is gone"
    assert isinstance(server.server_state.connections, set)
    assert isinstance(server.server_state.tasks, set)
    assert inspect.iscoroutinefunction(uvicorn.Server._wait_tasks_to_complete)
    for method in ("startup", "shutdown", "serve"):
        assert "sockets" in inspect.signature(getattr(uvicorn.Server, method)).parameters, method
    # the override redoes upstream's steps (close listeners, shut connections, wait, cancel the rest)
    # and must learn of any new one: lifespan shutdown is skipped on purpose (`lifespan="off"`)
    upstream = inspect.getsource(uvicorn.Server.shutdown)
    steps = re.findall(r"^\s+(?:await )?(self\.[\w.]+)\(", upstream, flags=re.MULTILINE)
    assert set(steps) <= {"self._wait_tasks_to_complete", "self.lifespan.shutdown"}, steps
    assert "connection.shutdown()" in upstream
    assert "server.close()" in upstream
    assert callable(uvicorn.Server.capture_signals)  # the worker's SIGTERM-only override


def test_uvicorn_connections_what_the_drain_reads() -> None:
    """The drain reads `connection.cycle.response_complete` and `transport`, and calls `shutdown()`."""
    for protocol in (HttpToolsProtocol, WebSocketsSansIOProtocol):
        assert callable(protocol.shutdown), f"uvicorn {protocol.__name__}.shutdown is gone"
    source = inspect.getsource(HttpToolsProtocol)
    assert "self.cycle: RequestResponseCycle" in source or "self.cycle = " in source
    assert "self.transport" in source
    from uvicorn.protocols.http.httptools_impl import RequestResponseCycle

    assert "self.response_complete" in inspect.getsource(RequestResponseCycle.__init__)
    assert callable(uvicorn.Config(app=None).get_loop_factory)  # the worker's and the zygote's uvloop


# -- httpx: ctx.safe_curl's transport (eggbin/web/checked_transport.py) -----------------------------


def test_httpx_transport_pool_what_safe_curl_replaces() -> None:
    """httpx sends every request through `AsyncHTTPTransport._pool`; the SSRF guard swaps that pool."""
    assert isinstance(httpx.AsyncHTTPTransport()._pool, httpcore.AsyncConnectionPool)
    transport = AddressCheckingTransport(lambda ip, family, hostname: False)
    assert isinstance(transport._pool, httpcore.AsyncConnectionPool)


# -- cookiecutter: `eggbin init`'s bundled templates (eggbin/scaffold.py, `_render_bundled`) ----------


def test_cookiecutter_functions_the_bundled_render_calls() -> None:
    """`_render_bundled` skips `cookiecutter.main` (its `requests` import costs ~50 ms) and calls these."""
    from cookiecutter.generate import generate_context, generate_files
    from cookiecutter.prompt import prompt_for_config

    for function, parameters in (
        (generate_context, ("context_file", "extra_context")),
        (generate_files, ("repo_dir", "context", "output_dir")),
        (prompt_for_config, ("context", "no_input")),
    ):
        signature = inspect.signature(function).parameters
        for name in parameters:
            assert name in signature, f"cookiecutter {function.__qualname__}({name}=...) is gone"


def test_cookiecutter_the_bundled_render_equals_the_public_api(tmp_path: Path) -> None:
    """The shortcut writes exactly what `cookiecutter.main.cookiecutter` (the public API) writes."""
    from cookiecutter.main import cookiecutter

    from eggbin.bundled import bundled_dir
    from eggbin.scaffold import _render_bundled

    template = bundled_dir("templates") / "plugin"
    context = {"project_name": "egg-x", "package_name": "egg_x", "description": "d", "author": "a"}
    context["__cookie_key"] = "egg_x_0123"
    ours = _render_bundled(template, context, tmp_path / "ours")
    public = Path(
        cookiecutter(
            str(template),
            no_input=True,
            extra_context=context,
            output_dir=str(tmp_path / "public"),
            default_config={"replay_dir": str(tmp_path / "r"), "cookiecutters_dir": str(tmp_path / "c")},
        )
    )
    assert _tree(ours) == _tree(public)


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# -- typer: shell completions (eggbin/completion.py, `register_shells`) -----------------------------


def test_typer_completion_classes_what_register_shells_calls() -> None:
    """With `add_completion=False` typer registers no shell; `completion_init` registers typer's own.

    Typer (0.29) runs on its own vendored click (`typer._click`), whose registry `completion_init`
    fills. click's public classes are no substitute: typer's `shell_complete` parses `source_bash`
    (7.x style) and click's scripts call back with `bash_complete`.
    """
    from typer import _completion_classes
    from typer._click import shell_completion

    from eggbin.completion import register_shells

    register_shells()
    for shell in ("bash", "zsh", "fish"):
        registered = shell_completion.get_completion_class(shell)
        assert registered is not None, f"no {shell} completion after typer's completion_init"
        assert registered.__module__ == _completion_classes.__name__, registered
