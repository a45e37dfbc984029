"""Streaming: chunk boundaries anywhere, 50,000 cases in bounded memory, and fuzzing."""

from __future__ import annotations

import io
import json
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.ingest import Format, IngestError, read_cases
from bot.ingest.jsonstream import JsonStream

FIXTURES = Path(__file__).parent / "fixtures" / "evals"
PROMPTFOO = (FIXTURES / "promptfoo_results.json").read_bytes()


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


class GeneratedPromptfoo(io.RawIOBase):
    """A promptfoo results file of `count` cases, produced on the fly (never held whole)."""

    def __init__(self, count: int) -> None:
        template = json.loads(PROMPTFOO)
        self._results = template["results"]["results"]
        self._count = count
        self._pieces = self._generate(template)
        self._pending = b""

    def _generate(self, template: dict[str, Any]) -> Iterator[bytes]:
        yield b'{"evalId": "big", "results": {"version": 3, "results": ['
        for index in range(self._count):
            result = dict(self._results[index % len(self._results)])
            result["testIdx"] = index
            result["testCase"] = dict(result["testCase"], description=f"case {index}")
            yield (b"," if index else b"") + json.dumps(result).encode()
        yield b'], "stats": {}}, "metadata": ' + json.dumps(template["metadata"]).encode() + b"}"

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            piece = next(self._pieces, None)
            if piece is None:
                return 0
            self._pending = piece
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def test_fifty_thousand_promptfoo_cases_in_bounded_memory() -> None:
    source = io.BufferedReader(GeneratedPromptfoo(50_000))
    tracemalloc.start()
    try:
        fmt, rows, meta = read_cases(source, name="big.json")
        count = errored = 0
        for row in rows:
            count += 1
            errored += row.errored
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert fmt is Format.PROMPTFOO
    assert count == 50_000
    assert errored == 50_000 // 12 + (50_000 % 12 > 11)
    assert meta.tool_version == "0.121.20"
    # The file is ~130 MB; reading it whole would take over 500 MiB of Python objects.
    assert peak < 32 * 2**20


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
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)
FIELDS = st.sampled_from(
    ["id", "passed", "grounded", "latency_ms", "cost_usd", "label", "error", "checks", "question"]
)


@given(rows=st.lists(st.dictionaries(FIELDS, JSONISH, max_size=6), max_size=5))
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
