"""promptfoo's `-o results.json` and `-o results.jsonl`: one CaseRow per result."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import IO, Any

from bot.ingest.case_ids import CaseIds
from bot.ingest.jsonstream import JsonStream
from bot.ingest.kinds import promptfoo_kind
from bot.ingest.model import (
    KIND_ORDER,
    CaseRow,
    Check,
    IngestError,
    RunMeta,
    clip,
    merge_checks,
)
from bot.ingest.tabular import json_lines
from bot.ingest.values import finite_number, first_text, mapping, read_amount, read_bool, read_text

ERROR_REASON = 2  # promptfoo's ResultFailureReason: 0 none, 1 an assertion failed, 2 an error


def read_promptfoo(stream: JsonStream, meta: RunMeta, name: str) -> Iterator[CaseRow]:
    meta.tool = "promptfoo"
    found = False
    ids = CaseIds()  # descriptions need not be unique in promptfoo; ids are, per label
    for key in stream.members():
        if key == "results" and stream.peek() == "{":
            for inner in stream.members():
                if inner == "results" and stream.peek() == "[":
                    found = True
                    for index in stream.items():
                        row = _row(stream.value(), f"{name}: result {index + 1}", index)
                        yield ids.of(row)
                else:
                    stream.skip()
        elif key == "metadata" and stream.peek() == "{":
            metadata = stream.value()
            meta.tool_version = read_text(metadata.get("promptfooVersion"))
        else:
            stream.skip()
    stream.end()
    if not found:
        raise IngestError(f"{name}: not a promptfoo file (no 'results.results' list)")


def _row(raw: object, where: str, index: int) -> CaseRow:
    if not isinstance(raw, dict):
        raise IngestError(f"{where}: expected an object")
    grading = mapping(raw.get("gradingResult"))
    failure_reason = raw.get("failureReason")
    errored = failure_reason == ERROR_REASON or (
        failure_reason is None and bool(raw.get("error")) and not grading
    )
    passed: bool | None = None
    if not errored:
        if "success" not in raw:
            raise IngestError(f"{where}: field 'success' is missing")
        passed = read_bool(raw["success"], where, "success")
    test = mapping(raw.get("testCase"))
    variables = mapping(raw.get("vars")) or mapping(test.get("vars"))
    description = read_text(test.get("description"))
    return CaseRow(
        case_id=description or f"test {_test_number(raw, index)}",
        passed=passed,
        errored=errored,
        latency_ms=read_amount(raw.get("latencyMs"), where, "latencyMs"),
        cost_usd=read_amount(raw.get("cost"), where, "cost"),
        label=_label(raw.get("provider")),
        question=first_text(variables, "question", "query", "input", "prompt") or description,
        reason=None if passed else clip(_reason(raw, grading)),
        checks=_checks(grading, passed is True),
    )


def _test_number(raw: Mapping[str, Any], index: int) -> int:
    test_index = raw.get("testIdx")
    if isinstance(test_index, int) and not isinstance(test_index, bool) and test_index >= 0:
        return test_index + 1
    return index + 1


def _label(provider: object) -> str | None:
    if isinstance(provider, Mapping):
        return read_text(provider.get("label")) or read_text(provider.get("id"))
    return read_text(provider)


def _reason(raw: Mapping[str, Any], grading: Mapping[str, Any]) -> str | None:
    return read_text(raw.get("error")) or read_text(grading.get("reason"))


def _checks(grading: Mapping[str, Any], test_passed: bool) -> list[Check]:
    """One check per assertion, named by its `metric` (else its `type`); assertions sharing a
    name are one check that passes when all of them passed, scored by promptfoo's named score.

    A test promptfoo passed has no failed check: a part fails there only because the test's
    own `threshold` (an aggregate score) let it, and the team's threshold is the verdict."""
    named = mapping(grading.get("namedScores"))
    checks = []
    for check in merge_checks(_component_checks(grading.get("componentResults"))):
        update: dict[str, object] = {}
        if check.score is None and (score := finite_number(named.get(check.name))) is not None:
            update["score"] = score
        if test_passed and not check.passed:
            update["passed"] = True
        checks.append(check.model_copy(update=update) if update else check)
    return checks


def _component_checks(components: object) -> Iterator[Check]:
    """promptfoo 0.121 writes an assert-set as a result with no `assertion`, its parts nested
    in it and then repeated, flattened, after it: the set is one check, its parts none."""
    if not isinstance(components, list):
        return
    repeated: list[object] = []  # the last set's parts, expected next at this level
    for component in components:
        if repeated and component == repeated[0]:
            repeated.pop(0)
            continue
        repeated = []
        if not isinstance(component, Mapping):
            continue
        assertion = mapping(component.get("assertion"))
        kind_name = read_text(assertion.get("type"))
        parts = component.get("componentResults")
        if kind_name == "assert-set" or (not assertion and isinstance(parts, list)):
            yield from _set_check(component, assertion, parts)
            repeated = list(parts) if isinstance(parts, list) else []
            continue
        metric = read_text(assertion.get("metric"))
        name = metric or kind_name
        verdict = component.get("pass")
        if name is None or not isinstance(verdict, bool):
            continue
        yield Check(
            name=name,
            passed=verdict,
            kind=promptfoo_kind(kind_name, metric),
            score=finite_number(component.get("score")),
            threshold=finite_number(assertion.get("threshold")),
            tool_type=kind_name,
        )


def _set_check(
    component: Mapping[str, Any], assertion: Mapping[str, Any], parts: object
) -> Iterator[Check]:
    """An assert-set's own verdict (its threshold applied), as strong a kind as its parts."""
    verdict = component.get("pass")
    inner = list(_component_checks(parts))
    if not isinstance(verdict, bool):
        yield from inner  # no verdict of its own: its parts are the checks
        return
    metric = read_text(assertion.get("metric"))
    kinds = [check.kind for check in inner] or [promptfoo_kind("assert-set", metric)]
    yield Check(
        name=metric or "assert-set",
        passed=verdict,
        kind=min(kinds, key=KIND_ORDER.index),
        score=finite_number(component.get("score")),
        threshold=finite_number(
            mapping(mapping(component.get("metadata")).get("assertionSet")).get("threshold")
        ),
        tool_type="assert-set",
    )


def read_promptfoo_jsonl(stream: IO[bytes], meta: RunMeta, name: str) -> Iterator[CaseRow]:
    """promptfoo's `-o results.jsonl`: one result per line, the same objects as in the JSON's
    `results.results` (no version or metadata line)."""
    meta.tool = "promptfoo"
    ids = CaseIds()
    for index, (number, fields) in enumerate(json_lines(stream)):
        yield ids.of(_row(fields, f"line {number}", index))
