"""(4b) What one answer may cost, in US dollars per query: "$0.01 per query", "a cent a query",
"$10 per 1k", "3 bucks per thousand", "0,4 cents/request", "a tenth of a cent". A bare amount
under a dollar is per answer (that is what the question asks); a larger one, a per-month budget,
a range or another currency gets a precise question."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.parsing.clauses import Part
from bot.domain.parsing.findings import Finding, FollowUp, Found
from bot.domain.parsing.results import (
    COST,
    MAX_COST_PER_QUERY_USD,
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
    words,
)
from bot.domain.steps import Step
from bot.domain.wording import format_number

_CURRENCY_AFTER = {"dollar": 1.0, "dollars": 1.0, "usd": 1.0, "buck": 1.0, "bucks": 1.0}
_CURRENCY_AFTER |= {"¢": 0.01, "c": 0.01, "cent": 0.01, "cents": 0.01, "penny": 0.01}
_CURRENCY_AFTER |= {"pennies": 0.01, "dime": 0.1, "dimes": 0.1, "nickel": 0.05}
_CURRENCY_AFTER |= {"nickels": 0.05}
_TIME_UNITS = vocab("s sec secs second seconds ms millisecond milliseconds min mins minute minutes")
# "ct" is how euro cents are written ("0,8 ct"): not US cents
_FOREIGN = vocab("€ £ ¥ eur euro euros gbp pound pounds yen inr ct cts")
_PER = vocab("per a an / each every for")
_QUERY_NOUNS = vocab("query queries request requests call calls answer answers question questions")
PERIODS = vocab(
    "token tokens month months day days week weeks year years user users hour hours seat seats "
    "mo monthly yearly annually"
)
# The noun a period word stands for, to ask about it in a sentence ("$500 monthly").
_PERIOD_NOUN = {"mo": "month", "monthly": "month", "yearly": "year", "annually": "year"}
COST_WORDS = vocab("cost costs price budget spend bill pay per query queries")
_VAGUE = vocab("cheap cheaper cheapest low possible little minimal affordable reasonable budget")
ZERO = "Every model call costs something, so zero can't be a budget."


@dataclass(frozen=True)
class Amount:
    dollars: float
    start: int  # token indices
    end: int
    per: float | None  # how many queries the amount is for; None: not said
    period: str | None  # "month", "token"… when the amount is per something else
    named: bool  # per a named thing ("per query", "/1k"), not only "each"


def amounts(tokens: list[Tok]) -> list[Amount]:
    found: list[Amount] = []
    used = 0
    for i, tok in enumerate(tokens):
        if tok.kind != "num" or i < used:
            continue
        before, after = at(tokens, i - 1), at(tokens, i + 1)
        j = i + 1
        if before == "of" and at(tokens, i - 2) in ("fraction", "fractions", "part", "sliver"):
            continue  # "a fraction of a cent": less than the amount, not the amount
        if before in ("$", "usd") or (before == "-" and at(tokens, i - 2) == "$"):
            dollars = tok.value
        elif after in _CURRENCY_AFTER:
            dollars, j = tok.value * _CURRENCY_AFTER[after], i + 2
        elif (
            after == "of"
            and at(tokens, i + 2) in ("a", "an")
            and at(tokens, i + 3)
            in (
                "cent",
                "penny",
            )
        ):
            dollars, j = tok.value * 0.01, i + 4  # "a tenth of a cent"
        elif tok.text in ("a", "an") and after in _CURRENCY_AFTER:
            dollars, j = _CURRENCY_AFTER[after], i + 2
        elif after == "per" and at(tokens, i + 2) in _QUERY_NOUNS:
            dollars = tok.value  # "0.02 per request": an amount per query, in dollars
        else:
            continue
        if [at(tokens, k) for k in range(j, j + 3)] == ["and", "a", "half"]:
            dollars, j = dollars * 1.5, j + 3  # "a cent and a half"
        per, period, after_per = _per(tokens, j)
        found.append(Amount(dollars, i, after_per, per, period, at(tokens, j) != "each"))
        j = after_per
        used = j
    return found


def _per(tokens: list[Tok], j: int) -> tuple[float | None, str | None, int]:
    """What follows an amount: "per query" → 1, "per 1k" → 1000, "a month" → period."""
    k = j
    if at(tokens, k) in ("max", "tops", "or", "less", "at", "most"):
        return None, None, j
    if at(tokens, k) not in _PER:
        if at(tokens, k) in PERIODS:
            return None, at(tokens, k), k + 1
        return None, None, j
    k += 1
    count = 1.0
    if k < len(tokens) and tokens[k].kind == "num" and tokens[k].text not in ("a", "an"):
        count, k = tokens[k].value, k + 1
    noun = at(tokens, k)
    if noun in PERIODS:
        return None, noun.rstrip("s"), k + 1
    if tokens[k - 1].kind == "num" and (not noun or tokens[k].kind != "word"):
        return count, None, k  # "$10 per 1k"
    if noun and tokens[k].kind == "word" and noun not in ("the", "our", "that", "is", "it"):
        return count, None, k + 1
    if at(tokens, j) == "each":
        return 1.0, None, j + 1
    return None, None, j


def _value(amount: Amount, *, bare_is_per_query: bool) -> Parsed[float] | Unclear:
    shown = f"${format_number(amount.dollars)}"
    if amount.period is not None:
        period = _PERIOD_NOUN.get(amount.period, amount.period)
        if period == "token":
            ask = "How many tokens does one answer use"
        else:
            ask = f"How many queries a {period} do you expect"
        return unclear(
            COST,
            f"I track cost per answer, not per {period}. {ask}, or what may one query "
            "cost at most?",
        )
    per = amount.per
    if per is None:
        if not (bare_is_per_query and amount.dollars < 1):
            return unclear(COST, f"Is that {shown} per query, or {shown} per 1,000 queries?")
        per = 1.0
    if per <= 0:
        return unclear(COST, "I couldn't tell how many queries that amount is for.")
    usd = amount.dollars / per
    if usd == 0:
        return unclear(COST, ZERO)
    if not finite(usd) or usd > MAX_COST_PER_QUERY_USD:
        return unclear(COST, "That's over $100 per query, which looks like a typo.")
    return Parsed(value=float(f"{usd:.12g}"))


def _range_ends(span: tuple[float, float, str, str]) -> tuple[str, str]:
    """ "1-2 cents" is 1 to 2 cents, not $1 to $2."""
    if _CURRENCY_AFTER.get(span[3]) == 0.01:
        return f"{format_number(span[0])}¢", f"{format_number(span[1])}¢"
    return f"${format_number(span[0])}", f"${format_number(span[1])}"


def parse_cost_per_query_usd(text: str) -> Parsed[float] | Unclear:
    """US dollars per query: "$10 per 1k" → 0.01, "a cent a query" → 0.01."""
    if (refusal := precheck(text, COST)) is not None:
        return refusal
    tokens = numbers(text)
    if any(t.text in _FOREIGN for t in tokens):
        return unclear(COST, "I keep costs in US dollars so runs compare like for like.")
    if (span := find_range(tokens)) is not None:
        return in_range(COST, span, *_range_ends(span))
    if any(is_negative(tokens, a.start) for a in amounts(tokens)):
        return unclear(COST, "A cost can't be negative.")
    found = amounts(tokens)
    if not found:
        bare = [
            t
            for i, t in enumerate(tokens)
            if t.kind == "num" and at(tokens, i + 1) not in _TIME_UNITS | {"%", "percent"}
        ]
        if set(words(text)) & {"free", "nothing", "zero", "none"} or any(
            t.value == 0 for t in bare
        ):
            return unclear(COST, ZERO)
        if len(bare) == 1:
            n = format_number(bare[0].value)
            return unclear(COST, f"Is that ${n} per query, or ${n} per 1,000 queries?")
        return no_number(COST, text, set(_VAGUE))
    if (odd := _dotted(tokens, found)) is not None:
        return odd
    values = {amount.dollars / (amount.per or 1) for amount in found}
    if len(values) > 1:
        return which_one(COST, [f"${format_number(a.dollars)}" for a in found])
    if found[0].dollars == 0:
        return unclear(COST, ZERO)
    return _value(found[0], bare_is_per_query=True)


def _dotted(tokens: list[Tok], found: list[Amount]) -> Unclear | None:
    """ "$1.500 per 1k": one and a half dollars, or fifteen hundred? Asked, never guessed."""
    for amount in found:
        tok = tokens[amount.start]
        if dotted_thousands(tok) and at(tokens, amount.start - 1) in ("$", "usd"):
            return dotted(COST, tok.text, tok.value, currency="$")
    return None


def find(part: Part, *, focus: bool) -> list[Finding]:
    """Costs in one part of a reply: an amount of money per query (or per 1,000), or a small
    amount standing alone ("$0.005") when the part is about nothing else."""
    tokens = part.tokens
    if any(t.text in _FOREIGN for t in tokens) and (focus or set(part.words) & COST_WORDS):
        reply = unclear(COST, "I keep costs in US dollars so runs compare like for like.").reply
        return [FollowUp(Step.COST, reply, part.start)]
    named = part.label is Step.COST or bool(set(part.words) & COST_WORDS)
    others = content_words(tokens)
    found: list[Finding] = []
    bare = [t for t in tokens if t.kind == "num"]
    if part.dollars_per_query and not amounts(tokens) and len(bare) == 1 and bare[0].value > 0:
        return [Found(Step.COST, bare[0].value, part.start, part.end, True)]  # "$/q: 0.002"
    for amount in amounts(tokens):
        start = part.start + tokens[amount.start].start
        end = part.start + tokens[max(amount.end - 1, amount.start)].end
        if is_negative(tokens, amount.start):
            found.append(FollowUp(Step.COST, unclear(COST, "A cost can't be negative.").reply))
            continue
        alone = others <= 3
        if amount.per is None and amount.period is None and not (named or focus or alone):
            continue
        if (span := find_range(tokens)) is not None:
            low, high = _range_ends(span)
            found.append(FollowUp(Step.COST, in_range(COST, span, low, high).reply, start))
            break
        if amount.dollars == 0:
            found.append(FollowUp(Step.COST, unclear(COST, ZERO).reply, start))
            continue
        if (odd := _dotted(tokens, [amount])) is not None:
            found.append(FollowUp(Step.COST, odd.reply, start))  # "$1.500": 1.5 or 1500?
            continue
        value = _value(amount, bare_is_per_query=True)
        if isinstance(value, Unclear):
            found.append(FollowUp(Step.COST, value.reply, start))
        else:
            strong = named or (amount.per is not None and amount.named)
            found.append(Found(Step.COST, value.value, start, end, strong))
    return found
