"""(4a) The latency budget at the 95th percentile: "under 2s", "2000 ms", "p95 of 1,5 s",
"sub-second", "half a second", "eight hundred milliseconds". A p99, a median or an average is not
a p95, so it gets a question instead of being stored as one; so does a number with no unit."""

from __future__ import annotations

import re

from bot.domain.parsing.clauses import Part
from bot.domain.parsing.findings import Finding, FollowUp, Found
from bot.domain.parsing.results import (
    LATENCY,
    MAX_LATENCY_MS,
    Parsed,
    Unclear,
    dotted,
    finite,
    in_range,
    no_number,
    precheck,
    unclear,
    which_one,
)
from bot.domain.parsing.tokens import (
    Tok,
    at,
    content_words,
    dotted_thousands,
    find_range,
    is_negative,
    numbers,
    vocab,
)
from bot.domain.steps import Step
from bot.domain.wording import format_latency_ms, format_number

TIME_UNITS = {"ms": 1.0, "msec": 1.0, "msecs": 1.0, "millisecond": 1.0, "milliseconds": 1.0}
TIME_UNITS |= {"millis": 1.0, "s": 1000.0, "sec": 1000.0, "secs": 1000.0, "second": 1000.0}
TIME_UNITS |= {"seconds": 1000.0, "min": 60000.0, "mins": 60000.0, "minute": 60000.0}
TIME_UNITS |= {"minutes": 60000.0, "h": 3.6e6, "hr": 3.6e6, "hour": 3.6e6, "hours": 3.6e6}
_NOT_LATENCY = vocab("% th percentile percent st nd rd")
_VAGUE = vocab(
    "fast faster quick quickly instant instantly snappy asap realtime real low possible "
    "immediately immediate"
)
LATENCY_WORDS = vocab("latency p95 p90 p99 p50 response respond responds wait load loads takes")
# Other percentiles and averages: what the number is, in our words.
_OTHER_STATS = {"p99": "the 99th percentile", "p90": "the 90th percentile", "p50": "the median"}
_OTHER_STATS |= {"median": "the median", "mean": "the average", "average": "the average"}
_OTHER_STATS |= {"avg": "the average", "typical": "a typical time", "typically": "a typical time"}
_SUB_SECOND = re.compile(r"\bsub[- ]?second\b|\bunder a second\b|\bwithin a second\b", re.I)


def timed(tokens: list[Tok]) -> list[tuple[float, int, int]]:
    """(milliseconds, index, index after) for every number with a time unit."""
    found = []
    for i, tok in enumerate(tokens):
        if tok.kind != "num" or at(tokens, i + 1) in _NOT_LATENCY:
            continue
        unit = at(tokens, i + 1)
        if unit in TIME_UNITS:
            value, after = tok.value, i + 2
            if [at(tokens, k) for k in range(i + 2, i + 5)] == ["and", "a", "half"]:
                value, after = value + 0.5, i + 5  # "a second and a half"
            found.append((value * TIME_UNITS[unit], i, after))
    return found


def _statistic(tokens: list[Tok]) -> str | None:
    """A statistic other than the p95 named in the text ("p99", "average")."""
    names = {t.text for t in tokens}
    if "p95" in names or "95th" in names or ("95" in [t.text for t in tokens] and "th" in names):
        return None
    return next((_OTHER_STATS[t.text] for t in tokens if t.text in _OTHER_STATS), None)


def _not_p95(ms: float, statistic: str) -> Unclear:
    shown = format_latency_ms(ms)
    return unclear(
        LATENCY,
        f"{shown} sounds like {statistic}; I track the p95 (95 of every 100 answers at least "
        f"that fast). Should {shown} be the p95 budget, or what should it be?",
    )


