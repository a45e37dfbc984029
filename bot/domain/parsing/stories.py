"""What a wrong answer costs, told over several clauses of one reply: a story goes on after a
dash, through a clause about "those" (the wrong answers), and from "if it …" into "that's <a
cost>"; a clause that answers an item on its own words ends it; a share of wrong answers with
nothing about what they cost is an error rate, not a story. Pure; used by `reply`."""

from __future__ import annotations

import re

from bot.domain.parsing import impact, rate
from bot.domain.parsing.clauses import Part
from bot.domain.parsing.findings import Finding, Found
from bot.domain.parsing.tokens import content_words, normalize, words
from bot.domain.steps import Step


def dash_between(text: str, end: int, start: int) -> bool:
    """ "a wrong amount gets paid — we've had to claw it back": a dash goes on with the story."""
    gap = text[end:start]
    return bool(gap.strip()) and all(c in " —–-" for c in gap)


_REFERS_BACK = re.compile(r"^(?:and |but |so )?(?:those|these|that|which|each of those|each)\b")


def refers_back(text: str) -> bool:
    """ "a refund request and a chargeback, those cost us $15 each": a clause that speaks of
    the story before it is part of it (its amount is what an error costs, not a budget)."""
    return bool(_REFERS_BACK.search(normalize(text).strip())) and impact.about_cost(text)


_IF = re.compile(
    r"^(?:and |but |so )?(?:if|when|whenever) (?:it|the bot|the model|the assistant|we)\b"
)
_THAT = re.compile(
    r"^(?:then )?(?:that'?s|that is|that means|that would be|it means|which means)\b"
)


def then_that(condition: Part, part: Part) -> bool:
    """ "if it …, that's <a cost>": a clause naming a cost right after an if-clause about the
    product, neither holding a number."""
    numbered = any(t.kind == "num" for t in condition.tokens + part.tokens)
    costly = set(part.words) & (impact.COST_WORDS - {"time"})
    return (
        not numbered
        and bool(costly)
        and _IF.match(normalize(condition.text)) is not None
        and _THAT.match(normalize(part.text)) is not None
    )


def goes_on(part: Part, found: list[Finding]) -> bool:
    """A clause about "those" (the wrong answers), with no number, after this reply's story."""
    told = any(isinstance(f, Found) and f.step is Step.ERROR_IMPACT for f in found)
    pointing = re.match(r"(?:and |so )?(?:those|these|they|which)\b", normalize(part.text))
    numbered = any(t.kind == "num" for t in part.tokens)
    return told and pointing is not None and not numbered and content_words(part.tokens) >= 2


def opens_with_rate(part: Part) -> int:
    """Where a share of wrong answers that opens the part ends (a token index), or 0."""
    found = rate.rates(part.tokens)
    return next((after for _, i, after, bare, _ in found if not bare and i <= 1), 0)


def rate_only(part: Part) -> bool:
    """ "one in twenty wrong hints is our ceiling": a share of wrong answers as the subject,
    with nothing about what they cost, is an error rate and not a story."""
    after = opens_with_rate(part)
    if not after:
        # "misroutes: I can live with 8%": a share, and nothing about what errors cost
        shares = [r for r in rate.rates(part.tokens) if not r[3]]
        costly = set(part.words) & (impact.COST_WORDS - {"wrong", "bad", "time"})
        return bool(shares) and not costly
    rest = part.text[part.tokens[after - 1].end :] if after - 1 < len(part.tokens) else ""
    return not set(words(rest)) & (impact.COST_WORDS - {"wrong", "bad", "time"})


def told(story: Found, text: str) -> Found:
    """The story as one span of the reply."""
    told = text[story.start : story.end].strip()
    return Found(Step.ERROR_IMPACT, told, story.start, story.end, True)


def strong(findings: list[Finding]) -> bool:
    """A part that answers an item on its own words ends a story about what an error costs;
    a bare amount inside the story ("that's a $6 phone call") is part of it."""
    return any(isinstance(f, Found) and f.strong for f in findings)
