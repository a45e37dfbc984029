"""Generic JSONL and CSV files: one test case per line (CSV: per record, after a header).

Besides our documented columns, CSV exports of Ragas, LangSmith and Braintrust experiments are
read by their score columns (scores.py): each becomes a check that passes at the threshold.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping
from typing import IO

from bot.ingest.kinds import by_name
from bot.ingest.model import CaseRow, Check, CheckKind, ColumnMap, IngestError, RunMeta
from bot.ingest.scores import ScoreColumns, id_column, score_columns
from bot.ingest.values import first_text, read_amount, read_bool, read_latency, read_text

PASS_FIELDS = ("passed", "grounded")
CHECK_PREFIX = "check:"  # CSV columns like "check:groundedness" become named checks
MAP_FIELDS = frozenset(
    {"id", "passed", "error", "latency_ms", "latency_s", "cost_usd", "label", "question", "reason"}
)
_DECODER = json.JSONDecoder()
KNOWN_COLUMNS = frozenset(
    {"id", "error", "latency_ms", "cost_usd", "label", "model", "question", "reason", *PASS_FIELDS}
)


def json_lines(stream: IO[bytes]) -> Iterator[tuple[int, dict[str, object]]]:
    """Each non-blank line's object and its line number; bad lines raise naming the line."""
    offset = 0
    for number, raw_line in enumerate(stream, start=1):
        offset += len(raw_line)
        if not raw_line.strip():
            continue
        where = f"line {number}"
        try:
            text = raw_line.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            raise IngestError(f"{where}: not valid UTF-8") from None
        try:
            fields = _decode_line(text)
        except json.JSONDecodeError as exc:
            cut_off = exc.pos >= len(text.rstrip()) - 8 or exc.msg.startswith("Unterminated")
            if cut_off and not raw_line.endswith(b"\n"):  # the last line stops mid-value
                raise IngestError(f"{where}: the JSON ended early at byte {offset}") from None
            raise IngestError(
                f"{where}: not valid JSON ({exc.msg} at column {exc.colno})"
            ) from None
        if not isinstance(fields, dict):
            raise IngestError(f'{where}: expected an object like {{"id": ..., "passed": ...}}')
        yield number, fields


def read_jsonl(
    stream: IO[bytes], meta: RunMeta, name: str, columns: ColumnMap | None = None
) -> Iterator[CaseRow]:
    seen: dict[int, int] = {}
    mapping = _mapping(columns)
    for number, fields in json_lines(stream):
        where = f"line {number}"
        if mapping:
            fields = {**fields, **{ours: fields.get(theirs) for ours, theirs in mapping.items()}}
        checks = _json_checks(fields.get("checks"), where)
        yield _checked_unique(_row(fields, where, checks), seen, number)


def read_csv(
    stream: IO[bytes],
    meta: RunMeta,
    name: str,
    delimiter: str = ",",
    columns: ColumnMap | None = None,
) -> Iterator[CaseRow]:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    reader = csv.reader(text, delimiter=delimiter)
    seen: dict[int, int] = {}
    mapping = _mapping(columns)
    try:
        header = next(reader, None)
        while header is not None and not any(cell.strip() for cell in header):
            header = next(reader, None)  # blank lines before the header
        if header is None:
            return
        names = _header(header, reader.line_num)
        scores = _score_mode(names, mapping, columns, meta, reader.line_num)
        for cells in reader:
            where = f"line {reader.line_num}"
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) > len(names):
                raise IngestError(
                    f"{where}: {len(cells)} values but the header names {len(names)} columns"
                )
            fields: dict[str, object] = dict(zip(names, cells, strict=False))
            if mapping:
                fields.update({ours: fields.get(theirs) for ours, theirs in mapping.items()})
            if scores is not None:
                row = scores.row(fields, where, reader.line_num)
                if row is None:
                    meta.skipped += 1
                    continue
                yield row
                continue
            checks = [
                _named_check(column[len(CHECK_PREFIX) :], read_bool(value, where, column))
                for column, value in fields.items()
                if column.startswith(CHECK_PREFIX) and isinstance(value, str) and value.strip()
            ]
            yield _checked_unique(_row(fields, where, checks), seen, reader.line_num)
    except UnicodeDecodeError:
        raise IngestError(f"line {reader.line_num + 1}: not valid UTF-8") from None
    except csv.Error as exc:
        raise IngestError(f"line {reader.line_num}: {exc}") from None
    finally:
        text.detach()  # the caller owns the byte stream


def _mapping(columns: ColumnMap | None) -> dict[str, str]:
    if columns is None:
        return {}
    unknown = sorted(set(columns.fields) - MAP_FIELDS)
    if unknown:
        raise IngestError(
            f"--map: unknown field '{unknown[0]}'; map one of: {', '.join(sorted(MAP_FIELDS))}"
        )
    return {ours: theirs.strip().lower() for ours, theirs in columns.fields.items()}


