"""The multipart plugin (egg-multipart) through real requests: buffer (default), file and stream modes, its
limits and messages, its extension white list, and temp files that never outlive their request."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from eggbin.errors import BootError
from tests.web.conftest import Booted

JSON = {"accept": "application/json"}
KB = 1024


def with_config(extra: str) -> Callable[[Path], None]:
    """An `edit` for `boot_app`: `config/default.py` gets `extra` merged into `multipart`."""

    def edit(base: Path) -> None:
        config = base / "config" / "default.py"
        config.write_text(config.read_text().replace("EXTRA = {}", f"EXTRA = {{{extra}}}"))

    return edit


@pytest.fixture
def buffered(boot_app: Callable[..., Booted]) -> Booted:
    return boot_app("upload_app")


@pytest.fixture
def file_mode(boot_app: Callable[..., Booted]) -> Booted:
    return boot_app("upload_app", edit=with_config('"mode": "file"'))


@pytest.fixture
def streamed(boot_app: Callable[..., Booted]) -> Booted:
    return boot_app("upload_app", edit=with_config('"mode": "stream"'))


def temp_files(egg: Booted) -> list[Path]:
    return [p for p in (egg.base / "tmp").rglob("*") if p.is_file()]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_buffer_mode_is_the_default_and_keeps_fields_and_files(buffered: Booted) -> None:
    response = buffered.http.post(
        "/kept",
        data={"title": "notes", "tag": ["a", "b"]},
        files=[("doc", ("a.jpg", b"\xff\xd8jpeg", "image/jpeg")), ("raw", ("r.bin", b"x" * 3000))],
    )
    assert response.json() == {
        "fields": {"title": "notes", "tag": "b"},  # egg: a repeated field keeps its last value
        "files": [
            {
                "field": "doc",
                "filename": "a.jpg",
                "mime": "image/jpeg",
                "size": 6,
                "filepath": None,
                "exists": False,
            },
            {
                "field": "raw",
                "filename": "r.bin",
                "mime": "application/octet-stream",
                "size": 3000,
                "filepath": None,
                "exists": False,
            },
        ],
    }


def test_allow_array_field_collects_repeated_fields(boot_app: Callable[..., Booted]) -> None:
    egg = boot_app("upload_app", edit=with_config('"allow_array_field": True'))
    response = egg.http.post("/kept", data={"tag": ["a", "b", "c"]}, files={"f": ("f.bin", b"1")})
    assert response.json()["fields"] == {"tag": ["a", "b", "c"]}


@pytest.mark.parametrize("name", ["evil.exe", "noext", "a.jpg.php"])
def test_extensions_outside_the_white_list_are_400(buffered: Booted, name: str) -> None:
    response = buffered.http.post("/kept", files={"f": (name, b"x")}, headers=JSON)
    assert response.status_code == 400
    assert response.json() == {"message": f"Invalid filename: {name}"}


def test_a_whitelist_replaces_the_defaults(boot_app: Callable[..., Booted]) -> None:
    egg = boot_app("upload_app", edit=with_config('"whitelist": [".exe"]'))
    assert egg.http.post("/kept", files={"f": ("ok.EXE", b"x")}).status_code == 200
    assert egg.http.post("/kept", files={"f": ("a.jpg", b"x")}, headers=JSON).status_code == 400


def test_file_mode_saves_to_tmpdir_and_removes_after_the_response(file_mode: Booted) -> None:
    response = file_mode.http.post("/kept", data={"name": "n"}, files={"f": ("pic.JPG", b"12345")})
    body = response.json()
    (file,) = body["files"]
    assert body["fields"] == {"name": "n"}
    assert file["exists"] is True
    assert file["filepath"].startswith(str(file_mode.base / "tmp"))
    assert file["filepath"].endswith(".JPG")
    assert temp_files(file_mode) == []


def test_file_mode_files_sent_as_the_body_are_json_objects(file_mode: Booted) -> None:
    """`ctx.body = ctx.request.files`: each entry's fields, as when the entries were dataclasses."""
    response = file_mode.http.post("/listed", files={"f": ("a.jpg", b"abc", "image/jpeg")})
    assert response.status_code == 200, response.text
    (file,) = response.json()
    assert file.pop("filepath").endswith(".jpg")
    assert file == {
        "field": "f",
        "filename": "a.jpg",
        "encoding": "7bit",
        "mime": "image/jpeg",
        "size": 3,
        "file": None,
        "fields": {},
    }


