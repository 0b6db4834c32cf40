"""The bodyparser through real requests: JSON, forms, multipart, and every way a body can be wrong."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from tests.web.conftest import Booted

JSON = {"accept": "application/json"}


@pytest.fixture
def egg(boot_app: Callable[..., Booted]) -> Booted:
    egg = boot_app("http_app")
    token = egg.http.get("/csrf").json()["csrf"]
    egg.http.headers["x-csrf-token"] = token
    return egg


def test_json_body_is_parsed(egg: Booted) -> None:
    response = egg.http.post("/echo", json={"name": "egg", "tags": [1, 2]})
    assert response.json() == {"body": {"name": "egg", "tags": [1, 2]}}


def test_vendor_json_type_is_parsed(egg: Booted) -> None:
    response = egg.http.put("/echo", content=b"[1]", headers={"content-type": "application/vnd.api+json"})
    assert response.json() == {"body": [1]}


def test_urlencoded_form_keeps_repeated_keys(egg: Booted) -> None:
    response = egg.http.post("/echo", data={"a": "1", "b": ["2", "3"]})
    assert response.json() == {"body": {"a": "1", "b": ["2", "3"]}}


def test_body_of_get_is_an_empty_dict(egg: Booted) -> None:
    assert egg.http.put("/echo").json() == {"body": {}}


def test_multipart_fields_and_files(egg: Booted) -> None:
    response = egg.http.post(
        "/upload",
        data={"title": "notes"},
        files={"doc": ("a.txt", b"hello file", "text/plain")},
    )
    assert response.json() == {
        "fields": {"title": "notes"},
        "files": [{"field": "doc", "filename": "a.txt", "type": "text/plain", "text": "hello file"}],
    }


def test_malformed_json_is_400(egg: Booted) -> None:
    response = egg.http.post(
        "/echo", content=b'{"name": ', headers={"content-type": "application/json", **JSON}
    )
    assert response.status_code == 400
    assert response.json()["message"].startswith("invalid JSON body: Expecting value: line 1 column 10")


def test_json_scalar_is_400_in_strict_mode(egg: Booted) -> None:
    response = egg.http.post("/echo", content=b'"text"', headers={"content-type": "application/json", **JSON})
    assert response.status_code == 400
    assert response.json() == {"message": "invalid JSON, only supports object and array"}


def test_json_beyond_json_limit_is_413(egg: Booted) -> None:
    response = egg.http.post("/echo", json={"big": "x" * 2000}, headers=JSON)
    assert response.status_code == 413
    assert response.json() == {"message": "request entity too large", "limit": 1024}


def test_chunked_json_beyond_the_limit_is_413_without_content_length(egg: Booted) -> None:
    token = egg.http.headers["x-csrf-token"]
    headers = {
        "content-type": "application/json",
        "x-csrf-token": token,
        "cookie": f"csrfToken={token}",
        **JSON,
    }

    async def chunks() -> AsyncIterator[bytes]:  # an async generator body is sent chunked
        for _ in range(5):
            yield b" " * 400

    async def post() -> httpx.Response:
        transport = httpx.ASGITransport(app=egg.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return await client.post("/echo", content=chunks(), headers=headers)

    response = egg.run(post())
    assert "content-length" not in response.request.headers
    assert response.status_code == 413


def test_form_beyond_form_limit_is_413(egg: Booted) -> None:
    response = egg.http.post("/echo", data={"big": "x" * 2000}, headers=JSON)
    assert response.status_code == 413


def test_multipart_beyond_its_limit_is_413(egg: Booted) -> None:
    response = egg.http.post("/upload", files={"doc": ("a.txt", b"x" * 5000)}, headers=JSON)
    assert response.status_code == 413


def test_malformed_multipart_is_400(egg: Booted) -> None:
    headers = {"content-type": "multipart/form-data", **JSON}  # no boundary
    response = egg.http.post("/upload", content=b"--x\r\n", headers=headers)
    assert response.status_code == 400
    assert response.json() == {"message": "invalid multipart body: Missing boundary in multipart."}


def test_form_that_is_not_utf8_is_400(egg: Booted) -> None:
    headers = {"content-type": "application/x-www-form-urlencoded", **JSON}
    response = egg.http.post("/echo", content=b"a=\xff\xfe", headers=headers)
    assert response.status_code == 400
    assert response.json()["message"].startswith("invalid form body:")
