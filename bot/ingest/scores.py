"""Score columns: CSV exports of Ragas (`to_pandas().to_csv()`), LangSmith and Braintrust.

Such files have no pass/fail column, only scores (0–1) per metric, so each score column becomes
a check that passes at or above a threshold; a boolean evaluator's True/False (LangSmith) reads
as 1/0. An empty or NaN score (Ragas writes NaN when a metric could not be computed) judges
nothing; a case with no score at all is left out and counted as skipped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from bot.ingest.case_ids import CaseIds
from bot.ingest.kinds import by_name
from bot.ingest.model import CaseRow, Check, CheckKind, IngestError
from bot.ingest.values import first_text, read_amount, read_latency, read_text, shown

# Column names of metrics as Ragas writes them (its metric `name`s), and their kinds.
RAGAS_METRICS: dict[str, CheckKind] = {
    **dict.fromkeys(
        (
            "faithfulness", "context_precision", "context_recall", "context_entity_recall",
            "non_llm_context_recall", "non_llm_context_precision_with_reference",
            "llm_context_precision_with_reference", "llm_context_precision_without_reference",
            "context_relevance", "response_groundedness", "noise_sensitivity",
        ),
        CheckKind.GROUNDEDNESS,
    ),
    **dict.fromkeys(
        (
            "answer_relevancy", "answer_correctness", "answer_similarity",
            "semantic_similarity", "factual_correctness", "string_present", "exact_match",
            "bleu_score", "rouge_score", "chrf_score", "non_llm_string_similarity",
            "answer_accuracy", "summary_score",
        ),
        CheckKind.CORRECTNESS,
    ),
}  # fmt: skip
# Prefixes of score columns in other exports: LangSmith's `feedback.<key>`, Braintrust's
# `scores.<name>`, and ours, `score:<name>`.
SCORE_PREFIXES = ("feedback.", "scores.", "score:")
ID_COLUMNS = ("id", "example_id", "user_input", "question", "input", "inputs.question", "inputs")
QUESTION_COLUMNS = ("question", "user_input", "input", "inputs.question", "inputs")
NAN_WORDS = frozenset({"nan", "na", "n/a", "null", "none"})
# A boolean evaluator's feedback, as pandas writes it (LangSmith's `feedback.correct`: True).
BOOLEAN_SCORES = {"true": 1.0, "false": 0.0}


def score_columns(names: list[str], extra: list[str]) -> list[str]:
    """The header's score columns: known metric names, prefixed columns, and those asked for."""
    found = [n for n in names if n in RAGAS_METRICS or n.startswith(SCORE_PREFIXES)]
    return found + [column for column in extra if column not in found]


def id_column(names: list[str]) -> str | None:
    return next((column for column in ID_COLUMNS if column in names), None)


def score_kind(column: str) -> CheckKind:
    base = column
    for prefix in SCORE_PREFIXES:
        base = base.removeprefix(prefix)
    return by_name(RAGAS_METRICS.get(base, CheckKind.OTHER), base)


class ScoreColumns:
    """Reads one record of a score-column CSV into a CaseRow."""

    def __init__(self, columns: list[str], threshold: float, id_field: str | None) -> None:
        if not math.isfinite(threshold):
            raise IngestError(f"--threshold is {shown(threshold)}, expected a number")
        self.columns, self.threshold, self.id_field = columns, threshold, id_field
        self.kinds = {column: score_kind(column) for column in columns}
        self._ids = CaseIds()  # guessed ids (a question column) may repeat: number the repeats

    def row(self, fields: Mapping[str, object], where: str, line: int) -> CaseRow | None:
        checks = [
            Check(
                name=_short(column),
                passed=score >= self.threshold,
                kind=self.kinds[column],
                score=score,
                threshold=self.threshold,
                tool_type=column,
            )
            for column in self.columns
            if (score := _score(fields.get(column), where, column)) is not None
        ]
        if not checks:
            return None
        error = read_text(fields.get("error"))
        guessed = read_text(fields.get(self.id_field or "")) or f"row {line}"
        return CaseRow(
            case_id=self._ids.unique(None, guessed),
            passed=None if error else all(check.passed for check in checks),
            errored=error is not None,
            latency_ms=_latency(fields, where),
            cost_usd=read_amount(fields.get("cost_usd"), where, "cost_usd"),
            label=first_text(fields, "label", "model"),
            question=first_text(fields, *QUESTION_COLUMNS),
            reason=error or _failed(checks),
            checks=checks,
        )


def _score(value: object, where: str, column: str) -> float | None:
    if value is None:
        return None
    text = str(value).strip()
    if not text or text.lower() in NAN_WORDS:
        return None
    if text.lower() in BOOLEAN_SCORES:
        return BOOLEAN_SCORES[text.lower()]
    try:
        number = float(text)
    except ValueError:
        raise IngestError(
            f"{where}: field '{column}' is {shown(value)}, expected a score"
        ) from None
    if math.isnan(number):
        return None
    if math.isinf(number):
        raise IngestError(f"{where}: field '{column}' is infinite, expected a score")
    return number


def _latency(fields: Mapping[str, object], where: str) -> float | None:
    """Ours (`latency_ms`, `latency_s`), else LangSmith's `execution_time`: the target's run,
    in seconds."""
    latency = read_latency(fields, where)
    if latency is None and "execution_time" in fields:
        seconds = read_amount(fields.get("execution_time"), where, "execution_time")
        latency = None if seconds is None else seconds * 1000
    return latency


def _short(column: str) -> str:
    for prefix in SCORE_PREFIXES:
        if column.startswith(prefix):
            return column[len(prefix) :]
    return column


def _failed(checks: list[Check]) -> str | None:
    failed = [f"{c.name} {c.score:g}" for c in checks if not c.passed and c.score is not None]
    return f"below the pass mark: {', '.join(failed)}" if failed else None
