"""Every real-tool fixture (tests/fixtures/evals/real/, made by tests/fixtures/evals/make/)
stored through the upload service, on SQLite and PostgreSQL: counts, error rate, p95 and cost
equal numbers computed here from the raw file with the standard library, by what each file
says, not through bot.ingest. What counts as wrong follows the default: failed correctness and
groundedness checks; in these files the latency, cost and length (javascript) assertions are
the ones that must not count."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import zstandard
from hypothesis import given
from hypothesis import strategies as st

from bot.clock import SystemClock
from bot.services import evals, uploads
from bot.store.models import Feature
from tests.support.bot import BotUnderTest
from tests.support.evals import expected_p95, start_feature
from tests.support.paths import EVAL_FIXTURES

REAL = EVAL_FIXTURES / "real"
NOT_WRONG = {"latency", "cost", "javascript"}  # in promptfoo.*: speed, price, answer length


@dataclass
class Raw:
    errored: bool
    wrong: bool
    latency_ms: float | None = None
    cost_usd: float | None = None


def _promptfoo_result(result: dict[str, Any]) -> Raw:
    errored = result.get("failureReason") == 2
    components = (result.get("gradingResult") or {}).get("componentResults") or []
    # A test promptfoo passed (by its threshold, or an assert-set's) is no wrong answer; an
    # assert-set's result has no "assertion" and its parts are repeated after it, flattened.
    wrong = not result["success"] and any(
        not c["pass"] and c["assertion"]["type"] not in NOT_WRONG
        for c in components
        if "assertion" in c
    )
    return Raw(errored, wrong and not errored, result.get("latencyMs"), result.get("cost"))


def _full_credit(value: Any) -> bool:
    """Inspect's "C", a number at 1 or more (f1 gives 0.67), or a dict scorer's every part."""
    if isinstance(value, dict):
        return all(_full_credit(part) for part in value.values())
    return value == "C" or (isinstance(value, int | float) and value >= 1)


def _inspect_summary(sample: dict[str, Any]) -> Raw:
    errored = bool(sample.get("error"))
    wrong = not errored and any(not _full_credit(s["value"]) for s in sample["scores"].values())
    return Raw(errored, wrong, sample["total_time"] * 1000)


def _eval_member(path: Path, member: str) -> Any:
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
        if info.compress_type == 93:  # Zstandard: Python 3.11's zipfile cannot open it
            with path.open("rb") as raw:
                raw.seek(info.header_offset + 26)
                skip = int.from_bytes(raw.read(2), "little") + int.from_bytes(raw.read(2), "little")
                raw.seek(skip, io.SEEK_CUR)
                data = (
                    zstandard.ZstdDecompressor()
                    .decompressobj()
                    .decompress(raw.read(info.compress_size))
                )
        else:
            data = archive.read(member)
    return json.loads(data)


def _junit(path: Path) -> list[Raw]:
    root = ET.parse(path).getroot()
    promptfoo = root.get("name") == "promptfoo"
    pytest_run = root.get("name") == "pytest tests"
    cases: list[Raw] = []
    by_test: dict[tuple[str | None, str | None], Raw] = {}
    jest = root.get("name") == "jest tests"
    todo: set[int] = set()  # jest-junit: a test.todo is an empty case (time "0") that its
    for suite in root.iter("testsuite") if jest else []:  # suite's `tests` count leaves out
        in_suite = suite.findall("testcase")
        surplus = len(in_suite) - int(suite.get("tests", "0"))
        empty = [id(c) for c in in_suite if len(c) == 0 and c.get("time") == "0"]
        todo.update(empty[len(empty) - surplus :] if surplus > 0 else [])
    for case in root.iter("testcase"):
        if case.find("skipped") is not None or id(case) in todo:
            continue
        problem = case.find("error")
        if pytest_run and problem is not None and problem.get("message") == "collection failure":
            continue  # a module pytest could not import: no test of it ran
        failure, error = case.find("failure"), case.find("error")
        listed = (failure.text or "").split("Failed assertions:")[-1] if failure is not None else ""
        types = {line[2:].strip() for line in listed.splitlines() if line.startswith("- ")}
        wrong = failure is not None and (not promptfoo or bool(types - NOT_WRONG))
        latency = float(case.get("time", "0")) * 1000 if promptfoo else None
        key = (case.get("classname"), case.get("name"))
        if pytest_run and key in by_test:  # a rerun, or a failed call's teardown error
            first = by_test[key]
            first.wrong = first.wrong or wrong
            first.errored = not first.wrong and (first.errored or error is not None)
            continue
        cases.append(Raw(error is not None, wrong, latency))
        by_test[key] = cases[-1]
    return cases


def raw_cases(path: Path) -> list[Raw]:
    name = path.name
    if name in ("promptfoo.json", "promptfoo-v1.json", "promptfoo-assertions.json"):
        return [_promptfoo_result(r) for r in json.loads(path.read_text())["results"]["results"]]
    if name == "promptfoo.jsonl":
        return [_promptfoo_result(json.loads(line)) for line in path.read_text().splitlines()]
    if name == "promptfoo-assertions.csv":  # no named metric on a failed test: its Status
        with path.open(newline="") as handle:
            return [
                Raw(False, r["Status"] == "FAIL" and r["Metric: groundedness"] != "1.00")
                for r in csv.DictReader(handle)
            ]
    if name == "promptfoo.csv":  # only named metrics survive in the CSV; groundedness counts
        with path.open(newline="") as handle:
            return [
                Raw(
                    r["Status"] == "ERROR",
                    r["Status"] != "ERROR" and r["Metric: groundedness"] != "1.00",
                )
                for r in csv.DictReader(handle)
            ]
    if name.endswith(".junit.xml"):
        return _junit(path)
    if name.endswith(".eval"):
        return [_inspect_summary(s) for s in _eval_member(path, "summaries.json")]
    if name.startswith("inspect"):
        return [_inspect_summary(s) for s in json.loads(path.read_text())["samples"]]
    if name.startswith("deepeval"):
        data = json.loads(path.read_text())
        cases = data.get("testRunData", data)["testCases"]
        # A metric that raised has no score: DeepEval 4.3.1 writes it as success false with
        # only its name and threshold (and counts it under metricsScores' errors).
        return [
            Raw(
                False,
                any(not m["success"] for m in c["metricsData"] if "score" in m),
                c["completionTime"] * 1000,
                c["tokenCost"],
            )
            for c in cases
        ]
    if name.startswith("ragas"):  # default pass mark 0.5; an empty cell (NaN) judges nothing
        with path.open(newline="") as handle:
            rows = list(csv.DictReader(handle))
        scores = ("non_llm_context_recall", "string_present")
        return [Raw(False, any(r[s] != "" and float(r[s]) < 0.5 for s in scores)) for r in rows]
    if name.startswith("langsmith"):  # the SDK's to_pandas().to_csv(): feedback.<key> scores
        with path.open(newline="") as handle:
            return [
                Raw(
                    r["error"] != "",
                    r["error"] == ""
                    and (r["feedback.correct"] == "False" or float(r["feedback.grounded"]) < 0.5),
                    float(r["execution_time"]) * 1000,
                )
                for r in csv.DictReader(handle)
            ]
    raise AssertionError(f"no raw reader for {name}")


# Real files we refuse, each with its own message (tests/ingest/test_tool_shapes.py).
REFUSED = {
    "inspect-0.3.285-no-score.json",
    "inspect-0.3.285-cancelled.eval",
    "inspect-0.3.285-cancelled.json",
    "pytest-9.2.0-collection-error.junit.xml",
    "promptfoo.yaml",
    "promptfoo.xml",
    "promptfoo.html",
    *(f"promptfoo-2-providers.{ext}" for ext in ("json", "jsonl", "junit.xml")),
}
FIXTURE_NAMES = sorted(path.name for path in REAL.iterdir() if path.name not in REFUSED)


def test_every_real_fixture_has_a_raw_reader() -> None:
    assert len(FIXTURE_NAMES) == 26
    for name in FIXTURE_NAMES:
        assert raw_cases(REAL / name)


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_real_fixture_numbers(bot: BotUnderTest, name: str) -> None:
    start_feature(bot)
    cases = raw_cases(REAL / name)
    answered = [c for c in cases if not c.errored]
    wrong = sum(c.wrong for c in answered)
    latencies = [c.latency_ms for c in answered if c.latency_ms is not None]
    costs = [c.cost_usd for c in answered if c.cost_usd is not None]

    with bot.session() as session, (REAL / name).open("rb") as stream:
        feature = session.query(Feature).one()
        stored = uploads.ingest(session, SystemClock(), feature, evals.Upload(stream, name, "cli"))
        run = stored.run
        assert not stored.duplicate
        assert (run.n, run.n_failed, run.n_errored) == (
            len(answered),
            wrong,
            len(cases) - len(answered),
        )
        assert run.failure_rate == pytest.approx(wrong / len(answered))
        assert (
            run.latency_p95_ms == pytest.approx(expected_p95(latencies))
            if latencies
            else run.latency_p95_ms is None
        )
        if costs:
            assert run.cost_per_query_usd == pytest.approx(sum(costs) / len(costs))
        else:
            assert run.cost_per_query_usd is None
        assert run.checks_json is not None


def test_promptfoo_slow_and_long_answers_are_not_wrong(bot: BotUnderTest) -> None:
    """The issue's case: 3 ungrounded answers of 11 is 27%, not 45% (slow + too long)."""
    start_feature(bot)
    with bot.session() as session, (REAL / "promptfoo.json").open("rb") as stream:
        feature = session.query(Feature).one()
        run = uploads.ingest(session, SystemClock(), feature, evals.Upload(stream, "p", "cli")).run
        assert (run.n, run.n_failed) == (11, 3)
        record = run.checks_json or {}
        assert record["wrong_means"] == "wrong = failed groundedness or correctness"
        counted = {c["name"]: c["counted"] for c in record["checks"]}
        assert counted == {
            "latency": False,
            "cost": False,
            "length": False,
            "cites-source": True,
            "groundedness": True,
        }


@given(st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=300))
def test_the_expected_p95_is_what_the_sentence_claims(latencies: list[int]) -> None:
    """The helper the fixtures' p95 is checked against, checked itself against the sentence
    the product says ("95% of answers came back within X"): at least 95% took at most X, and
    X is the smallest latency for which that is true (so no rounding up)."""
    p95 = expected_p95([float(ms) for ms in latencies])
    assert p95 is not None
    within = sum(ms <= p95 for ms in latencies)
    assert within * 100 >= 95 * len(latencies)
    below = sum(ms < p95 for ms in latencies)
    assert below * 100 < 95 * len(latencies)
