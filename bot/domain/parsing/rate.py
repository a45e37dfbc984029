"""(1) How often it may be wrong: "10%", "one in ten", "1 in 12", "97% accurate" (= 3% wrong),
"right 98% of the time". A bare number of 1 or more reads as a percentage when it answers the
question ("10" → 10%). Zero, 100% and more, negatives and ranges get a precise question."""

from __future__ import annotations

import re

from bot.domain.parsing.clauses import Part
from bot.domain.parsing.findings import Finding, FollowUp, Found
from bot.domain.parsing.results import (
    RATE,
    Parsed,
    Unclear,
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
    find_range,
    is_negative,
    numbers,
    vocab,
    words,
)
from bot.domain.steps import Step
from bot.domain.wording import format_number

PERCENT_WORDS = vocab("% percent pct percentage")
_RATIO_LINKS = (("out", "of"), ("of", "every"), ("in", "every"), ("in",), ("per",), ("/",), ("of",))
ERROR_WORDS = vocab(
    "error errors mistake mistakes wrong hallucination hallucinations failures failure incorrect "
    "bad inaccurate wrongly fail fails"
)
# "missorted", "misrouted tickets": wrong answers named by what went wrong
MISDONE = ("missort", "misrout", "misclass", "mislabel", "mistag", "misfil", "misread")
_ACCURACY = vocab("accuracy accurate correct")
_LIMIT_WORDS = vocab(
    "fine ok okay acceptable max tops limit ceiling bar cap maximum most aim target goal want"
)
# A figure measured now or before ("we had 27% wrong last run", "currently 30%"): what is, not
# the limit to hold to.
_NOW = vocab("today currently now presently baseline")
_MEASURED = _NOW | vocab("had was were seeing saw measured last previous previously used")
_ZERO_WORDS = vocab("none nothing never zero nil perfect flawless")
_VAGUE = vocab(
    "low lowest minimal minimum small few rarely rare possible little tiny negligible "
    "reasonable acceptable good"
)
ZERO = (
    "Zero wrong answers is a goal no AI feature meets, so it can't be the limit we measure against."
)


def _rate_at(tokens: list[Tok], i: int) -> tuple[float, int, bool]:
    """The rate a number at i states: (fraction, index after it, written without a unit)."""
    value = tokens[i].value
    if at(tokens, i + 1) in PERCENT_WORDS:
        return value / 100, i + 2, False
    if at(tokens, i + 1) == "per" and at(tokens, i + 2) == "cent":
        return value / 100, i + 3, False
    # Up to two nouns may sit between: "1 wrong answer in 20", "1 error out of 50".
    for gap in range(3):
        if gap and tokens[min(i + gap, len(tokens) - 1)].kind != "word":
            break
        for link in _RATIO_LINKS:
            k = i + 1 + gap + len(link)
            linked = all(at(tokens, i + 1 + gap + n) == part for n, part in enumerate(link))
            if linked and k < len(tokens) and tokens[k].kind == "num" and tokens[k].value > 0:
                return value / tokens[k].value, k + 1, False
    return (value if value < 1 else value / 100), i + 1, True


def _says_accuracy(tokens: list[Tok], i: int, after: int) -> bool:
    """ "97% accurate", "accuracy of 95%", "right 98% of the time", "98% right", "right 49
    times out of 50"."""
    near = {at(tokens, k) for k in range(i - 3, after + 2)}
    if near & ERROR_WORDS:
        return False
    if near & _ACCURACY:
        return True
    # "right 98% of the time", "98% right", "right at least 96 times out of 100"
    return at(tokens, after) == "right" or "right" in {at(tokens, k) for k in range(i - 3, i)}


def rates(tokens: list[Tok], *, odds: bool = False) -> list[tuple[float, int, int, bool, bool]]:
    """(fraction of wrong answers, token index, index after, written bare, said as accuracy).
    `odds`: the reply is about errors, so "1:20" is one in twenty, not twenty past one."""
    found = []
    i = 0
    while i < len(tokens):
        if odds and (one_in := _odds(tokens, i)) is not None:
            found.append((1 / one_in, i, i + 1, False, False))
            i += 1
            continue
        if tokens[i].kind != "num" or _other_quantity(tokens, i):
            i += 1
            continue
        rate, after, bare = _rate_at(tokens, i)
        if at(tokens, after) in _OTHER_UNITS:  # "a tenth of a cent"
            i = after
            continue
        accuracy = not bare and _says_accuracy(tokens, i, after)
        found.append((1 - rate if accuracy else rate, i, after, bare, accuracy))
        i = after
    return found


# Money in any currency: the cost reader asks for dollars; it is never a share of answers.
_MONEY = vocab("$ usd € £ ¥ eur euro euros gbp pound pounds yen inr")
_TIME_UNITS = vocab(
    "s sec secs second seconds ms millisecond milliseconds min mins minute minutes hour hours"
)
_OTHER_UNITS = (
    _MONEY
    | _TIME_UNITS
    | vocab("cent cents ¢ ct cts dime dimes dollar dollars buck bucks day days week weeks")
)


_ODDS = re.compile(r"1:([0-9]{2})")
_AT_A_TIME = vocab("at by until till from around before after since lunch meet call tomorrow")


def _odds(tokens: list[Tok], i: int) -> int | None:
    """ "1:20" (read as a time of day by the tokenizer) as odds: one in twenty. A time said as
    one ("at 1:20", "lunch 1:20") stays a time."""
    match = _ODDS.fullmatch(tokens[i].text) if tokens[i].kind == "word" else None
    if match is None or int(match.group(1)) < 2 or at(tokens, i - 1) in _AT_A_TIME:
        return None
    return int(match.group(1))