def _score_mode(
    names: list[str],
    mapping: dict[str, str],
    columns: ColumnMap | None,
    meta: RunMeta,
    line: int,
) -> ScoreColumns | None:
    """A header with no pass column but score columns (Ragas, LangSmith, Braintrust): read the
    scores. Otherwise None, and the header must have our id and pass columns."""
    has_pass = any(f in names or f in mapping for f in PASS_FIELDS)
    extra = [column.strip().lower() for column in (columns.scores if columns else [])]
    missing = [column for column in [*extra, *mapping.values()] if column not in names]
    if missing:
        raise IngestError(f"line {line}: no column '{missing[0]}'; found: {', '.join(names)}")
    found = score_columns(names, extra)
    if has_pass or not found:
        if "id" not in names and "id" not in mapping:
            raise IngestError(f"line {line}: no 'id' column; found: {', '.join(names)}")
        if not has_pass:
            raise IngestError(
                f"line {line}: no 'passed' or 'grounded' column; found: {', '.join(names)} "
                "(score columns are named with --map score=COLUMN)"
            )
        return None
    threshold = columns.threshold if columns and columns.threshold is not None else None
    if threshold is None:
        threshold = 0.5
        meta.notes.append(
            f"scores ({', '.join(found)}) pass at 0.5 or more, the default; "
            "`--threshold` sets another pass mark"
        )
    return ScoreColumns(found, threshold, "id" if "id" in mapping else id_column(names))


def _decode_line(text: str) -> object:
    """json.loads, a little faster: decode in place and only then look at what follows."""
    try:
        value, end = _DECODER.raw_decode(text)
    except json.JSONDecodeError:
        return json.loads(text)  # leading spaces, or bad JSON: json.loads says it properly
    if text[end:].strip():
        return json.loads(text)  # raises "Extra data" with its column
    return value


def _header(cells: list[str], line: int) -> list[str]:
    columns = [cell.strip().lower() for cell in cells]
    for column in columns:
        if columns.count(column) > 1:
            raise IngestError(f"line {line}: the column '{column}' appears twice")
    return columns


def _row(fields: Mapping[str, object], where: str, checks: list[Check]) -> CaseRow:
    case_id = read_text(fields.get("id"))
    if case_id is None:
        raise IngestError(f"{where}: field 'id' is missing")
    errored, error_text = _error(fields.get("error"), where)
    passed: bool | None = None
    if not errored and type(fields.get("passed")) is bool:
        passed = bool(fields["passed"])  # the usual JSONL case, without the search below
    elif not errored:
        pass_field = next((f for f in PASS_FIELDS if _present(fields.get(f))), None)
        if pass_field is None:
            missing = next((f for f in PASS_FIELDS if f in fields), PASS_FIELDS[0])
            raise IngestError(f"{where}: field '{missing}' is missing")
        passed = read_bool(fields[pass_field], where, pass_field)
    return CaseRow(
        case_id=case_id,
        passed=passed,
        errored=errored,
        latency_ms=read_latency(fields, where),
        cost_usd=read_amount(fields.get("cost_usd"), where, "cost_usd"),
        label=first_text(fields, "label", "model"),
        question=read_text(fields.get("question")),
        reason=error_text or read_text(fields.get("reason")),
        checks=checks,
    )


def _error(value: object, where: str) -> tuple[bool, str | None]:
    """`error` holds a message (or true) when the system under test gave no answer."""
    if not _present(value):
        return False, None
    if isinstance(value, bool | int | float):
        return bool(value), None
    if isinstance(value, str) and value.strip().lower() in ("false", "no", "0"):
        return False, None
    if isinstance(value, str) and value.strip().lower() in ("true", "yes", "1"):
        return True, None
    if isinstance(value, dict):
        return True, read_text(value.get("message"))
    return True, read_text(value)


def _json_checks(value: object, where: str) -> list[Check]:
    if value is None:
        return []
    if not isinstance(value, dict):
        raise IngestError(f"{where}: field 'checks' should map check names to true/false")
    return [
        _named_check(str(key), read_bool(verdict, where, f"checks.{key}"))
        for key, verdict in value.items()
    ]


def _named_check(name: str, passed: bool) -> Check:
    """A home-made file's check has no tool type: its name says what it judges."""
    return Check(name=name, passed=passed, kind=by_name(CheckKind.OTHER, name))


def _checked_unique(row: CaseRow, seen: dict[int, int], line: int) -> CaseRow:
    """Refuse an id seen before (per label), remembering only a hash of each: a million ids
    kept as strings took 250 MB. Two different ids share a 64-bit hash with odds of about
    one in 40 million for a file of a million rows, which we accept."""
    first = seen.setdefault(hash((row.label, row.case_id)), line)
    if first != line:
        raise IngestError(f"line {line}: id '{row.case_id}' appears twice (first on line {first})")
    return row


def _present(value: object) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())
