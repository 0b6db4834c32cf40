"""New trace ids: 128 random bits in hex, cut from pooled `os.urandom` reads, never shared across a fork."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from eggbin.web import tracer
from eggbin.web.header_lines import PAIRS, PROVEN_LINES, GeneratedLines

FORKED = """
import json, os
from eggbin.web import tracer

first = tracer.new_trace_id()  # fills the pool in the parent
left = list(tracer.trace_ids("")._ids)
read, write = os.pipe()
pid = os.fork()
if pid == 0:
    os.write(write, json.dumps([tracer.new_trace_id() for _ in range(3 * tracer.POOL)]).encode())
    os._exit(0)
os.close(write)
with os.fdopen(read) as pipe:
    child = json.loads(pipe.read())
os.waitpid(pid, 0)
print(json.dumps({"parent": [first, *left], "child": child}))
"""


def test_new_ids_are_32_hex_digits_and_never_repeat() -> None:
    ids = [tracer.new_trace_id() for _ in range(20 * tracer.POOL)]
    assert all(re.fullmatch(r"[0-9a-f]{32}", one) for one in ids)
    assert len(set(ids)) == len(ids)


def test_a_forked_child_never_hands_out_an_id_of_its_parents_pool() -> None:
    argv = [sys.executable, "-c", FORKED]
    ids = json.loads(subprocess.run(argv, capture_output=True, text=True, check=True, timeout=60).stdout)
    assert len(ids["parent"]) == tracer.POOL
    assert len(ids["child"]) == 3 * tracer.POOL
    assert not set(ids["parent"]) & set(ids["child"])


def test_a_safe_request_id_is_kept_and_an_unsafe_one_replaced() -> None:
    headers = [(b"host", b"x"), (b"x-request-id", b"req-1"), (b"x-request-id", b"second")]
    assert tracer.trace_id_from(headers, b"x-request-id") == "req-1"
    replaced = tracer.trace_id_from([(b"x-request-id", b"a b")], b"x-request-id")
    assert re.fullmatch(r"[0-9a-f]{32}", replaced)


def test_new_ids_are_proven_a_batch_at_a_time_and_forgotten_two_batches_later() -> None:
    pool = tracer.TraceIds("x-trace-batch")
    first = pool.new()
    pair = PAIRS[("x-trace-batch", first)]
    assert pair == (b"x-trace-batch", first.encode())
    assert PROVEN_LINES[pair] == b"x-trace-batch: " + first.encode() + b"\r\n"
    for _ in range(2 * tracer.POOL):  # two more batches: the first is forgotten, the last two kept
        last = pool.new()
    assert ("x-trace-batch", first) not in PAIRS
    assert pair not in PROVEN_LINES
    assert PROVEN_LINES[PAIRS[("x-trace-batch", last)]].endswith(last.encode() + b"\r\n")
    proven = [key for key in PROVEN_LINES if key[0] == b"x-trace-batch"]
    assert len(proven) == 2 * tracer.POOL


def test_an_echoed_id_is_never_proven() -> None:
    pool = tracer.TraceIds("x-trace-echo")
    assert pool.take([(b"x-trace-echo", b"client-1")]) == "client-1"
    assert ("x-trace-echo", "client-1") not in PAIRS
    assert (b"x-trace-echo", b"client-1") not in PROVEN_LINES
    new = pool.take([(b"x-trace-echo", b"bad\r\nset-cookie: a=1")])
    assert re.fullmatch(r"[0-9a-f]{32}", new)
    assert (b"x-trace-echo", b"bad\r\nset-cookie: a=1") not in PROVEN_LINES


@pytest.mark.parametrize(
    ("name", "values"),
    [
        ("x-gen", ["ok", "a\r\nset-cookie: evil=1"]),
        ("x-gen", ["ok", "a\x00"]),
        ("x-gen", ["ok", "tab\there"]),
        ("x-gen", ["caf\u00e9"]),
        ("x-gen", ["\u0436"]),
        ("content-length", ["12"]),
        ("connection", ["close"]),
        ("X-Upper", ["ok"]),
        ("x a", ["ok"]),
        ("", ["ok"]),
    ],
)
def test_a_batch_with_an_unsafe_value_or_name_is_not_proven(name: str, values: list[str]) -> None:
    before = dict(PROVEN_LINES)
    GeneratedLines(name).add(values)
    assert before == PROVEN_LINES
    assert not any((name, value) in PAIRS for value in values)


def test_a_framing_tracer_header_still_answers_with_a_checked_id() -> None:
    pool = tracer.TraceIds("content-length")
    new = pool.new()
    assert re.fullmatch(r"[0-9a-f]{32}", new)
    assert ("content-length", new) not in PAIRS