@pytest.mark.parametrize("mode", ["buffer", "file"])
def test_upload_over_the_limit_is_413_and_leaves_no_temp_file(
    boot_app: Callable[..., Booted], mode: str
) -> None:
    egg = boot_app("upload_app", edit=with_config(f'"mode": "{mode}"'))
    files = [("a", ("a.bin", b"x" * (10 * KB))), ("b", ("b.bin", b"y" * (65 * KB)))]
    response = egg.http.post("/kept", files=files, headers=JSON)
    assert response.status_code == 413
    assert response.json() == {"code": "Request_fileSize_limit", "message": "Reach fileSize limit"}
    assert temp_files(egg) == []


@pytest.mark.parametrize(
    ("data", "files", "message"),
    [
        ({}, [("f", (f"{i}.bin", b"1")) for i in range(11)], "Reach files limit"),
        ({f"k{i}": "v" for i in range(11)}, [], "Reach fields limit"),
        ({"big": "x" * (100 * KB + 1)}, [], "Reach fieldSize limit"),
        ({"n" * 101: "v"}, [], "Reach fieldNameSize limit"),
    ],
)
def test_count_and_size_limits_answer_413(file_mode: Booted, data: Any, files: Any, message: str) -> None:
    response = file_mode.http.post("/kept", data=data, files=files or {"f": ("f.bin", b"1")}, headers=JSON)
    assert response.status_code == 413
    assert response.json()["message"] == message
    assert temp_files(file_mode) == []


def test_a_body_cut_short_is_400(buffered: Booted) -> None:
    headers = {"content-type": "multipart/form-data; boundary=XyZ", **JSON}
    body = b'--XyZ\r\nContent-Disposition: form-data; name="f"; filename="a.bin"\r\n\r\npartial data'
    response = buffered.http.post("/kept", content=body, headers=headers)
    assert response.status_code == 400
    assert response.json()["message"] == "invalid multipart body: the body ended before its closing boundary"


def test_stream_mode_get_file_stream(streamed: Booted) -> None:
    payload = bytes(range(256)) * 200  # 51 KB, arriving in several chunks
    response = streamed.http.post(
        "/file-stream",
        data={"name": "avatar", "kind": "png"},
        files={"image": ("Face.PNG", payload, "image/png")},
    )
    assert response.json() == {
        "fields": {"name": "avatar", "kind": "png"},
        "field": "image",
        "mime": "image/png",
        "filename": "Face.PNG",
        "size": len(payload),
        "sha256": sha(payload),
    }
    assert (streamed.base / "uploads" / "Face.PNG").read_bytes() == payload


def test_stream_mode_file_too_large_is_413_with_eggs_message(streamed: Booted) -> None:
    response = streamed.http.post("/file-stream", files={"f": ("f.bin", b"z" * (70 * KB))}, headers=JSON)
    assert response.status_code == 413
    assert response.json() == {
        "code": "Request_fileSize_limit",
        "message": "Request file too large, please check multipart config",
    }


@pytest.mark.parametrize(
    ("kwargs", "status", "message"),
    [
        ({"data": {"only": "fields"}, "files": {"empty": ("", b"")}}, 400, "Can't found upload file"),
        ({"json": {"not": "multipart"}}, 400, "Content-Type must be multipart/*"),
    ],
)
def test_get_file_stream_refuses(streamed: Booted, kwargs: Any, status: int, message: str) -> None:
    response = streamed.http.post("/file-stream", headers=JSON, **kwargs)
    assert response.status_code == status
    assert response.json()["message"] == message


def test_the_body_is_read_once(streamed: Booted) -> None:
    response = streamed.http.post("/twice", files={"f": ("f.bin", b"1")}, headers=JSON)
    assert response.status_code == 500
    assert response.json()["message"] == "the multipart request can't be consumed twice"


@pytest.mark.parametrize("fixture", ["streamed", "buffered"])
def test_multipart_iterates_fields_and_files_in_order(request: pytest.FixtureRequest, fixture: str) -> None:
    egg: Booted = request.getfixturevalue(fixture)
    files = [("f1", ("one.bin", b"1" * 5000)), ("f2", ("two.bin", b"2" * 7000))]
    response = egg.http.post("/parts", data={"a": "1", "b": "2"}, files=files)
    assert response.json() == {
        "fields": [["a", "1"], ["b", "2"]],
        "files": [
            {"filename": "one.bin", "size": 5000, "sha256": sha(b"1" * 5000)},
            {"filename": "two.bin", "size": 7000, "sha256": sha(b"2" * 7000)},
        ],
    }


@pytest.mark.parametrize("fixture", ["streamed", "file_mode"])
def test_await_parts_with_auto_fields(request: pytest.FixtureRequest, fixture: str) -> None:
    egg: Booted = request.getfixturevalue(fixture)
    files = [("f1", ("ONE.bin", b"1")), ("f2", ("Two.bin", b"22"))]
    response = egg.http.post("/parts-await", data={"name1": "1", "name2": "2"}, files=files)
    assert response.json() == {
        "field": {"name1": "1", "name2": "2"},
        "files": [
            {"filename": "ONE.bin", "size": 1, "sha256": sha(b"1")},
            {"filename": "Two.bin", "size": 2, "sha256": sha(b"22")},
        ],
    }
    assert temp_files(egg) == []


