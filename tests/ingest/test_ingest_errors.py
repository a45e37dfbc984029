"""Bad eval files give one line that names the line, field or byte, and nothing but IngestError."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from bot.ingest import Format, IngestError, read_cases
from tests.support.paths import EVAL_FIXTURES

FIXTURES = EVAL_FIXTURES
BROKEN = FIXTURES / "broken"


def error_for(data: bytes, name: str, fmt: Format = Format.AUTO, metric: str | None = None) -> str:
    with pytest.raises(IngestError) as caught:
        _, rows, _ = read_cases(io.BytesIO(data), fmt, metric=metric, name=name)
        list(rows)
    message = caught.value.message
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("missing_passed.jsonl", "line 3: field 'passed' is missing"),
        (
            "not_boolean.csv",
            "line 4: field 'grounded' is 'maybe', expected true/false, yes/no, pass/fail or 1/0",
        ),
        ("negative_latency.jsonl", "line 2: field 'latency_ms' is negative (-12)"),
        ("negative_cost.csv", "line 3: field 'cost_usd' is negative (-0.01)"),
        ("nan_cost.jsonl", "line 2: field 'cost_usd' is NaN, expected a number"),
        ("duplicate_ids.csv", "line 5: id 'q2' appears twice (first on line 3)"),
        ("truncated.jsonl", "line 2: the JSON ended early at byte 53"),
        (
            "truncated_promptfoo.json",
            "truncated_promptfoo.json: the JSON ended early at byte 20000",
        ),
        ("empty.json", "empty.json: no test cases (the file is empty)"),
        ("header_only.csv", "header_only.csv: no test cases"),
        ("no_results_promptfoo.json", "no_results_promptfoo.json: no test cases"),
        ("wrong_format.json", "wrong_format.json: not a promptfoo, Inspect or DeepEval file"),
        ("notes.txt", "notes.txt: not a promptfoo, Inspect, DeepEval, JUnit, JSONL or CSV file"),
    ],
)
def test_broken_fixture(name: str, expected: str) -> None:
    assert error_for((BROKEN / name).read_bytes(), name) == expected


def test_unknown_metric_lists_what_the_file_has() -> None:
    data = (FIXTURES / "real" / "promptfoo-v1.json").read_bytes()
    assert error_for(data, "results.json", metric="faithfulness") == (
        "no check named 'faithfulness' in results.json; "
        "found: cites-source, groundedness, no-hedging"
    )


def test_metric_on_a_file_without_checks() -> None:
    data = b'{"id": "a", "passed": true}\n'
    assert error_for(data, "runs.jsonl", metric="groundedness") == (
        "no check named 'groundedness' in runs.jsonl; found: no named checks"
    )


def mutated_inspect(change: Any) -> bytes:
    log = json.loads((FIXTURES / "real" / "inspect-0.3.285.json").read_text())
    change(log)
    return json.dumps(log, indent=2).encode()


def test_inspect_sample_without_scores() -> None:
    def drop_scores(log: dict[str, Any]) -> None:
        del log["samples"][0]["scores"]

    assert error_for(mutated_inspect(drop_scores), "log.json") == (
        "log.json: sample 1 (id 'discount'): field 'scores' is missing"
    )


def test_inspect_score_we_cannot_read() -> None:
    def odd_score(log: dict[str, Any]) -> None:
        log["samples"][1]["scores"]["match"]["value"] = "sort of"

    assert error_for(mutated_inspect(odd_score), "log.json") == (
        "log.json: sample 2 (id 'export'): score 'match' is 'sort of', not a pass or fail"
    )


def test_inspect_negative_time() -> None:
    def negative(log: dict[str, Any]) -> None:
        log["samples"][2]["total_time"] = -1

    assert error_for(mutated_inspect(negative), "log.json") == (
        "log.json: sample 3 (id 'languages'): field 'total_time' is negative (-1)"
    )


def test_promptfoo_result_missing_success() -> None:
    doc = json.loads((FIXTURES / "real" / "promptfoo-v1.json").read_text())
    del doc["results"]["results"][4]["success"]
    data = json.dumps(doc, indent=2).encode()
    assert error_for(data, "results.json") == "results.json: result 5: field 'success' is missing"


def test_promptfoo_bad_json_names_the_byte() -> None:
    text = (FIXTURES / "real" / "promptfoo-v1.json").read_text()
    position = text.index('"latencyMs"')
    broken = (text[:position] + "oops " + text[position:]).encode()
    message = error_for(broken, "results.json")
    assert message.startswith(f"results.json: not valid JSON at byte {position}: ")


def test_csv_without_a_pass_column() -> None:
    assert error_for(b"id,score\na,0.3\n", "scores.csv") == (
        "line 1: no 'passed' or 'grounded' column; found: id, score "
        "(score columns are named with --map score=COLUMN)"
    )


def test_csv_with_too_many_values() -> None:
    assert error_for(b"id,passed\na,yes,extra\n", "x.csv") == (
        "line 2: 3 values but the header names 2 columns"
    )


def test_jsonl_line_that_is_not_an_object() -> None:
    message = error_for(b'{"id": "a", "passed": true}\n[1, 2]\n', "x.jsonl")
    assert message.startswith("line 2: expected an object")


def test_jsonl_missing_id() -> None:
    assert error_for(b'{"passed": true}\n', "x.jsonl") == "line 1: field 'id' is missing"


def test_not_utf8() -> None:
    assert error_for(b'{"id": "a", "passed": true}\n{"id": "\xff"}\n', "x.jsonl") == (
        "line 2: not valid UTF-8"
    )


def test_deep_nesting_is_reported_not_crashed() -> None:
    data = b'{"evalId": "e", "results": {"results": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}}"
    message = error_for(data, "deep.json")
    assert message.startswith("deep.json: ")


def test_errored_row_needs_no_pass_field() -> None:
    data = b'{"id": "a", "error": "timeout"}\n{"id": "b", "passed": "no"}\n'
    _, rows, _ = read_cases(io.BytesIO(data), name="x.jsonl")
    first, second = list(rows)
    assert first.errored and first.passed is None and first.reason == "timeout"
    assert second.passed is False and not second.errored


def test_same_id_under_different_labels_is_fine() -> None:
    data = b"id,passed,model\nq1,yes,a\nq1,no,b\n"
    _, rows, meta = read_cases(io.BytesIO(data), name="x.csv")
    assert [row.label for row in rows] == ["a", "b"]
    assert meta.label is None  # two labels: the run has no single one


def test_unknown_format_name() -> None:
    with pytest.raises(IngestError) as caught:
        read_cases(io.BytesIO(b"id,passed\na,yes\n"), "xml", name="x.csv")  # type: ignore[arg-type]
    assert caught.value.message == (
        "unknown format 'xml'; use one of: auto, promptfoo, inspect, deepeval, junit, jsonl, csv"
    )
