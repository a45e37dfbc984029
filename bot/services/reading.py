"""A language model as a second reader, for replies our own reader could not place.

The model fills the same typed values the checklist stores (structured output into our pydantic
models); a value counts only when

- it is for an item still open,
- our own reader accepts our wording of it (so every rule still applies: no zero error rate,
  sane budgets, a p95 and not an average…),
- every number in it appears in the reply, as written or in a unit people use for it ("7 of
  every 100" for 7%, "1.5 s" for 1500 ms, "$10 per 1,000" for $0.01) — the number guard reframe
  uses, so the model can never put a number in anyone's mouth — and free text is the reply's
  own words.

What passes is shown back for a yes/no; nothing is stored before someone confirms it.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from typing import Any

from pydantic import BaseModel

from bot.domain import checklist
from bot.domain.checklist import Step
from bot.domain.parsing import Parsed
from bot.domain.targets import Fallback, SuccessMetric, TradeoffPriority
from bot.llm import LanguageModel, numbers_in, read_structured

MODEL_TIMEOUT_SECONDS = 8.0
# A number in the reply may be the value in another unit: a percentage, seconds, minutes,
# cents, a price per 1,000 or per million.
_SCALES = (1.0, 0.01, 100.0, 1000.0, 0.001, 60000.0, 1e-6)


class ModelReading(BaseModel):
    """Every checklist item, as the model read it from one reply; None where it says nothing."""

    error_rate: float | None = None  # a fraction: 0.1 for 10%
    error_impact: str | None = None
    fallback: Fallback | None = None
    success_metrics: list[SuccessMetric] | None = None
    latency_p95_ms: float | None = None
    cost_per_query_usd: float | None = None
    tradeoff: TradeoffPriority | None = None


_FIELDS: dict[str, Step] = {
    "error_rate": Step.ERROR_RATE,
    "error_impact": Step.ERROR_IMPACT,
    "fallback": Step.FALLBACK,
    "success_metrics": Step.SUCCESS_METRICS,
    "latency_p95_ms": Step.LATENCY,
    "cost_per_query_usd": Step.COST,
    "tradeoff": Step.TRADEOFF,
}
SYSTEM = (
    "You read one message from a Slack thread in which a team agrees on targets for an AI "
    "feature, and fill a JSON object with these keys, each null unless the message states it: "
    "error_rate (the share of answers that may be wrong, as a fraction: 0.1 for 10%), "
    "error_impact (what a wrong answer costs the business, in the message's own words), "
    "fallback ({kind: say_unsure|escalate_human|offer_alternatives|other, detail}), "
    "success_metrics (a list of {name, target, direction: at_least|at_most, unit}), "
    "latency_p95_ms (the p95 latency budget in milliseconds), cost_per_query_usd (US dollars "
    "per single query), tradeoff (latency_gives or cost_gives: which budget may be broken "
    "first). Never guess a number the message does not contain; use null instead."
)


def propose(
    model: LanguageModel, open_steps: list[Step], question: str, answer: str
) -> list[tuple[Step, Any]]:
    """The model's reading of `answer`, item by item, keeping only what passes the checks."""
    user = json.dumps({"asked": question, "message": answer[:4000]})
    reading = read_structured(model, SYSTEM, user, ModelReading, MODEL_TIMEOUT_SECONDS)
    if reading is None:
        return []
    accepted: list[tuple[Step, Any]] = []
    for field_name, step in _FIELDS.items():
        value = getattr(reading, field_name)
        if value is None or value == [] or step not in open_steps:
            continue
        checked = _checked(step, value, answer)
        if checked is not None:
            accepted.append((step, checked))
    return accepted


def _checked(step: Step, value: Any, answer: str) -> Any:
    """Our own reading of our wording of the model's value, if it passes the number guard."""
    try:
        shown = checklist.show(step, value)
    except (TypeError, ValueError, KeyError):
        return None
    parsed = checklist.parse_answer(step, shown)
    if not isinstance(parsed, Parsed):
        return None
    if not supported(_numbers_of(step, parsed.value), answer):
        return None
    if step is Step.ERROR_IMPACT and not _own_words(str(parsed.value), answer):
        return None
    if (
        step is Step.FALLBACK
        and isinstance(parsed.value, Fallback)
        and not _own_words(parsed.value.detail, answer)
    ):
        return None
    return parsed.value


def _numbers_of(step: Step, value: Any) -> list[float]:
    if step in (Step.ERROR_RATE, Step.LATENCY, Step.COST):
        return [float(value)]
    if step is Step.SUCCESS_METRICS:
        return [metric.target for metric in value]
    if step is Step.FALLBACK:
        return _plain_numbers(value.detail)
    if step is Step.ERROR_IMPACT:
        return _plain_numbers(str(value))
    return []


def _plain_numbers(text: str) -> list[float]:
    found = []
    for token in numbers_in(text):
        number = re.sub(r"[^0-9.\-]", "", token)
        try:
            found.append(float(number))
        except ValueError:
            found.append(math.nan)  # a scale word or another script: never supported
    return found


def supported(values: list[float], answer: str) -> bool:
    """Every value appears in the answer: as written, in a unit people use for it, or as one
    number over another ("7 of every 100")."""
    given = [n for n in _plain_numbers(answer) if math.isfinite(n)]
    ratios = [a / b for a, b in itertools.permutations(given, 2) if b]
    for value in values:
        if not math.isfinite(value):
            return False
        candidates = [n * scale for n in given for scale in _SCALES] + ratios
        candidates += [r * scale for r in ratios for scale in (0.01, 100.0)]
        if not any(math.isclose(value, c, rel_tol=1e-6, abs_tol=1e-12) for c in candidates):
            return False
    return True


def _own_words(text: str, answer: str) -> bool:
    """Free text the model returned is the person's words: most of them are in the reply."""
    said = set(re.findall(r"[a-z0-9']+", answer.lower()))
    used = re.findall(r"[a-z0-9']+", text.lower())
    return not used or sum(word in said for word in used) >= 0.8 * len(used)
