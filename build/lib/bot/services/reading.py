"""A language model's reading of an answer our parser could not read.

The model only proposes a typed value; we turn that value back into our own wording and run our
own parser over it, so every domain rule (no zero error rate, sane budgets…) still applies. The
reading is then shown back for a yes/no; nothing is stored as an answer before someone confirms.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from bot.domain import checklist, wording
from bot.domain.checklist import Step
from bot.domain.parsing import Parsed
from bot.domain.targets import Fallback, FallbackKind, SuccessMetric, TradeoffPriority
from bot.llm import LanguageModel, read_structured

MODEL_TIMEOUT_SECONDS = 8.0


class Reading(BaseModel):
    value: Any


class RateReading(Reading):
    value: float  # a fraction: 0.1 for 10%


class TextReading(Reading):
    value: str


class FallbackReading(Reading):
    value: Fallback


class MetricsReading(Reading):
    value: list[SuccessMetric]


class LatencyReading(Reading):
    value: float  # milliseconds


class CostReading(Reading):
    value: float  # US dollars per query


class TradeoffReading(Reading):
    value: TradeoffPriority


SCHEMAS: dict[Step, type[Reading]] = {
    Step.ERROR_RATE: RateReading,
    Step.ERROR_IMPACT: TextReading,
    Step.FALLBACK: FallbackReading,
    Step.SUCCESS_METRICS: MetricsReading,
    Step.LATENCY: LatencyReading,
    Step.COST: CostReading,
    Step.TRADEOFF: TradeoffReading,
}

UNITS: dict[Step, str] = {
    Step.ERROR_RATE: "a fraction between 0 and 1 (10% is 0.1)",
    Step.ERROR_IMPACT: "one sentence",
    Step.FALLBACK: f"an object with kind (one of {[k.value for k in FallbackKind]}) and detail",
    Step.SUCCESS_METRICS: "a list of {name, target, direction: at_least|at_most, unit}",
    Step.LATENCY: "milliseconds for the p95 latency",
    Step.COST: "US dollars per single query",
    Step.TRADEOFF: f"one of {[p.value for p in TradeoffPriority]}",
}


def _our_wording(step: Step, value: Any) -> str:
    """Our own text for a proposed value, which our parser must accept again."""
    if step is Step.ERROR_RATE:
        return wording.format_rate(float(value))
    if step is Step.LATENCY:
        return wording.format_latency_ms(float(value))
    if step is Step.COST:
        return wording.format_cost_per_query(float(value))
    if step is Step.SUCCESS_METRICS:
        return "; ".join(wording.format_metric(metric) for metric in value)
    if step is Step.FALLBACK:
        fallback: Fallback = value
        return fallback.detail if fallback.kind is FallbackKind.OTHER else fallback.kind.value
    if step is Step.TRADEOFF:
        return str(TradeoffPriority(value).value)
    return str(value)


def propose(model: LanguageModel, step: Step, question: str, answer: str) -> str | None:
    """Our wording of the model's reading of `answer`, or None when there is no usable one."""
    system = (
        "You turn a person's answer to one checklist question into JSON. Reply with a JSON "
        'object {"value": ...} where value is ' + UNITS[step] + ". If the answer does not "
        'contain a clear value, reply {"value": null}. Never guess a number that is not there.'
    )
    user = json.dumps({"question": question, "answer": answer[:4000]})
    reading = read_structured(model, system, user, SCHEMAS[step], MODEL_TIMEOUT_SECONDS)
    if reading is None:
        return None
    try:
        text = _our_wording(step, reading.value)
    except (TypeError, ValueError):
        return None
    return text if isinstance(checklist.parse_answer(step, text), Parsed) else None
