"""promptfoo's `-o results.csv`: one record per test, with its vars, one output column per
provider and prompt (headed `[label] prompt`), and Status, Score, Named Scores,
`Metric: <name>` columns, Grader Reason and Comment.

The CSV keeps no latency or cost and no per-assertion verdict: a named metric's column holds its
score, which is 1 when every assertion under it passed. So a metric passes at a score of 1.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from typing import IO

from bot.ingest.case_ids import CaseIds
from bot.ingest.kinds import by_name
from bot.ingest.model import CaseRow, Check, CheckKind, IngestError, RunMeta, clip
from bot.ingest.values import read_text, shown

STATUS_WORDS = {"pass": True, "fail": False}
METRIC_PREFIX = "metric: "
OUTPUT_HEADER = re.compile(r"^\[(?P<label>[^\]]+)\]\s")
QUESTION_VARS = ("question", "query", "input", "prompt")
REQUIRED = ("status", "score", "named scores")


def is_promptfoo_header(line: str, delimiter: str) -> bool:
    cells = {cell.strip().strip('"').lower() for cell in line.split(delimiter)}
    return all(column in cells for column in REQUIRED)


def read_promptfoo_csv(
    stream: IO[bytes], meta: RunMeta, name: str, delimiter: str = ","
) -> Iterator[CaseRow]:
    meta.tool = "promptfoo"
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    reader = csv.reader(text, delimiter=delimiter)
    try:
        header = next(reader, None)
        if header is None:
            return
        layout = _Layout(header)
        ids = CaseIds()
        for index, cells in enumerate(reader):
            if not any(cell.strip() for cell in cells):
                continue
            yield ids.of(layout.row(cells, f"line {reader.line_num}", index))
    except UnicodeDecodeError:
        raise IngestError(f"line {reader.line_num + 1}: not valid UTF-8") from None
    except csv.Error as exc:
        raise IngestError(f"line {reader.line_num}: {exc}") from None
    finally:
        text.detach()


class _Layout:
    def __init__(self, header: list[str]) -> None:
        self.columns = [cell.strip() for cell in header]
        lower = [column.lower() for column in self.columns]
        self.status = lower.index("status")
        self.description = lower.index("description") if "description" in lower else None
        self.reason = lower.index("grader reason") if "grader reason" in lower else None
        outputs = [i for i, column in enumerate(self.columns) if OUTPUT_HEADER.match(column)]
        if len(outputs) > 1:
            raise IngestError(
                f"line 1: {len(outputs)} provider outputs in one CSV, but promptfoo's CSV has "
                "one status per test; send `-o results.json` instead"
            )
        match = OUTPUT_HEADER.match(self.columns[outputs[0]]) if outputs else None
        self.label = match.group("label").strip() if match else None
        first_var = 1 if self.description == 0 else 0
        last_var = outputs[0] if outputs else self.status
        self.vars = {lower[i]: i for i in range(first_var, last_var)}
        self.metrics = {
            i: column[len(METRIC_PREFIX) :].strip()
            for i, column in enumerate(self.columns)
            if column.lower().startswith(METRIC_PREFIX)
        }

    def row(self, cells: list[str], where: str, index: int) -> CaseRow:
        def cell(i: int | None) -> str:
            return cells[i].strip() if i is not None and i < len(cells) else ""

        status = cell(self.status).lower()
        if status != "error" and status not in STATUS_WORDS:
            raise IngestError(
                f"{where}: field 'Status' is {shown(cell(self.status))}, expected PASS, FAIL "
                "or ERROR"
            )
        errored = status == "error"
        question = next(
            (cell(self.vars[v]) for v in QUESTION_VARS if v in self.vars and cell(self.vars[v])),
            None,
        )
        description = read_text(cell(self.description))
        passed = None if errored else STATUS_WORDS[status]
        return CaseRow(
            case_id=description or f"test {index + 1}",
            passed=passed,
            errored=errored,
            label=self.label,
            question=read_text(question) or description,
            reason=None if passed else clip(cell(self.reason)),
            checks=[] if errored else self._checks(cell, where, passed is True),
        )

    def _checks(
        self, cell: Callable[[int | None], str], where: str, test_passed: bool
    ) -> list[Check]:
        """A metric below 1 on a test promptfoo passed was let through by the test's own
        `threshold`: it passes, as the JSON reader judges it."""
        checks: list[Check] = []
        for i, metric in self.metrics.items():
            value = cell(i)
            if not value:
                continue
            try:
                score = float(value)
            except ValueError:
                raise IngestError(
                    f"{where}: field 'Metric: {metric}' is {shown(value)}, expected a score"
                ) from None
            checks.append(
                Check(
                    name=metric,
                    passed=test_passed or score >= 1.0,
                    kind=by_name(CheckKind.OTHER, metric),
                    score=score,
                    threshold=1.0,
                )
            )
        return checks
