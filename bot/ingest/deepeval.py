"""DeepEval test runs: `.deepeval/.latest_test_run.json` (the run under `testRunData`) and
`test_run_<time>.json` (written where DEEPEVAL_RESULTS_FOLDER points; the run at the top).

One CaseRow per entry of `testCases`; each entry of its `metricsData` becomes a check with
DeepEval's own score, threshold and success. A metric that raised judged nothing: `error` set,
or (DeepEval 4.3.1, when the exception ends the test) `success: false` with no score, reason or
error, only its name and threshold. A case none of whose metrics could judge it is errored.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from bot.ingest.case_ids import CaseIds
from bot.ingest.jsonstream import JsonStream
from bot.ingest.kinds import deepeval_kind
from bot.ingest.model import CaseRow, Check, IngestError, RunMeta, clip
from bot.ingest.values import finite_number, mapping, read_amount, read_bool, read_text


def read_deepeval(stream: JsonStream, meta: RunMeta, name: str) -> Iterator[CaseRow]:
    meta.tool = "deepeval"
    found = [False]
    yield from _run(stream, meta, name, found, CaseIds())
    stream.end()
    if not found[0]:
        raise IngestError(f"{name}: not a DeepEval test run (no 'testCases' list)")


def _run(
    stream: JsonStream,
    meta: RunMeta,
    name: str,
    found: list[bool],
    ids: CaseIds,
) -> Iterator[CaseRow]:
    for key in stream.members():
        if key == "testRunData" and stream.peek() == "{":
            yield from _run(stream, meta, name, found, ids)
        elif key == "testCases" and stream.peek() == "[":
            found[0] = True
            for index in stream.items():
                yield ids.of(_row(stream.value(), f"{name}: test case {index + 1}", index))
        elif key == "hyperparameters" and stream.peek() == "{":
            model = read_text(mapping(stream.value()).get("model"))
            meta.label = meta.label or model
        else:
            stream.skip()


def _row(raw: object, where: str, index: int) -> CaseRow:
    if not isinstance(raw, Mapping):
        raise IngestError(f"{where}: expected an object")
    case_id = read_text(raw.get("name")) or read_text(raw.get("input")) or f"test {index + 1}"
    where = f"{where} ({case_id!r})"
    metrics = raw.get("metricsData")
    if metrics is not None and not isinstance(metrics, list):
        raise IngestError(f"{where}: field 'metricsData' should be a list")
    checks = [check for m in metrics or [] if (check := _check(m, where)) is not None]
    errors = [_error(mapping(m)) for m in metrics or []]
    errored = bool(metrics) and not checks
    passed: bool | None = None
    if not errored:
        if "success" not in raw:
            raise IngestError(f"{where}: field 'success' is missing")
        passed = read_bool(raw["success"], where, "success")
    seconds = read_amount(raw.get("completionTime"), where, "completionTime")
    return CaseRow(
        case_id=case_id,
        passed=passed,
        errored=errored,
        latency_ms=None if seconds is None else seconds * 1000,
        cost_usd=read_amount(raw.get("tokenCost"), where, "tokenCost"),
        question=read_text(raw.get("input")),
        reason=_reason(checks, metrics or [], errors) if not passed else None,
        checks=checks,
    )


def _check(raw: object, where: str) -> Check | None:
    metric = mapping(raw)
    name = read_text(metric.get("name"))
    if name is None:
        raise IngestError(f"{where}: a metric has no 'name'")
    if _raised(metric):
        return None  # it judged nothing
    return Check(
        name=name,
        passed=read_bool(metric.get("success"), where, f"{name}.success"),
        kind=deepeval_kind(name),
        score=finite_number(metric.get("score")),
        threshold=finite_number(metric.get("threshold")),
        tool_type=name,
    )


def _raised(metric: Mapping[str, Any]) -> bool:
    if metric.get("error") is not None or metric.get("success") is None:
        return True
    left_only_a_verdict = metric.get("score") is None and metric.get("reason") is None
    return left_only_a_verdict and metric.get("success") is False


def _error(metric: Mapping[str, Any]) -> str | None:
    error = read_text(metric.get("error"))
    if error is None and _raised(metric) and (name := read_text(metric.get("name"))):
        return f"{name} judged nothing: it raised"
    return error


def _reason(checks: list[Check], metrics: list[Any], errors: list[str | None]) -> str | None:
    failed = {c.name for c in checks if not c.passed}
    for metric in metrics:
        entry = mapping(metric)
        if read_text(entry.get("name")) in failed:
            why = read_text(entry.get("reason"))
            return clip(f"{entry.get('name')} failed" + (f": {why}" if why else ""))
    error = next((e for e in errors if e), None)
    return clip(error)
