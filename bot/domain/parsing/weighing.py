"""How much a number in a reply counts, beyond what it says: a number said to reject it
("1.5 s of dead air feels like forever") is no one's value; a bare number beside a stored value
said again is a counter-offer in that item's scale ("15 is high. can we do 12"); of a wish and a
hard limit the limit holds ("under a second ideally, 2 s is the hard cap"); a number put forward
as a question and said again in the same reply is stated. Pure."""

from __future__ import annotations

import math
import re
from typing import Any

from bot.domain.parsing.clauses import Part, Sentence
from bot.domain.parsing.findings import Finding, Found
from bot.domain.parsing.tokens import Tok, normalize, numbers, vocab
from bot.domain.steps import Step


def said_again(statements: list[Sentence], proposed: list[tuple[int, int]], text: str) -> bool:
    """A number put forward as a question is said again in a statement of the same reply."""
    put = {t.value for a, b in proposed for t in numbers(text[a:b]) if t.kind == "num"}
    said = {
        t.value
        for s in statements
        if (s.start, s.end) not in proposed
        for p in s.parts
        for t in p.tokens
        if t.kind == "num"
    }
    return bool(put & said)


def within(finding: Found, spans: list[tuple[int, int]]) -> bool:
    return any(start <= finding.start and finding.end <= end for start, end in spans)


_UNITS_AFTER = vocab(
    "% percent pct s sec secs second seconds ms min mins minute minutes cent cents c ¢ x k per / "
    "in out of"
)


def counter_offer(
    statements: list[Sentence], current: dict[Step, Any]
) -> tuple[Step, float, str] | None:
    """ "15 is high. can we do 12": two bare numbers, one of them an item's stored value said
    again; the other is a new value for that same item (a counter-offer), in the same scale."""
    bare: list[tuple[Tok, Part]] = []
    for sentence in statements:
        for part in sentence.parts:
            tokens = part.tokens
            for i, tok in enumerate(tokens):
                before = tokens[i - 1].text if i else ""
                after = tokens[i + 1].text if i + 1 < len(tokens) else ""
                if tok.kind == "num" and before not in ("$", "-") and after not in _UNITS_AFTER:
                    bare.append((tok, part))
    if len(bare) != 2:
        return None
    (said, _), (offered, part) = bare
    matches = []
    for step, scale in _BARE_SCALES:
        stored = current.get(step)
        if isinstance(stored, float | int) and not isinstance(stored, bool):
            for factor in scale:
                if math.isclose(said.value * factor, float(stored), rel_tol=1e-6):
                    matches.append((step, factor))
    if len(matches) != 1 or offered.value <= 0 or math.isclose(offered.value, said.value):
        return None
    step, factor = matches[0]
    value = offered.value * factor
    if step is Step.ERROR_RATE and value >= 1:
        return None
    return step, value, part.text


# How a bare number reads for each numeric item: a rate in percent, a latency in seconds or
# milliseconds, a cost in dollars.
_BARE_SCALES = ((Step.ERROR_RATE, (0.01,)), (Step.LATENCY, (1000.0, 1.0)), (Step.COST, (1.0,)))


OBJECTION = re.compile(
    r"^[^.;!?\n\d,]{0,40}?\b(?:feels?|seems?|sounds?|is|are|'s) (?:like )?(?:forever|an eternity"
    r"|(?:way |far |much |a bit |a little )?too (?:slow|high|long|much|many|loose|expensive|pricey)"
    r"|a lot|awful|terrible|insane|crazy|ridiculous|unrealistic|not realistic|not happening"
    r"|not going to happen|a non-?starter|painful|unacceptable|not acceptable|high)\b"
)


def objected(finding: Finding, text: str) -> bool:
    """ "1.5 s of dead air feels like forever", "8% is high for anything medical": a number
    said in order to reject it is no one's value for the item."""
    if not isinstance(finding, Found) or finding.step not in NUMERIC:
        return False
    return bool(OBJECTION.search(normalize(text[finding.end : finding.end + 60])))


NUMERIC = (Step.ERROR_RATE, Step.LATENCY, Step.COST)


def rejects(text: str) -> bool:
    """A number in the text is followed by words rejecting it."""
    tokens = numbers(text)
    return any(
        tok.kind == "num" and OBJECTION.search(normalize(text[tok.end : tok.end + 60]))
        for tok in tokens
    )


_WISH = re.compile(r"\b(?:ideally|ideal|would be nice|nice to have|in a perfect world|dream)\b")
_HARD = re.compile(
    r"\b(?:hard (?:cap|limit|ceiling|max|line|stop)|absolute (?:max|maximum|limit|ceiling)"
    r"|(?:the|our) (?:cap|ceiling|limit)|never (?:more|over|above))\b"
)


def hard_limit(distinct: list[Found], text: str) -> Found | None:
    """ "under a second ideally but 2s is the hard cap": a wish and a limit, and the limit is
    what a run is held to. Each value is judged by the words between it and its neighbours."""
    if len(distinct) != 2:
        return None
    first, second = sorted(distinct, key=lambda f: f.start)
    gap = text[first.end : second.start]
    cut = re.search(r",|;|\bbut\b", gap)
    left, right = (gap[: cut.start()], gap[cut.start() :]) if cut else (gap, "")
    near_first = normalize(text[max(0, first.start - 20) : first.start] + left)
    near_second = normalize(right + text[second.end : second.end + 25])
    if _WISH.search(near_first) and _HARD.search(near_second) and not _HARD.search(near_first):
        return second
    if _HARD.search(near_first) and _WISH.search(near_second) and not _HARD.search(near_second):
        return first
    return None