def test_stream_mode_save_request_files_and_cleanup(streamed: Booted) -> None:
    response = streamed.http.post("/save", data={"x": "y"}, files={"f": ("f.bin", b"data")})
    body = response.json()
    assert body["fields"] == {"x": "y"}
    assert body["files"][0]["exists"] is True
    assert temp_files(streamed) == []


def test_file_mode_match_picks_paths_in_stream_mode(boot_app: Callable[..., Booted]) -> None:
    egg = boot_app("upload_app", edit=with_config('"mode": "stream", "file_mode_match": "/kept"'))
    response = egg.http.post("/kept", files={"f": ("f.bin", b"abc")})
    assert response.json()["files"][0]["exists"] is True
    assert egg.http.post("/file-stream", files={"f": ("f.bin", b"abc")}).json()["size"] == 3


def test_a_bad_mode_fails_the_boot_naming_the_file(boot_app: Callable[..., Booted]) -> None:
    with pytest.raises(BootError, match=r"`multipart.mode` is `'fast'` \(set in `.*config/default.py`\)"):
        boot_app("upload_app", edit=with_config('"mode": "fast"'))


def test_the_plugin_can_be_disabled(boot_app: Callable[..., Booted]) -> None:
    def disable(base: Path) -> None:
        (base / "config" / "plugin.py").write_text('plugins = {"multipart": False}\n')

    egg = boot_app("upload_app", edit=disable)
    assert egg.http.post("/kept", data={"a": "1"}, files={"f": ("f.bin", b"1")}).json() == {
        "fields": {},
        "files": [],
    }


@pytest.fixture
def served_streaming(tmp_path: Path) -> Iterator[tuple[str, Any, Path]]:
    """upload_app in stream mode, served by uvicorn in its own process (to measure its memory)."""
    import os
    import shutil
    import subprocess
    import sys

    import psutil

    from tests.support import FIXTURE_APPS, free_port, kill_tree, port_accepts, wait_until
    from tests.web.test_http_uvicorn import SERVE

    base = tmp_path / "upload_app"
    shutil.copytree(FIXTURE_APPS / "upload_app", base)
    with_config('"mode": "stream", "file_size": "2gb"')(base)
    (tmp_path / "serve_egg.py").write_text(SERVE)
    port = free_port()
    argv = [sys.executable, "-m", "uvicorn", "serve_egg:app", "--port", str(port), "--log-level", "warning"]
    server = subprocess.Popen(
        argv, cwd=tmp_path, env={**os.environ, "EGG_TEST_APP": str(base)}, start_new_session=True
    )
    try:
        wait_until(
            lambda: port_accepts(port) or server.poll() is not None, timeout=30, what="uvicorn to listen"
        )
        assert server.poll() is None
        yield f"http://127.0.0.1:{port}", psutil.Process(server.pid), base
    finally:
        kill_tree(server)


@pytest.mark.slow
def test_memory_stays_flat_while_a_large_upload_streams_to_disk(
    served_streaming: tuple[str, Any, Path],
) -> None:
    import threading

    import httpx

    url, process, base = served_streaming
    size, chunk = 256 * 1024 * 1024, b"\x5a" * (256 * KB)
    boundary = "eggbinBoundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\nbig\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()

    def body() -> Iterator[bytes]:
        yield head
        for _ in range(size // len(chunk)):
            yield chunk
        yield f"\r\n--{boundary}--\r\n".encode()

    with httpx.Client(base_url=url, timeout=120) as http:
        http.post("/file-stream", files={"warm": ("w.bin", b"w" * 1000)})  # imports and buffers in place
        baseline = process.memory_info().rss
        peak, done = [baseline], threading.Event()

        def sample() -> None:
            while not done.wait(0.05):
                peak.append(process.memory_info().rss)

        sampler = threading.Thread(target=sample)
        sampler.start()
        try:
            headers = {"content-type": f"multipart/form-data; boundary={boundary}"}
            response = http.post("/file-stream", content=body(), headers=headers)
        finally:
            done.set()
            sampler.join()
    assert response.status_code == 200, response.text
    assert response.json()["size"] == size
    assert (base / "uploads" / "big.bin").stat().st_size == size
    growth = (max(peak) - baseline) / 1024 / 1024
    assert growth < 32, f"the server grew by {growth:.0f} MB while {size >> 20} MB streamed through"
