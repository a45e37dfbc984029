"""Real promptfoo and Inspect outputs and the hand-written JSONL/CSV examples read as expected.

Expected counts are computed here straight from the raw files, not from the reader's own logic.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from bot.ingest import CaseRow, CheckKind, Format, IngestError, RunMeta, read_cases
from tests.support.paths import EVAL_FIXTURES

FIXTURES = EVAL_FIXTURES


def read(
    path: Path, fmt: Format = Format.AUTO, metric: str | None = None
) -> tuple[Format, list[CaseRow], RunMeta]:
    with path.open("rb") as stream:
        found, rows, meta = read_cases(stream, fmt, metric=metric, name=path.name)
        return found, list(rows), meta


def raw_json(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def test_promptfoo_counts_match_the_raw_file() -> None:
    raw = raw_json("real/promptfoo-v1.json")["results"]["results"]
    errors = [r for r in raw if r["failureReason"] == 2]
    passes = [r for r in raw if r["success"] and r["failureReason"] != 2]

    fmt, rows, meta = read(FIXTURES / "real" / "promptfoo-v1.json")

    assert fmt is Format.PROMPTFOO
    assert len(rows) == len(raw) == 12
    assert sum(row.errored for row in rows) == len(errors) == 1
    assert sum(row.passed is True for row in rows) == len(passes) == 8
    assert sum(row.passed is False for row in rows) == 3
    assert meta.tool == "promptfoo"
    assert meta.tool_version == raw_json("real/promptfoo-v1.json")["metadata"]["promptfooVersion"]
    assert meta.label == "support-bot-v1"


def test_promptfoo_row_fields() -> None:
    _, rows, _ = read(FIXTURES / "real" / "promptfoo-v1.json")
    by_id = {row.case_id: row for row in rows}

    outage = by_id["during an outage"]
    assert outage.passed is None
    assert outage.errored
    assert outage.reason == "upstream model timed out after 30 s"

    discount = by_id["student discount"]
    assert discount.passed is False
    assert discount.verdicts() == {"no-hedging": True, "groundedness": False, "cites-source": True}
    assert discount.latency_ms is not None and discount.latency_ms >= 0
    assert discount.cost_usd == pytest.approx(0.0004)
    assert discount.question == "Is there a discount for students?"
    assert discount.reason is not None and "30%" in discount.reason

    assert by_id["refund window"].reason is None  # passing cases carry no reason


def test_promptfoo_metric_judges_by_that_check_only() -> None:
    raw = raw_json("real/promptfoo-v1.json")["results"]["results"]
    grounded = 0
    failed = 0
    for result in raw:
        components = (result.get("gradingResult") or {}).get("componentResults", [])
        verdicts = [c["pass"] for c in components if c["assertion"].get("metric") == "groundedness"]
        if verdicts:
            grounded += all(verdicts)
            failed += not all(verdicts)

    _, rows, _ = read(FIXTURES / "real" / "promptfoo-v1.json", metric="groundedness")

    assert sum(row.passed is True for row in rows) == grounded == 8
    assert sum(row.passed is False for row in rows) == failed == 3
    assert sum(row.errored for row in rows) == 1  # errored cases stay, whatever the metric


def test_inspect_counts_match_the_raw_file() -> None:
    log = raw_json("real/inspect-0.3.285.json")
    samples = log["samples"]
    errored = [s for s in samples if s.get("error")]
    passes = [
        s
        for s in samples
        if not s.get("error") and all(score["value"] == "C" for score in s["scores"].values())
    ]

    fmt, rows, meta = read(FIXTURES / "real" / "inspect-0.3.285.json")

    assert fmt is Format.INSPECT
    assert len(rows) == len(samples) == 8
    assert sum(row.errored for row in rows) == len(errored) == 1
    assert sum(row.passed is True for row in rows) == len(passes) == 1
    assert meta.tool == "inspect"
    assert meta.tool_version == log["eval"]["packages"]["inspect_ai"]
    assert meta.label == log["eval"]["model"] == "mockllm/model"
    by_id = {row.case_id: row for row in rows}
    assert by_id["languages"].verdicts() == {"includes": True, "match": False}
    assert by_id["outage"].reason is not None and "timed out" in by_id["outage"].reason
    sample = next(s for s in samples if s["id"] == "languages")
    assert by_id["languages"].latency_ms == pytest.approx(sample["total_time"] * 1000)
    assert by_id["languages"].question == "Which languages are supported?"


def test_inspect_metric_uses_one_scorer() -> None:
    samples = raw_json("real/inspect-0.3.285.json")["samples"]
    includes_passed = sum(
        1 for s in samples if not s.get("error") and s["scores"]["includes"]["value"] == "C"
    )

    _, rows, _ = read(FIXTURES / "real" / "inspect-0.3.285.json", metric="includes")

    assert sum(row.passed is True for row in rows) == includes_passed == 5


def test_jsonl_example() -> None:
    lines = [
        json.loads(line)
        for line in (FIXTURES / "ours" / "cases.jsonl").read_text().splitlines()
        if line.strip()
    ]

    fmt, rows, meta = read(FIXTURES / "ours" / "cases.jsonl")

    assert fmt is Format.JSONL
    assert [row.case_id for row in rows] == [line["id"] for line in lines]
    assert sum(row.errored for row in rows) == sum("error" in line for line in lines) == 1
    assert [row.passed for row in rows] == [True, True, False, True, False, True, None, False]
    assert meta.label == "gpt-4o-mini"
    assert meta.tool is None
    assert rows[0].latency_ms == 812 and rows[0].cost_usd == pytest.approx(0.0021)
    assert rows[5].latency_ms is None


def test_csv_example() -> None:
    with (FIXTURES / "ours" / "cases.csv").open(newline="") as handle:
        records = list(csv.DictReader(handle))

    fmt, rows, meta = read(FIXTURES / "ours" / "cases.csv")

    assert fmt is Format.CSV
    assert len(rows) == len(records) == 8
    assert [row.case_id for row in rows] == [record["id"] for record in records]
    assert sum(row.errored for row in rows) == sum(bool(r["error"]) for r in records)
    assert [row.passed for row in rows] == [True, True, False, True, False, True, None, False]
    assert rows[3].question == "I forgot my password, what now?"
    assert rows[3].verdicts() == {"groundedness": True, "cites-source": False}
    assert rows[7].reason == 'Answered instead of saying "not sure".'
    assert meta.label == "claude-haiku"


@pytest.mark.parametrize("name", ["ours/cases.jsonl", "ours/cases.csv"])
def test_tabular_metric(name: str) -> None:
    _, rows, _ = read(FIXTURES / name, metric="cites-source")
    # student-discount has no cites-source check, so it is left out; the errored case stays.
    assert [row.case_id for row in rows if not row.errored] == [
        "refund-window",
        "shipping-time",
        "warranty-length",
        "password-reset",
        "export-data",
        "gift-cards",
    ]
    assert [row.passed for row in rows if not row.errored] == [
        True,
        True,
        False,
        False,
        True,
        False,
    ]


def test_explicit_format_is_honoured() -> None:
    fmt, rows, _ = read(FIXTURES / "real" / "promptfoo-v1.json", Format.PROMPTFOO)
    assert fmt is Format.PROMPTFOO and len(rows) == 12


def test_explicit_format_that_does_not_fit() -> None:
    with pytest.raises(IngestError) as caught:
        read(FIXTURES / "real" / "inspect-0.3.285.json", Format.PROMPTFOO)
    assert (
        caught.value.message
        == "inspect-0.3.285.json: not a promptfoo file (it looks like an Inspect log)"
    )


def test_metric_pass_drops_the_overall_failure_reason() -> None:
    _, rows, _ = read(FIXTURES / "real" / "promptfoo-v1.json", metric="cites-source")
    discount = next(row for row in rows if row.case_id == "student discount")
    assert discount.passed is True
    assert discount.reason is None


def test_checks_carry_the_tools_own_type_and_kind() -> None:
    raw = raw_json("real/promptfoo-v1.json")["results"]["results"]
    discount_raw = next(r for r in raw if r["testCase"]["description"] == "student discount")
    types = {
        c["assertion"]["metric"]: c["assertion"]["type"]
        for c in discount_raw["gradingResult"]["componentResults"]
    }

    _, rows, _ = read(FIXTURES / "real" / "promptfoo-v1.json")
    discount = next(row for row in rows if row.case_id == "student discount")

    assert {c.name: c.tool_type for c in discount.checks} == types
    kinds = {c.name: c.kind for c in discount.checks}
    assert kinds == {
        "no-hedging": CheckKind.CORRECTNESS,  # not-icontains: about the answer's content
        "groundedness": CheckKind.GROUNDEDNESS,  # an icontains the team named groundedness
        "cites-source": CheckKind.CORRECTNESS,
    }
    _, inspect_rows, _ = read(FIXTURES / "real" / "inspect-0.3.285.json")
    languages = next(row for row in inspect_rows if row.case_id == "languages")
    assert [(c.name, c.kind) for c in languages.checks] == [
        ("includes", CheckKind.CORRECTNESS),
        ("match", CheckKind.CORRECTNESS),
    ]