def _other_quantity(tokens: list[Tok], i: int) -> bool:
    """Money or time ("$8 per 1k", "£5 per 1000", "2 s"): not a share of answers."""
    return at(tokens, i - 1) in _MONEY or at(tokens, i + 1) in _OTHER_UNITS


def parse_error_rate(text: str) -> Parsed[float] | Unclear:
    if (refusal := precheck(text, RATE)) is not None:
        return refusal
    tokens = numbers(text)
    said = set(words(text))
    if (span := find_range(tokens)) is not None:
        return in_range(RATE, span, f"{format_number(span[0])}%", f"{format_number(span[1])}%")
    values: list[float] = []
    for rate, i, _, bare, _ in rates(tokens, odds=True):
        if is_negative(tokens, i):
            return unclear(RATE, "An error rate can't be negative.")
        if not finite(tokens[i].value):
            return unclear(RATE, "That number is too large for a share of answers.")
        if bare and tokens[i].value >= 100:
            lead = f"I read {format_number(tokens[i].value)}, which isn't a share of answers."
            return unclear(RATE, lead)
        values.append(rate)
    distinct = sorted({round(r, 12) for r in values})
    says_zero = bool(said & _ZERO_WORDS) or (
        bool(said & {"no", "single", "one"}) and bool(said & ERROR_WORDS)
    )
    if 0 in distinct or (not distinct and says_zero):
        return unclear(RATE, ZERO)
    if not distinct:
        return no_number(RATE, text, set(_VAGUE))
    if len(distinct) > 1:
        return which_one(RATE, [f"{format_number(r * 100)}%" for r in distinct])
    return _checked(distinct[0])


def _checked(rate: float) -> Parsed[float] | Unclear:
    if rate >= 1:
        return unclear(RATE, "An error limit has to be below 100%.")
    if rate < 0:
        return unclear(RATE, "An error rate can't be negative.")
    if rate == 0:
        return unclear(RATE, ZERO)
    return Parsed(value=float(f"{rate:.12g}"))


def find(part: Part, *, focus: bool) -> list[Finding]:
    """Error rates stated in one part of a reply. A percentage counts when the part talks
    about errors or accuracy, or when it stands almost alone ("5%", "3% max", "20% is ok")."""
    tokens = part.tokens
    context = part.label is Step.ERROR_RATE or bool(set(part.words) & ERROR_WORDS)
    context = context or any(word.startswith(MISDONE) for word in part.words)
    short = content_words(tokens) <= 3
    found: list[Finding] = []
    for rate, i, after, bare, accuracy in rates(tokens, odds=context or focus):
        if not context and _share_of_traffic(tokens, after):
            continue  # "p95 of 2s for 99% of requests": the share the latency holds for
        if bare and not (focus and content_words(tokens) <= 1 and _alone(tokens)):
            continue
        if not bare and not (context or accuracy or short or focus):
            continue
        start, end = part.start + tokens[i].start, part.start + tokens[after - 1].end
        if (span := find_range(tokens)) is not None:
            low, high = f"{format_number(span[0])}%", f"{format_number(span[1])}%"
            return [FollowUp(Step.ERROR_RATE, in_range(RATE, span, low, high).reply, start)]
        if is_negative(tokens, i):
            return [
                FollowUp(Step.ERROR_RATE, unclear(RATE, "An error rate can't be negative.").reply)
            ]
        checked = _checked(rate)
        if isinstance(checked, Unclear):
            found.append(FollowUp(Step.ERROR_RATE, checked.reply, start))
        else:
            # "20% is fine", "3% tops": a share said to be the limit names the item itself
            limit = short and bool(set(part.words) & _LIMIT_WORDS)
            strong = context or accuracy or limit
            if set(part.words) & _MEASURED and not limit:
                # "we had 27% wrong last run, aim for 10%": a measurement, not the limit. With a
                # limit said elsewhere in the reply that one holds; alone, it is asked about.
                shown = f"{format_number(checked.value * 100)}%"
                lead = f"{shown} sounds like what you measured, not the limit to hold it to."
                found.append(FollowUp(Step.ERROR_RATE, unclear(RATE, lead).reply, start))
                continue
            found.append(Found(Step.ERROR_RATE, checked.value, start, end, strong))
    return found


_TRAFFIC = vocab(
    "requests request queries query calls call users answers responses replies sessions searches "
    "lookups messages tickets"
)
_TIMED = vocab("latency p95 p99 p90 p50 percentile")


def _share_of_traffic(tokens: list[Tok], after: int) -> bool:
    """ "for 99% of requests" in a part that states a time: the share a latency holds for."""
    of = at(tokens, after) == "of"
    traffic = at(tokens, after + 1) in _TRAFFIC or (
        at(tokens, after + 1) in ("the", "all", "our") and at(tokens, after + 2) in _TRAFFIC
    )
    times = any(t.kind == "num" and at(tokens, k + 1) in _TIME_UNITS for k, t in enumerate(tokens))
    return of and traffic and (times or any(t.text in _TIMED for t in tokens))


def _alone(tokens: list[Tok]) -> bool:
    """A bare number with no unit or name of something else nearby ("ok 5", "5 then")."""
    others = {"$", "s", "ms", "sec", "seconds", "cents", "cent", "p95", "p99", "latency", "cost"}
    return not any(t.text in others for t in tokens)
