"""Streaming: chunk boundaries anywhere, 50,000 cases in bounded memory, and fuzzing."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.ingest import Format, IngestError, read_cases
from bot.ingest.jsonstream import JsonStream
from tests.support.paths import EVAL_FIXTURES, ROOT

FIXTURES = EVAL_FIXTURES
PROMPTFOO = (FIXTURES / "real" / "promptfoo-v1.json").read_bytes()


def dribble(data: bytes, size: int) -> Any:
    """A read function that never returns more than `size` bytes."""
    stream = io.BytesIO(data)
    return lambda wanted: stream.read(min(wanted, size))


@given(size=st.integers(min_value=1, max_value=97))
@settings(max_examples=25, deadline=None)
def test_walker_reads_the_same_whatever_the_chunk_size(size: int) -> None:
    stream = JsonStream(dribble(PROMPTFOO, size), "results.json")
    walked: dict[str, Any] = {}
    for key in stream.members():
        walked[key] = stream.value()
    stream.end()
    assert walked == json.loads(PROMPTFOO)


def test_walker_skips_and_descends() -> None:
    data = b' { "a" : [1, {"b": [true, null]}, "x\\"y"], "c": {"d": 2.5e3}, "e": [] } '
    stream = JsonStream(dribble(data, 3), "t.json")
    seen: list[Any] = []
    for key in stream.members():
        if key == "a":
            for _ in stream.items():
                seen.append(stream.value())
        elif key == "c":
            for inner in stream.members():
                seen.append((inner, stream.value()))
        else:
            stream.skip()
    stream.end()
    assert seen == [1, {"b": [True, None]}, 'x"y', ("d", 2500.0)]


def test_fifty_thousand_promptfoo_cases_in_bounded_memory() -> None:
    # A fresh interpreter, so peak memory (ru_maxrss) reflects this read alone.
    script = (
        "import json; from tests.support.ingest import measure_big_read; "
        "print(json.dumps(measure_big_read(50_000)))"
    )
    root = ROOT
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, check=True
    )
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["format"] == "promptfoo"
    assert report["rows"] == 50_000
    assert report["errored"] == sum(1 for i in range(50_000) if i % 12 == 11)
    assert report["version"] == "0.121.20"
    # The file is ~100 MB; parsed whole it would take well over 500 MiB.
    assert report["grown_mib"] < 40, report


def consume(data: bytes, fmt: Format, metric: str | None = None) -> None:
    try:
        _, rows, _ = read_cases(io.BytesIO(data), fmt, metric=metric, name="fuzz")
        for _ in rows:
            pass
    except IngestError as error:
        assert error.message and "\n" not in error.message


@given(data=st.binary(max_size=400), fmt=st.sampled_from(list(Format)))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_arbitrary_bytes_give_rows_or_ingest_error(data: bytes, fmt: Format) -> None:
    consume(data, fmt)


JSONISH = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = st.sampled_from(
    ["id", "passed", "grounded", "latency_ms", "cost_usd", "label", "error", "checks", "question"]
)


@given(rows=st.lists(st.dictionaries(FIELDS, JSONISH, max_size=6), max_size=5))
@example(rows=[{"id": None, "checks": {"\n": None}}])  # a check named with a newline
@settings(max_examples=200, deadline=None)
def test_arbitrary_jsonl_rows(rows: list[dict[str, Any]]) -> None:
    data = "\n".join(json.dumps(row) for row in rows).encode()
    consume(data, Format.AUTO)
    consume(data, Format.JSONL, metric="groundedness")


@given(cut=st.integers(min_value=0, max_value=len(PROMPTFOO) - 3))
@settings(max_examples=60, deadline=None)
def test_truncated_promptfoo_anywhere(cut: int) -> None:
    try:
        _, rows, _ = read_cases(io.BytesIO(PROMPTFOO[:cut]), name="cut.json")
        list(rows)
    except IngestError:
        return
    raise AssertionError("a truncated file was read without complaint")


@given(position=st.integers(min_value=0, max_value=len(PROMPTFOO) - 1), byte=st.integers(0, 255))
@settings(max_examples=150, deadline=None)
def test_one_byte_changed_in_promptfoo(position: int, byte: int) -> None:
    data = bytearray(PROMPTFOO)
    data[position] = byte
    consume(bytes(data), Format.AUTO, metric="groundedness")