def parse_latency_ms(text: str) -> Parsed[float] | Unclear:
    """The p95 budget in milliseconds: "under 2s" → 2000, "p95 under 800ms" → 800."""
    if (refusal := precheck(text, LATENCY)) is not None:
        return refusal
    tokens = numbers(text)
    if (span := find_range(tokens)) is not None:
        unit = span[3] if span[3] in TIME_UNITS else ""
        low, high = (f"{format_number(v)} {unit}".strip() for v in span[:2])
        return in_range(LATENCY, span, low, high)
    found = timed(tokens)
    if any(is_negative(tokens, i) for _, i, _ in found):
        return unclear(LATENCY, "A latency can't be negative.")
    for _, i, _ in found:
        if at(tokens, i + 1) not in TIME_UNITS or TIME_UNITS[at(tokens, i + 1)] != 1.0:
            continue
        if dotted_thousands(tokens[i]):
            return dotted(LATENCY, tokens[i].text, tokens[i].value, " ms")
    distinct = sorted({ms for ms, _, _ in found})
    with_unit = {i for _, i, _ in found}
    bare = sorted(
        {
            t.value
            for i, t in enumerate(tokens)
            if t.kind == "num" and i not in with_unit and at(tokens, i + 1) not in _NOT_LATENCY
        }
    )
    if not distinct and _SUB_SECOND.search(text):
        distinct = [1000.0]
    if not distinct and len(bare) == 1:
        n = format_number(bare[0])
        if bare[0] == 0:
            return unclear(LATENCY, "No model answers in zero time.")
        return unclear(LATENCY, f"Is that {n} seconds or {n} ms?")
    if not distinct and bare:
        return which_one(LATENCY, [format_number(v) for v in bare])
    if not distinct:
        return no_number(LATENCY, text, set(_VAGUE))
    if len(distinct) > 1:
        return which_one(LATENCY, [format_latency_ms(v) for v in distinct])
    if (statistic := _statistic(tokens)) is not None:
        return _not_p95(distinct[0], statistic)
    return _checked(distinct[0])


def _checked(ms: float) -> Parsed[float] | Unclear:
    if ms <= 0:
        return unclear(LATENCY, "No model answers in zero time; pick a budget above zero.")
    if not finite(ms) or ms > MAX_LATENCY_MS:
        return unclear(LATENCY, "That's over 10 minutes, far longer than anyone waits.")
    return Parsed(value=float(f"{ms:.12g}"))


def find(part: Part, *, focus: bool) -> list[Finding]:
    """Latency budgets in one part of a reply: a time that is said to be one ("p95 under 2 s",
    "latency < 2s", "needs to be sub-second"), or a time standing alone ("3 s")."""
    tokens = part.tokens
    named = part.label is Step.LATENCY or bool(set(part.words) & LATENCY_WORDS)
    others = content_words([t for t in tokens if t.text not in TIME_UNITS])
    found: list[Finding] = []
    times = timed(tokens)
    if "alone" in part.words and not named:
        return []  # "that alone is 2s": one piece of the time, not the budget
    if not times and _SUB_SECOND.search(part.text) and (named or focus or others <= 4):
        return [Found(Step.LATENCY, 1000.0, part.start, part.end, True)]
    for ms, i, after in times:
        comparator = at(tokens, i - 1) in ("<", "<=", "under", "below", "within", "max", "than")
        # "3 s is more realistic with retrieval": a time the part is about
        subject = i == 0
        if not (named or comparator or focus or subject or others <= 3):
            continue
        start, end = part.start + tokens[i].start, part.start + tokens[after - 1].end
        if is_negative(tokens, i):
            found.append(
                FollowUp(Step.LATENCY, unclear(LATENCY, "A latency can't be negative.").reply)
            )
            continue
        if TIME_UNITS[at(tokens, i + 1)] == 1.0 and dotted_thousands(tokens[i]):
            reply = dotted(LATENCY, tokens[i].text, tokens[i].value, " ms").reply
            found.append(FollowUp(Step.LATENCY, reply, start))  # "2.000 ms": 2 or 2000?
            continue
        if (statistic := _statistic(tokens)) is not None:
            found.append(FollowUp(Step.LATENCY, _not_p95(ms, statistic).reply, start))
            continue
        if (span := find_range(tokens)) is not None:
            unit = span[3] if span[3] in TIME_UNITS else ""
            low, high = (f"{format_number(v)} {unit}".strip() for v in span[:2])
            found.append(FollowUp(Step.LATENCY, in_range(LATENCY, span, low, high).reply, start))
            break
        checked = _checked(ms)
        if isinstance(checked, Unclear):
            found.append(FollowUp(Step.LATENCY, checked.reply, start))
        else:
            found.append(Found(Step.LATENCY, checked.value, start, end, named or comparator))
    return found
