"""Entry point: sniff an eval file's format from its first bytes and stream its test cases."""

from __future__ import annotations

import io
import json
import re
import shutil
from collections.abc import Iterator
from enum import StrEnum
from tempfile import SpooledTemporaryFile
from typing import BinaryIO, cast

from bot.ingest.deepeval import read_deepeval
from bot.ingest.inspect_eval import read_inspect_eval
from bot.ingest.inspect_log import read_inspect
from bot.ingest.jsonstream import JsonStream
from bot.ingest.junit import read_junit
from bot.ingest.model import CaseRow, ColumnMap, Format, IngestError, RunMeta
from bot.ingest.promptfoo import read_promptfoo, read_promptfoo_jsonl
from bot.ingest.promptfoo_csv import is_promptfoo_header, read_promptfoo_csv
from bot.ingest.tabular import KNOWN_COLUMNS, read_csv, read_jsonl

SNIFF_BYTES = 1 << 16
PROMPTFOO_HINT = re.compile(r'"(evalId|promptfooVersion)"\s*:')
INSPECT_HINT = re.compile(r'"eval"\s*:\s*\{')
DEEPEVAL_HINT = re.compile(r'"(testRunData|testCases)"\s*:')
GRADING_HINT = re.compile(r'"gradingResult"\s*:')  # a promptfoo JSONL line longer than the sniff
RESULTS_HINT = re.compile(r'"results"\s*:\s*\{')  # promptfoo's, but Inspect has one too
# Outputs a tool writes that are not for us, refused with what to send instead.
HTML_START = re.compile(r"<(!doctype\s+html|html)[\s>]", re.IGNORECASE)
PROMPTFOO_YAML = re.compile(r"evalId: \S+\r?\nresults:")  # -o results.yaml (and .txt)
ZIP_MAGIC = b"PK\x03\x04"
DELIMITERS = (",", "\t", ";")
TOOL_NAMES = {
    Format.PROMPTFOO: "a promptfoo file",
    Format.INSPECT: "an Inspect log",
    Format.DEEPEVAL: "a DeepEval test run",
    Format.JUNIT: "a JUnit XML report",
}


class Shape(StrEnum):
    """How the bytes are laid out; one tool may write several (promptfoo: all but zip)."""

    JSON = "json"
    JSONL = "jsonl"
    CSV = "csv"
    XML = "xml"
    ZIP = "zip"


def read_cases(
    stream: BinaryIO,
    fmt: Format = Format.AUTO,
    *,
    metric: str | None = None,
    name: str = "upload",
    columns: ColumnMap | None = None,
) -> tuple[Format, Iterator[CaseRow], RunMeta]:
    """Detect the format and return the rows as a lazy iterator, plus what the file says of the run.

    Format problems are raised here; problems in a row are raised while iterating, so read
    every row before storing anything. Only IngestError is ever raised for bad input.
    """
    try:
        fmt = Format(fmt)
    except ValueError:
        choices = ", ".join(f.value for f in Format)
        raise IngestError(f"unknown format {str(fmt)!r}; use one of: {choices}") from None
    source = _Replay(stream, SNIFF_BYTES)
    sniffed, shape, delimiter = _sniff(source.head, name)
    if fmt is Format.AUTO:
        fmt = sniffed
    elif fmt in TOOL_NAMES and sniffed is not fmt:
        looks = f" (it looks like {TOOL_NAMES[sniffed]})" if sniffed in TOOL_NAMES else ""
        raise IngestError(f"{name}: not {TOOL_NAMES[fmt]}{looks}")
    elif fmt in (Format.JSONL, Format.CSV):
        shape = Shape(fmt.value)  # the generic reader, as asked
    meta = RunMeta()
    if shape is Shape.ZIP:
        return (
            fmt,
            _finish(read_inspect_eval(rewindable(stream), meta, name), meta, name, metric),
            meta,
        )
    reader = io.BufferedReader(source)
    rows: Iterator[CaseRow]
    if shape is Shape.XML:
        rows = read_junit(reader, meta, name)
    elif fmt is Format.PROMPTFOO and shape is Shape.JSON:
        rows = read_promptfoo(JsonStream(reader.read, name), meta, name)
    elif fmt is Format.PROMPTFOO and shape is Shape.JSONL:
        rows = read_promptfoo_jsonl(reader, meta, name)
    elif fmt is Format.PROMPTFOO:
        rows = read_promptfoo_csv(reader, meta, name, delimiter or ",")
    elif fmt is Format.INSPECT:
        rows = read_inspect(JsonStream(reader.read, name), meta, name)
    elif fmt is Format.DEEPEVAL:
        rows = read_deepeval(JsonStream(reader.read, name), meta, name)
    elif shape is Shape.JSONL or fmt is Format.JSONL:
        rows = read_jsonl(reader, meta, name, columns)
    else:
        rows = read_csv(reader, meta, name, delimiter or ",", columns)
    return fmt, _finish(rows, meta, name, metric), meta


def rewindable(stream: BinaryIO) -> BinaryIO:
    """The stream from its start: a seekable one rewound, else spooled (memory, then disk).
    A zip is read from its end; an upload is hashed before it is read."""
    if stream.seekable():
        stream.seek(0)
        return stream
    spool: SpooledTemporaryFile[bytes] = SpooledTemporaryFile(max_size=8 << 20)  # noqa: SIM115
    shutil.copyfileobj(stream, spool)
    spool.seek(0)
    return cast(BinaryIO, spool)


