"""The pre-build checklist: its steps, our wording of each question, and how answers fill Targets.

Four questions; the first and the last have parts, asked one at a time so every reply answers
exactly one thing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.domain import parsing, wording
from bot.domain.parsing import Parsed, Unclear
from bot.domain.targets import Fallback, FallbackKind, SuccessMetric, Targets, TradeoffPriority


class Step(StrEnum):
    ERROR_RATE = "error_rate"
    ERROR_IMPACT = "error_impact"
    FALLBACK = "fallback"
    SUCCESS_METRICS = "success_metrics"
    LATENCY = "latency"
    COST = "cost"
    TRADEOFF = "tradeoff"


ORDER = list(Step)
REVIEW = "review"
AGREED = "agreed"


@dataclass(frozen=True)
class Choice:
    label: str
    value: str


@dataclass(frozen=True)
class Question:
    step: Step
    title: str
    text: str
    choices: tuple[Choice, ...] = ()


QUESTIONS: dict[Step, Question] = {
    Step.ERROR_RATE: Question(
        Step.ERROR_RATE,
        "1 of 4 · How often may it be wrong?",
        "Out of every 100 answers, how many may be wrong or unsupported by the sources before "
        "this feature does more harm than good? Zero isn't on the table for a language model, "
        "so pick a real number: `5%`, `10%`, `1 in 20`…",
    ),
    Step.ERROR_IMPACT: Question(
        Step.ERROR_IMPACT,
        "1 of 4 · What does a wrong answer cost?",
        "When a user gets a wrong answer, what does it cost the business? A support ticket, a "
        "refund, a lost customer, a compliance risk… one sentence is plenty.",
    ),
    Step.FALLBACK: Question(
        Step.FALLBACK,
        "2 of 4 · When the model isn't sure",
        "What should the product do when the model is unsure? Press a button, or type your own.",
        (
            Choice("Say it isn't sure", FallbackKind.SAY_UNSURE.value),
            Choice("Hand over to a human", FallbackKind.ESCALATE_HUMAN.value),
            Choice("Offer alternatives", FallbackKind.OFFER_ALTERNATIVES.value),
        ),
    ),
    Step.SUCCESS_METRICS: Question(
        Step.SUCCESS_METRICS,
        "3 of 4 · How will we know it works?",
        "Accuracy alone won't tell us. Which numbers say this feature succeeds: satisfaction, "
        "usage, business impact? Give each a name, a target and a direction, separated by `;`, "
        "e.g. `CSAT at least 4.2; weekly users ≥ 500; tickets deflected ≥ 30%`.",
    ),
    Step.LATENCY: Question(
        Step.LATENCY,
        "4 of 4 · The cost/speed line: latency",
        "How long may the slowest answers take? Give the p95 budget, e.g. `under 2 s` or `800 ms`.",
    ),
    Step.COST: Question(
        Step.COST,
        "4 of 4 · The cost/speed line: cost",
        "What may one answer cost? Per query or per 1,000 queries, e.g. `$0.01 per query` or "
        "`$10 per 1k`.",
    ),
    Step.TRADEOFF: Question(
        Step.TRADEOFF,
        "4 of 4 · Which gives way first?",
        "If a better model turns out slower or pricier than these budgets, which one gives way "
        "first?",
        (
            Choice("Latency can give", TradeoffPriority.LATENCY_GIVES.value),
            Choice("Cost can give", TradeoffPriority.COST_GIVES.value),
        ),
    ),
}

PARSER_NAMES: dict[Step, str] = {
    Step.ERROR_RATE: "parse_error_rate",
    Step.ERROR_IMPACT: "parse_error_impact",
    Step.FALLBACK: "parse_fallback",
    Step.SUCCESS_METRICS: "parse_success_metrics",
    Step.LATENCY: "parse_latency_ms",
    Step.COST: "parse_cost_per_query_usd",
    Step.TRADEOFF: "parse_tradeoff",
}

# Labels people use when they ask to change one answer.
STEP_NAMES: dict[Step, str] = {
    Step.ERROR_RATE: "error rate",
    Step.ERROR_IMPACT: "cost of an error",
    Step.FALLBACK: "fallback",
    Step.SUCCESS_METRICS: "success measures",
    Step.LATENCY: "latency (p95)",
    Step.COST: "cost",
    Step.TRADEOFF: "which gives way first",
}


def parse_answer(step: Step, text: str) -> Parsed[Any] | Unclear:
    """Parse, then keep the value exactly as the summary will show it ("1 in 3" is stored as
    33.3%, the number people see and sign), so what is signed is what is stored."""
    parser: Callable[[str], Parsed[Any] | Unclear] = getattr(parsing, PARSER_NAMES[step])
    result = parser(text)
    if isinstance(result, Parsed):
        shown = parser(describe(apply(Targets(), step, result.value), step))
        if isinstance(shown, Parsed):
            return shown
    return result


def apply(targets: Targets, step: Step, value: Any) -> Targets:
    """A copy of targets with one answer set."""
    field = {
        Step.ERROR_RATE: "max_error_rate",
        Step.ERROR_IMPACT: "error_impact",
        Step.FALLBACK: "fallback",
        Step.SUCCESS_METRICS: "success_metrics",
        Step.LATENCY: "max_latency_p95_ms",
        Step.COST: "max_cost_per_query_usd",
        Step.TRADEOFF: "tradeoff_priority",
    }[step]
    return targets.model_copy(update={field: value})


def is_answered(targets: Targets, step: Step) -> bool:
    return {
        Step.ERROR_RATE: targets.max_error_rate is not None,
        Step.ERROR_IMPACT: targets.error_impact is not None,
        Step.FALLBACK: targets.fallback is not None,
        Step.SUCCESS_METRICS: bool(targets.success_metrics),
        Step.LATENCY: targets.max_latency_p95_ms is not None,
        Step.COST: targets.max_cost_per_query_usd is not None,
        Step.TRADEOFF: targets.tradeoff_priority is not None,
    }[step]


def next_step(targets: Targets) -> Step | None:
    return next((step for step in ORDER if not is_answered(targets, step)), None)


def describe(targets: Targets, step: Step) -> str:
    """One answer in our wording (plain text; callers escape it for mrkdwn). Each shows exactly
    the numbers of the value, so the parser reads the summary back to the same value."""
    if not is_answered(targets, step):
        return "not answered yet"
    if step is Step.ERROR_RATE:
        rate = targets.max_error_rate
        assert rate is not None
        return f"at most {wording.format_rate(rate)} of answers wrong"
    if step is Step.ERROR_IMPACT:
        return targets.error_impact or ""
    if step is Step.FALLBACK:
        fallback = targets.fallback
        assert fallback is not None
        return wording.format_fallback(fallback)
    if step is Step.SUCCESS_METRICS:
        return "; ".join(wording.format_metric(metric) for metric in targets.success_metrics)
    if step is Step.LATENCY:
        assert targets.max_latency_p95_ms is not None
        return f"p95 at most {wording.format_latency_ms(targets.max_latency_p95_ms)}"
    if step is Step.COST:
        cost = targets.max_cost_per_query_usd
        assert cost is not None
        # One number only, so the summary reads back to the same value.
        return f"at most {wording.format_cost_per_query(cost)}"
    priority = targets.tradeoff_priority
    assert priority is not None
    return wording.format_tradeoff(priority)


def value_to_json(step: Step, value: Any) -> Any:
    if isinstance(value, list):
        return [item.model_dump(mode="json") for item in value]
    if isinstance(value, Fallback | SuccessMetric):
        return value.model_dump(mode="json")
    return value.value if isinstance(value, StrEnum) else value
