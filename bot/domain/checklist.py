"""The pre-build checklist as one table: for each item, its question, the label people and the
summary use, the Targets field it fills, its reader, our wording of its value, the words that
name it in an edit ("change error rate to 8%"), and a one-line explanation for questions back.

People answer several items in one reply, out of order; `bot/domain/parsing/reply.py` reads a
reply against all of them, and the bot asks only for the first item still missing.

(Just over 300 lines on purpose: the one table of the checklist's items.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.domain import parsing, wording
from bot.domain.parsing import Parsed, Unclear
from bot.domain.steps import Step
from bot.domain.targets import Fallback, FallbackKind, SuccessMetric, Targets, TradeoffPriority

__all__ = ["AGREED", "ITEMS", "ORDER", "REVIEW", "Choice", "Item", "Question", "Step"]

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


@dataclass(frozen=True)
class Item:
    step: Step
    question: Question
    label: str  # "error rate": in the summary, its Edit button, "Noted: …"
    field: str  # the Targets field it fills
    parse: Callable[[str], Parsed[Any] | Unclear]  # one answer: a button, a modal, an edit
    show: Callable[[Any], str]  # our wording of a value; it reads back to the same value
    names: tuple[str, ...]  # how people name it when they change it
    explanation: str  # for "what does p95 mean here?"
    new_label: str  # the edit form's field
    said_back: Callable[[Any], str]  # "Noted: …", in a few words


def _rate(value: float) -> str:
    return f"at most {wording.format_rate(value)} of answers wrong"


def _fallback(value: Fallback) -> str:
    return wording.format_fallback(value)


def _metrics(value: list[SuccessMetric]) -> str:
    return "; ".join(wording.format_metric(metric) for metric in value)


def _latency(value: float) -> str:
    return f"p95 at most {wording.format_latency_ms(value)}"


def _cost(value: float) -> str:
    return f"at most {wording.format_cost_per_query(value)}"  # one number: reads back the same


def _tradeoff(value: TradeoffPriority) -> str:
    return wording.format_tradeoff(value)


ITEMS: dict[Step, Item] = {
    Step.ERROR_RATE: Item(
        Step.ERROR_RATE,
        Question(
            Step.ERROR_RATE,
            "1 of 4 · How often may it be wrong?",
            "Out of every 100 answers, how many may be wrong or unsupported by the sources "
            "before this feature does more harm than good? Zero isn't on the table for a "
            "language model, so pick a real number: `5%`, `10%`, `1 in 20`…",
        ),
        "error rate",
        "max_error_rate",
        parsing.parse_error_rate,
        _rate,
        ("error rate", "acceptable error rate", "max error rate", "error limit", "errors"),
        "The error rate is the share of answers that may be wrong or not backed by the sources; "
        "every eval run is checked against it, and a partly right answer counts as wrong when "
        "your eval fails it. Teams often start near 5–10% for low-stakes help and 1–2% where a "
        "wrong answer does real harm.",
        "New error rate",
        lambda value: f"error rate at most {wording.format_rate(value)}",
    ),
    Step.ERROR_IMPACT: Item(
        Step.ERROR_IMPACT,
        Question(
            Step.ERROR_IMPACT,
            "1 of 4 · What does a wrong answer cost?",
            "When a user gets a wrong answer, what does it cost the business? A support ticket, "
            "a refund, a lost customer, a compliance risk… one sentence is plenty.",
        ),
        "cost of an error",
        "error_impact",
        parsing.parse_error_impact,
        str,
        (
            "cost of an error",
            "cost of a wrong answer",
            "cost of errors",
            "error impact",
            "impact of errors",
            "impact",
            "error cost",
            "what a wrong answer costs",
        ),
        "The cost of an error is what one wrong answer costs the business (a ticket, a refund, "
        "a lost deal, a compliance risk); it says why the limit matters.",
        "What a wrong answer costs",
        lambda value: f"what a wrong answer costs: “{value}”",
    ),
    Step.FALLBACK: Item(
        Step.FALLBACK,
        Question(
            Step.FALLBACK,
            "2 of 4 · When the model isn't sure",
            "What should the product do when the model is unsure? Press a button, or type "
            "your own.",
            (
                Choice("Say it isn't sure", FallbackKind.SAY_UNSURE.value),
                Choice("Hand over to a human", FallbackKind.ESCALATE_HUMAN.value),
                Choice("Offer alternatives", FallbackKind.OFFER_ALTERNATIVES.value),
            ),
        ),
        "fallback",
        "fallback",
        parsing.parse_fallback,
        _fallback,
        ("fallback", "fall back", "fallback behaviour"),
        "The fallback is what the product does when the model isn't sure of an answer: say so, "
        "hand over to a person, offer alternatives, or something of your own.",
        "New fallback",
        lambda value: (
            "when unsure: "
            + (
                wording.format_fallback(value)
                if value.kind is FallbackKind.OTHER
                else wording.FALLBACK_LABELS[value.kind].lower()
            )
        ),
    ),
    Step.SUCCESS_METRICS: Item(
        Step.SUCCESS_METRICS,
        Question(
            Step.SUCCESS_METRICS,
            "3 of 4 · How will we know it works?",
            "Accuracy alone won't tell us. Which numbers say this feature succeeds: "
            "satisfaction, usage, business impact? Give each a name, a target and a direction, "
            "e.g. `CSAT at least 4.2; weekly users ≥ 500; tickets deflected ≥ 30%`.",
        ),
        "success measures",
        "success_metrics",
        parsing.parse_success_metrics,
        _metrics,
        (
            "success measures",
            "success metrics",
            "success measure",
            "success metric",
            "measures",
            "metrics",
        ),
        "Success measures are numbers beyond accuracy that show the feature works, each with a "
        "target and a direction: satisfaction (CSAT ≥ 4.2), usage (weekly users ≥ 500), "
        "business impact (tickets deflected ≥ 30%).",
        "New success measures",
        lambda value: f"success measures {_metrics(value)}",
    ),
    Step.LATENCY: Item(
        Step.LATENCY,
        Question(
            Step.LATENCY,
            "4 of 4 · The cost/speed line: latency",
            "How long may the slowest answers take? Give the p95 budget, e.g. `under 2 s` or "
            "`800 ms`.",
        ),
        "latency (p95)",
        "max_latency_p95_ms",
        parsing.parse_latency_ms,
        _latency,
        ("latency", "latency budget", "p95 latency", "p95", "response time"),
        "p95 is the time within which 95 of every 100 answers arrive: the slow tail people "
        "notice, not the average. Seconds or milliseconds both work.",
        "New latency budget (p95)",
        lambda value: f"p95 latency at most {wording.format_latency_ms(value)}",
    ),
    Step.COST: Item(
        Step.COST,
        Question(
            Step.COST,
            "4 of 4 · The cost/speed line: cost",
            "What may one answer cost? Per query or per 1,000 queries, e.g. `$0.01 per query` "
            "or `$10 per 1k`.",
        ),
        "cost",
        "max_cost_per_query_usd",
        parsing.parse_cost_per_query_usd,
        _cost,
        ("cost per query", "cost budget", "cost", "costs", "budget"),
        "Cost is what one answer may cost in US dollars, per query; a price per 1,000 queries "
        "works too and I divide. Token prices turn into a per-query cost once you know the size "
        "of a typical answer.",
        "New cost per query",
        lambda value: f"cost at most {wording.format_cost_per_query(value)}",
    ),
    Step.TRADEOFF: Item(
        Step.TRADEOFF,
        Question(
            Step.TRADEOFF,
            "4 of 4 · Which gives way first?",
            "If a better model turns out slower or pricier than these budgets, which one gives "
            "way first?",
            (
                Choice("Latency can give", TradeoffPriority.LATENCY_GIVES.value),
                Choice("Cost can give", TradeoffPriority.COST_GIVES.value),
            ),
        ),
        "which gives way first",
        "tradeoff_priority",
        parsing.parse_tradeoff,
        _tradeoff,
        ("which gives way first", "tradeoff", "trade-off", "trade off", "priority"),
        "When a better model is slower or pricier than the budgets, this says which budget may "
        "be broken first: latency (answers get slower) or cost (we pay more).",
        "What gives way first",
        lambda value: wording.format_tradeoff(value).replace(":", " —", 1).lower().capitalize(),
    ),
}


def parse_answer(step: Step, text: str) -> Parsed[Any] | Unclear:
    """Read one answer, then keep the value exactly as the summary will show it ("1 in 3" is
    stored as 33.3%, the number people see and sign), so what is signed is what is stored."""
    item = ITEMS[step]
    result = item.parse(text)
    if isinstance(result, Parsed):
        return Parsed(value=as_shown(step, result.value))
    return result


def as_shown(step: Step, value: Any) -> Any:
    """The value as our wording shows it, read back (1/12 → 8.3%)."""
    item = ITEMS[step]
    shown = item.parse(item.show(value))
    return shown.value if isinstance(shown, Parsed) else value


def apply(targets: Targets, step: Step, value: Any) -> Targets:
    """A copy of targets with one answer set (None clears it)."""
    if value is None and step is Step.SUCCESS_METRICS:
        value = []
    return targets.model_copy(update={ITEMS[step].field: value})


def value_of(targets: Targets, step: Step) -> Any:
    value = getattr(targets, ITEMS[step].field)
    return None if value in (None, []) else value


def is_answered(targets: Targets, step: Step) -> bool:
    return value_of(targets, step) is not None


def next_step(targets: Targets, open_too: frozenset[Step] = frozenset()) -> Step | None:
    """The first item not answered yet (or held open, e.g. while two people disagree)."""
    return next(
        (step for step in ORDER if not is_answered(targets, step) or step in open_too), None
    )


def describe(targets: Targets, step: Step) -> str:
    """One answer in our wording (plain text; callers escape it for mrkdwn). Each shows exactly
    the numbers of the value, so the reader reads the summary back to the same value."""
    value = value_of(targets, step)
    return "not answered yet" if value is None else ITEMS[step].show(value)


def show(step: Step, value: Any) -> str:
    return ITEMS[step].show(value)


def said_back(targets: Targets, step: Step) -> str:
    """What was just noted for one item, in a few words (plain text)."""
    value = value_of(targets, step)
    return "not answered yet" if value is None else ITEMS[step].said_back(value)


def names() -> dict[Step, tuple[str, ...]]:
    return {step: item.names for step, item in ITEMS.items()}


def value_to_json(step: Step, value: Any) -> Any:
    if isinstance(value, list):
        return [item.model_dump(mode="json") for item in value]
    if isinstance(value, Fallback | SuccessMetric):
        return value.model_dump(mode="json")
    return value.value if isinstance(value, StrEnum) else value