def _finish(
    rows: Iterator[CaseRow], meta: RunMeta, name: str, metric: str | None
) -> Iterator[CaseRow]:
    """Count rows, settle the run label, apply --metric, and keep every failure an IngestError."""
    count = 0
    labels: set[str | None] = set()
    check_names: set[str] = set()
    metric_found = False
    try:
        for row in rows:
            labels.add(row.label)
            if metric is not None:
                check_names.update(check.name for check in row.checks)
                if not row.errored:
                    chosen = row.check(metric)
                    if chosen is None:
                        continue  # this case was not judged on that check
                    metric_found = True
                    verdict = chosen.passed
                    reason = None if verdict else row.reason  # a pass by this check needs none
                    row = row.model_copy(
                        update={"passed": verdict, "reason": reason, "checks": [chosen]}
                    )
            count += 1
            yield row
    except RecursionError:
        raise IngestError(f"{name}: the JSON is nested too deeply") from None
    except (ValueError, UnicodeError) as exc:  # e.g. a number too long for Python to read
        raise IngestError(f"{name}: could not read the file ({_first_line(exc)})") from None
    if metric is not None and not metric_found:
        found = ", ".join(sorted(check_names)) or "no named checks"
        raise IngestError(f"no check named '{metric}' in {name}; found: {found}")
    if count == 0:
        raise IngestError(f"{name}: no test cases")
    if len(labels) == 1:
        meta.label = labels.pop()


def _sniff(head: bytes, name: str) -> tuple[Format, Shape, str | None]:
    """Tell the format from the first bytes; for CSV also the delimiter."""
    if head.startswith(ZIP_MAGIC):
        return Format.INSPECT, Shape.ZIP, None
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if not text:
        raise IngestError(f"{name}: no test cases (the file is empty)")
    if "\x00" in text:
        raise IngestError(f"{name}: not a text file")
    if text.startswith("<"):
        if HTML_START.match(text):
            raise IngestError(
                f"{name}: an HTML page (a report to look at, like promptfoo's `-o results.html`), "
                "not results we can read; send the tool's JSON (promptfoo: `-o results.json`)"
            )
        return Format.JUNIT, Shape.XML, None
    if PROMPTFOO_YAML.match(text):
        raise IngestError(
            f"{name}: promptfoo's YAML output, which we do not read; send its JSON or JSONL "
            "instead (`promptfoo eval -o results.json`)"
        )
    first_line = text.split("\n", 1)[0].strip()
    if text[0] in "{[":
        return _sniff_json(text, first_line, name)
    delimiter = max(DELIMITERS, key=first_line.count)
    if is_promptfoo_header(first_line, delimiter):
        return Format.PROMPTFOO, Shape.CSV, delimiter
    if first_line.count(delimiter) or first_line.lower() in KNOWN_COLUMNS:
        return Format.CSV, Shape.CSV, delimiter
    raise IngestError(f"{name}: not a promptfoo, Inspect, DeepEval, JUnit, JSONL or CSV file")


def _sniff_json(text: str, first_line: str, name: str) -> tuple[Format, Shape, str | None]:
    whole_line = _json_object(first_line)
    if whole_line is not None:
        if "gradingResult" in whole_line or ("testCase" in whole_line and "success" in whole_line):
            return Format.PROMPTFOO, Shape.JSONL, None  # promptfoo's -o results.jsonl
        if isinstance(whole_line.get("results"), dict) or "evalId" in whole_line:
            return Format.PROMPTFOO, Shape.JSON, None
        if isinstance(whole_line.get("eval"), dict):
            return Format.INSPECT, Shape.JSON, None
        if "testRunData" in whole_line or "testCases" in whole_line:
            return Format.DEEPEVAL, Shape.JSON, None
        return Format.JSONL, Shape.JSONL, None
    for hint, fmt, shape in (
        (PROMPTFOO_HINT, Format.PROMPTFOO, Shape.JSON),
        (INSPECT_HINT, Format.INSPECT, Shape.JSON),
        (DEEPEVAL_HINT, Format.DEEPEVAL, Shape.JSON),
        (RESULTS_HINT, Format.PROMPTFOO, Shape.JSON),
        (GRADING_HINT, Format.PROMPTFOO, Shape.JSONL),
    ):
        if hint.search(text):
            return fmt, shape, None
    raise IngestError(f"{name}: not a promptfoo, Inspect or DeepEval file")


def _json_object(line: str) -> dict[str, object] | None:
    try:
        value = json.loads(line)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:120]


class _Replay(io.RawIOBase):
    """A byte stream that reads the first bytes ahead (to sniff them) and then replays them."""

    def __init__(self, stream: BinaryIO, sniff_bytes: int) -> None:
        self._stream = stream
        chunks: list[bytes] = []
        size = 0
        while size < sniff_bytes:
            chunk = stream.read(sniff_bytes - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        self.head = b"".join(chunks)
        self._offset = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        view = memoryview(buffer).cast("B")
        if self._offset < len(self.head):
            chunk = self.head[self._offset : self._offset + len(view)]
            self._offset += len(chunk)
        else:
            chunk = self._stream.read(len(view))
        view[: len(chunk)] = chunk
        return len(chunk)
