"""`to_json`: a JSON body is `json.dumps`'s compact, non-ASCII-keeping bytes, whichever encoder runs."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from typing import Any

import pytest
from pydantic import BaseModel

from eggbin.web import response
from eggbin.web.response import Response, to_json


class Task(BaseModel):
    name: str
    due: dt.date


@dataclasses.dataclass
class Point:
    x: int
    y: float


def _dumps(value: object) -> bytes:
    """The reference: what `to_json` gave before it reused the C encoder."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=response._json_value).encode()


VALUES: list[Any] = [
    [{"id": i, "name": f"item {i}", "price": i * 1.5, "tags": ["a", "b"]} for i in range(20)],
    {"text": 'é 😀 \u2028 "quoted" \\ / \n\t\x00\x1f\x7f', "empty": {}, "none": None, "flags": [True, False]},
    {"floats": [0.1, -0.0, 1e16, 1e-7, 1.7976931348623157e308, float("nan"), float("inf")], "big": 2**80},
    {1: "int key", 1.5: "float key", None: "null key", False: "bool key"},
    ("a", "tuple"),
    "a bare string",
    3.25,
    {
        "at": dt.datetime(2024, 5, 1, 10, 0),
        "id": uuid.UUID(int=1),
        "task": Task(name="egg", due=dt.date(2024, 5, 2)),
    },
    {"point": Point(1, 2.5), "time": dt.time(9, 30)},
]


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
@pytest.mark.parametrize("accelerated", [True, False], ids=["c-encoder", "pure-python"])
def test_to_json_gives_json_dumps_compact_bytes(
    value: Any, accelerated: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not accelerated:
        monkeypatch.setattr(response, "_make_encoder", None)
    assert to_json(value) == _dumps(value)


def test_to_json_is_compact_and_keeps_non_ascii() -> None:
    assert to_json({"a": [1, "é"], "b": None}) == '{"a":[1,"é"],"b":null}'.encode()


def test_a_circular_body_raises_each_time_and_does_not_poison_the_next() -> None:
    loop: list[Any] = []
    loop.append(loop)
    for _ in range(2):
        with pytest.raises(ValueError, match="Circular reference"):
            to_json({"loop": loop})
    shared = [1]
    assert to_json([shared, shared]) == b"[[1],[1]]"  # the same list twice is not a cycle


def test_an_unencodable_value_raises_a_type_error_naming_its_type() -> None:
    with pytest.raises(TypeError, match="a response body holds a `set`, which cannot be sent as JSON"):
        to_json({"tags": {"a"}})
    assert to_json({"after": "ok"}) == b'{"after":"ok"}'


def test_a_list_body_is_json_with_its_content_type_and_length() -> None:
    res = Response()
    res.body = [{"id": 1, "name": "é"}]
    res.prepare()
    content = res._whole(res.status, res.body)
    assert content == '[{"id":1,"name":"é"}]'.encode()
    assert res.headers["content-type"] == "application/json"
    assert res.headers["content-length"] == str(len(content))
