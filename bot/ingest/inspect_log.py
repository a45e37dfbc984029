"""Inspect's JSON eval log (`--log-format json`): one CaseRow per entry of `samples`.

The .eval log (a zip, Inspect's default) is read by inspect_eval.py with the same sample reader.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

from bot.ingest.jsonstream import JsonStream
from bot.ingest.kinds import by_name, inspect_kind
from bot.ingest.model import CaseRow, Check, IngestError, RunMeta, clip
from bot.ingest.values import FALSE_WORDS, TRUE_WORDS, mapping, read_amount, read_text, shown

# Inspect's letter grades: correct, incorrect, partial, no answer. Only full credit passes.
GRADE_PASSES = {"C": True, "I": False, "P": False, "N": False}


# A log Inspect wrote for a run that did not finish: cancelled (Ctrl-C) or still running.
UNFINISHED = {"cancelled": "was cancelled", "started": "had not finished (status 'started')"}


def refuse_unfinished(status: object, results: object, name: str) -> None:
    """Its samples are part of a run, and the ones interrupted in flight are written as
    errors (CancelledError) that no model made: no number of it is the run's."""
    said = UNFINISHED.get(status) if isinstance(status, str) else None
    if said is None:
        return
    done, total = mapping(results).get("completed_samples"), mapping(results).get("total_samples")
    counted = f" after {done} of {total} samples" if isinstance(done, int) and total else ""
    raise IngestError(
        f"{name}: Inspect's log says the eval {said}{counted}, so its numbers are not the "
        "run's; finish it with `inspect eval-retry LOG` and send that log"
    )


def read_inspect(stream: JsonStream, meta: RunMeta, name: str) -> Iterator[CaseRow]:
    meta.tool = "inspect"
    model: str | None = None
    epochs = 1
    seen_eval = False
    status: object = None
    results: object = None
    for key in stream.members():
        if key == "eval" and stream.peek() == "{":
            model, epochs = read_eval_section(stream.value(), meta)
            seen_eval = True
        elif key in ("status", "results"):  # both come before the samples in Inspect's logs
            status, results = (
                (stream.value(), results) if key == "status" else (status, stream.value())
            )
        elif key == "samples" and stream.peek() == "[":
            refuse_unfinished(status, results, name)
            for index in stream.items():
                yield sample_row(stream.value(), f"{name}: sample {index + 1}", model, epochs)
        else:
            stream.skip()
    stream.end()
    if not seen_eval:
        raise IngestError(f"{name}: not an Inspect log (no 'eval' section)")
    refuse_unfinished(status, results, name)  # a log with no samples yet


def read_eval_section(header: object, meta: RunMeta) -> tuple[str | None, int]:
    """The log's `eval` section: the model (the run's label), epochs, Inspect's version."""
    header = mapping(header)
    meta.tool = "inspect"
    meta.tool_version = read_text(mapping(header.get("packages")).get("inspect_ai"))
    configured = mapping(header.get("config")).get("epochs")
    epochs = configured if isinstance(configured, int) and configured > 1 else 1
    return read_text(header.get("model")), epochs


def sample_row(raw: object, where: str, model: str | None, epochs: int) -> CaseRow:
    """One sample, from the JSON log's `samples` or a .eval log's `summaries.json` (the same
    fields, without the messages)."""
    if not isinstance(raw, Mapping):
        raise IngestError(f"{where}: expected an object")
    sample_id = read_text(raw.get("id"))
    if sample_id is None:
        raise IngestError(f"{where}: field 'id' is missing")
    where = f"{where} (id {sample_id!r})"
    epoch = raw.get("epoch")
    case_id = sample_id if epochs == 1 else f"{sample_id} (epoch {epoch})"
    error = raw.get("error")
    errored = error is not None
    scores = mapping(raw.get("scores"))
    checks = _checks(scores, where)
    passed: bool | None = None
    if not errored:
        if "scores" not in raw:
            raise IngestError(f"{where}: field 'scores' is missing")
        if not checks:  # `inspect eval --no-score` writes `"scores": {}` for every sample
            raise IngestError(
                f"{where}: no scores, so nothing to judge (a log written with --no-score?); "
                "score it with `inspect score LOG` and send the scored log"
            )
        passed = all(check.passed for check in checks)
    return CaseRow(
        case_id=case_id,
        passed=passed,
        errored=errored,
        latency_ms=_seconds_to_ms(raw, where),
        cost_usd=_cost(raw.get("model_usage"), where),
        label=model,
        question=_question(raw.get("input")),
        reason=_error_text(error) if errored else _failure_reason(scores, checks),
        checks=checks,
    )


def _checks(scores: Mapping[str, Any], where: str) -> list[Check]:
    checks: list[Check] = []
    for scorer, score in scores.items():
        value = mapping(score).get("value")
        parts = value.items() if isinstance(value, Mapping) else [(None, value)]
        for part, part_value in parts:  # a scorer that returns several named values
            name = scorer if part is None else f"{scorer}.{part}"
            verdict = _verdict(part_value, name, where)
            if verdict is not None:
                checks.append(
                    Check(
                        name=name,
                        passed=verdict,
                        kind=by_name(inspect_kind(scorer), name),
                        score=_number(part_value),
                        tool_type=scorer,
                    )
                )
    return checks


def _number(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def _verdict(value: object, scorer: str, where: str) -> bool | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise IngestError(f"{where}: score '{scorer}' is {shown(value)}, expected a number")
        return value >= 1
    if isinstance(value, str):
        word = value.strip()
        if word.upper() in GRADE_PASSES:
            return GRADE_PASSES[word.upper()]
        if word.lower() in TRUE_WORDS | FALSE_WORDS:
            return word.lower() in TRUE_WORDS
        try:
            number = float(word)
        except ValueError:
            pass
        else:
            if math.isfinite(number):
                return number >= 1
    raise IngestError(f"{where}: score '{scorer}' is {shown(value)}, not a pass or fail")


def _seconds_to_ms(raw: Mapping[str, Any], where: str) -> float | None:
    for field in ("total_time", "working_time"):
        seconds = read_amount(raw.get(field), where, field)
        if seconds is not None:
            return seconds * 1000
    return None


def _cost(usage: object, where: str) -> float | None:
    """Newer Inspect versions record a cost per model; older ones none (then unknown)."""
    costs = [
        read_amount(mapping(per_model).get("total_cost"), where, "total_cost")
        for per_model in mapping(usage).values()
    ]
    known = [cost for cost in costs if cost is not None]
    return sum(known) if known else None


def _question(value: object) -> str | None:
    if isinstance(value, list):  # chat messages: the last thing the user said
        for message in reversed(value):
            if isinstance(message, Mapping) and message.get("role") == "user":
                return _content_text(message.get("content"))
        return None
    return read_text(value)


def _content_text(content: object) -> str | None:
    if isinstance(content, list):
        parts = [read_text(mapping(part).get("text")) for part in content]
        return clip(" ".join(part for part in parts if part))
    return read_text(content)


def _error_text(error: object) -> str | None:
    if isinstance(error, Mapping):
        return read_text(error.get("message"))
    return read_text(error)


def _failure_reason(scores: Mapping[str, Any], checks: list[Check]) -> str | None:
    failed = [check.name for check in checks if not check.passed]
    if not failed:
        return None
    scorer = failed[0].split(".")[0]
    explanation = read_text(mapping(scores.get(scorer)).get("explanation"))
    return clip(f"{', '.join(failed)} failed" + (f": {explanation}" if explanation else ""))
