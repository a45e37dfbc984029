"""What a reader returns (a value to show back, or a precise follow-up) and our wording of the
follow-ups: each names what was unclear, then asks the item's question once, with examples."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Generic, TypeAlias, TypeVar

from bot.domain.parsing.tokens import quote, words
from bot.domain.wording import format_number

T = TypeVar("T")

MAX_ANSWER_CHARS = 4000
MAX_LATENCY_MS = 10 * 60 * 1000
MAX_COST_PER_QUERY_USD = 100.0


@dataclass(frozen=True, slots=True)
class Parsed(Generic[T]):
    """An answer read as a value, to be shown back to the team."""

    value: T


@dataclass(frozen=True, slots=True)
class Unclear:
    """A friendly, specific follow-up; the question stays open."""

    reply: str


ParseResult: TypeAlias = Parsed[T] | Unclear


@dataclass(frozen=True, slots=True)
class Ask:
    """An item's question in one line, and examples of answers it takes."""

    ask: str
    examples: str


RATE = Ask("What share of wrong answers could you live with?", "5%, 10% or 1 in 20")
IMPACT = Ask(
    "What does one wrong answer cost the business?",
    '"a customer follows a wrong refund rule and support spends 20 minutes fixing it"',
)
FALLBACK = Ask(
    "What should the product do when the model is unsure?",
    "say it is not sure, hand over to a human, offer alternatives, or describe something else",
)
METRICS = Ask(
    "Which numbers beyond accuracy tell you the feature works?",
    '"CSAT ≥ 4.2; weekly users ≥ 500; escalations ≤ 5%"',
)
LATENCY = Ask(
    "How long may an answer take at the 95th percentile?", "under 2 s, 800 ms or 1.5 seconds"
)
COST = Ask("What may one answer cost?", "$0.01 per query, a cent a query or $10 per 1,000 queries")
TRADEOFF = Ask(
    "When a better model costs more, which gives way first?",
    '"latency" (answers get slower) or "cost" (we pay more)',
)

_UNSURE_KEYS = {"idk", "not sure", "unsure", "no idea", "dunno", "no clue", "tbd", "unknown"}
_UNSURE_KEYS |= {"i do not know", "do not know", "i m not sure", "im not sure", "not certain"}
_UNSURE_STARTS = ("not sure", "no idea", "idk", "dunno", "i m not sure", "unsure", "no clue")


def unclear(q: Ask, lead: str) -> Unclear:
    """The lead, then the item's question once, with examples. A lead that asks its own
    question gets only the examples, so the bot never asks twice in one breath."""
    if lead.rstrip().endswith("?"):
        return Unclear(reply=f"{lead} For example: {q.examples}.")
    return Unclear(reply=f"{lead} {q.ask} For example: {q.examples}.")


def precheck(text: str, q: Ask, dont_know_is_answer: bool = False) -> Unclear | None:
    """Refuses what no question can use: too long, empty, or "not sure"."""
    if len(text) > MAX_ANSWER_CHARS:
        return unclear(q, "That answer is over 4,000 characters, more than I can read at once.")
    found = words(text)
    key = " ".join(found)
    if not found:
        if "?" in text:
            return unclear(q, "No problem if you're not sure yet: a first guess is fine.")
        return unclear(q, "I didn't catch an answer there.")
    unsure = key in _UNSURE_KEYS or (key.startswith(_UNSURE_STARTS) and len(found) <= 5)
    if unsure and not any(c.isdigit() for c in key) and not (dont_know_is_answer and "know" in key):
        return unclear(q, "No problem: a first guess is fine, and you can change it later.")
    return None


def no_number(q: Ask, text: str, vague_words: set[str]) -> Unclear:
    if vague_words & set(words(text)):
        lead = f'"{quote(text)}" is a direction, but a test run needs a number to check against.'
    else:
        lead = f'I couldn\'t find a number in "{quote(text)}".'
    return unclear(q, lead)


def dotted(q: Ask, raw: str, value: float, unit: str = "", currency: str = "") -> Unclear:
    """ "2.000 ms": two, or two thousand? Asked, never guessed."""
    small, large = (f"{currency}{format_number(v)}{unit}" for v in (value, value * 1000))
    lead = f'"{currency}{raw}{unit}" could be {small} or {large}. Which one do you mean?'
    return unclear(q, lead)


def which_one(q: Ask, shown: list[str]) -> Unclear:
    listed = " and ".join(shown[:2]) if len(shown) <= 2 else ", ".join(shown[:3]) + "…"
    return unclear(q, f"I see more than one number ({listed}). Which single one is the limit?")


def in_range(q: Ask, span: tuple[float, float, str, str], low: str, high: str) -> Unclear:
    if span[2] == "or":
        return which_one(q, [low, high])
    return unclear(
        q,
        f"That's a range ({low} to {high}). Which single number should be the limit? "
        "You can tighten it later.",
    )


def finite(value: float) -> bool:
    return math.isfinite(value) and abs(value) < 1e15
