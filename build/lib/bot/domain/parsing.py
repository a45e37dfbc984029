"""Reads kickoff answers typed in ordinary language into typed values, or says what was unclear.

Every parser returns `Parsed(value)` or `Unclear(reply)` and never raises. Text is split into
tokens once by one small regex with no nested quantifiers, so 4,000 characters parse in
milliseconds. Rules worth knowing:

- Error rate: "10%", "0.1", "one in ten" → 0.1. A bare number of 1 or more reads as a
  percentage ("10" → 10%); "95% accuracy" reads as a 5% error rate.
- Success measures: a strict ">" or "more than" is stored as at_least (and "<" as at_most);
  a test run cannot tell 4.2 from 4.2001, so the difference never matters. The target is
  stored as written with its unit: "deflection ≥ 30%" → target 30, unit "%".
- Ranges, two different numbers, a latency without a unit, or a cost without "per query"
  get a precise follow-up question, never a guess.

Replies quote what the user typed; the Slack layer escapes them like any other text.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Generic, TypeAlias, TypeVar

from bot.domain.targets import Direction, Fallback, FallbackKind, SuccessMetric, TradeoffPriority
from bot.domain.wording import FALLBACK_LABELS, format_latency_ms, format_metric, format_number

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

# ---------------------------------------------------------------------------------------------
# Tokens

# Numbers ("1,000.5", ".5"), words (letters first, then letters/digits: "p95"), or one symbol.
_TOKEN_RE = re.compile(
    r"(?P<num>[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?|\.[0-9]+)"
    r"|(?P<word>[^\W\d_][^\W_]*)"
    r"|(?P<op>>=|<=|=>|=<|[^\s\w])"
)
_OP_ALIASES = {"≥": ">=", "⩾": ">=", "=>": ">=", "≤": "<=", "⩽": "<=", "=<": "<="}
_OP_ALIASES |= {"−": "-", "–": "-", "—": "-", "＄": "$", "％": "%", "’": "'", "‘": "'"}
_WORD_RE = re.compile(r"[^\W_]+")


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str  # "num", "word" or "op"
    text: str  # lower-cased, symbol aliases applied
    start: int
    end: int
    value: float = 0.0


def _tokenize(text: str) -> list[_Tok]:
    tokens = []
    for match in _TOKEN_RE.finditer(text):
        kind, raw = match.lastgroup or "op", match.group()
        if kind == "num":
            tokens.append(_Tok(kind, raw, match.start(), match.end(), float(raw.replace(",", ""))))
        else:
            lowered = raw.lower() if kind == "word" else _OP_ALIASES.get(raw, raw)
            tokens.append(_Tok(kind, lowered, match.start(), match.end()))
    return tokens


def _normalize(text: str) -> str:
    """Lower-case with contractions spelled out, for keyword matching."""
    lowered = text.lower()
    for apostrophe in "’‘`´":
        lowered = lowered.replace(apostrophe, "'")
    lowered = lowered.replace("can't", "cannot").replace("won't", "will not")
    return lowered.replace("n't", " not").replace("_", " ")


def _words(text: str) -> list[str]:
    return _WORD_RE.findall(_normalize(text))


def _has_phrase(joined: str, phrase: str) -> bool:
    """`joined` is " word word " (padded), so phrases match whole words only."""
    return f" {phrase} " in joined


def _joined(words: list[str]) -> str:
    return " " + " ".join(words) + " "


def _at(tokens: list[_Tok], index: int) -> str:
    return tokens[index].text if 0 <= index < len(tokens) else ""


def _vocab_list(words: str) -> list[str]:
    return words.split()


def _vocab(words: str) -> frozenset[str]:
    return frozenset(words.split())


def _phrases(text: str) -> tuple[str, ...]:
    return tuple(text.split("|"))


# ---------------------------------------------------------------------------------------------
# Numbers written as words, and multipliers ("one in ten", "a cent", "1k", "10 thousand")

_SMALL = {
    w: n
    for n, w in enumerate(
        _vocab_list(
            "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
            "fifteen sixteen seventeen eighteen nineteen"
        )
    )
}
_TENS = {
    w: 20 + 10 * n
    for n, w in enumerate(_vocab_list("twenty thirty forty fifty sixty seventy eighty ninety"))
}
_SCALES = {"hundred": 100.0, "thousand": 1000.0, "million": 1e6}
_MULTIPLIERS = {"k": 1000.0, "thousand": 1000.0, "million": 1e6}
# Nouns that make "a"/"an"/"half" a number: "a cent", "half a second", "under a second".
_COUNTABLE = _vocab("cent penny dollar buck second sec minute millisecond percent")


def _word_number(tokens: list[_Tok], i: int) -> tuple[float, int] | None:
    """Reads a number spelled in words at i; returns (value, index after it)."""
    word = _at(tokens, i)
    if word in ("a", "an"):
        following = _at(tokens, i + 1)
        if following in _SCALES:
            return _SCALES[following], i + 2
        return (1.0, i + 1) if following in _COUNTABLE else None
    if word == "half":
        k = i + 2 if _at(tokens, i + 1) in ("a", "an") else i + 1
        return (0.5, k) if _at(tokens, k) in _COUNTABLE else None
    if word not in _SMALL and word not in _TENS and word not in _SCALES:
        return None
    total, current, j = 0.0, 0.0, i
    while j < len(tokens) and tokens[j].kind == "word":
        w = tokens[j].text
        if w in _SMALL:
            current += _SMALL[w]
        elif w in _TENS:
            current += _TENS[w]
            if _at(tokens, j + 1) == "-" and 0 < _SMALL.get(_at(tokens, j + 2), 0) < 10:
                current += _SMALL[_at(tokens, j + 2)]
                j += 2
        elif w == "hundred":
            current = max(current, 1.0) * 100
        elif w in _SCALES:
            total, current = total + max(current, 1.0) * _SCALES[w], 0.0
        elif not (w == "and" and j > i and _at(tokens, j + 1) in _SMALL.keys() | _TENS.keys()):
            break
        j += 1
    return total + current, j


def _merge_numbers(tokens: list[_Tok]) -> list[_Tok]:
    """Turns spelled-out numbers and multipliers into single number tokens."""
    merged: list[_Tok] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.kind == "num":
            value, j = tok.value, i + 1
        elif (spelled := _word_number(tokens, i)) is not None:
            value, j = spelled
        else:
            merged.append(tok)
            i += 1
            continue
        while _at(tokens, j) in _MULTIPLIERS and tokens[j].kind == "word":
            value *= _MULTIPLIERS[tokens[j].text]
            j += 1
        end = tokens[max(j - 1, i)].end
        merged.append(_Tok("num", tokens[i].text, tok.start, end, value))
        i = max(j, i + 1)
    return merged


def _is_negative(tokens: list[_Tok], i: int) -> bool:
    """A "-" stuck to the number (not a range "5-10"), "-$5", or "minus 5"."""
    if _at(tokens, i - 1) in ("minus", "negative"):
        return True
    k = i - 1
    if _at(tokens, k) == "$":
        k -= 1
    if _at(tokens, k) == "-" and tokens[k].end == tokens[k + 1].start:
        return k == 0 or tokens[k - 1].kind != "num"
    return False


_RANGE_LINKS = ("-", "to", "and", "or")
_UNIT_TOKENS = {"%", "percent", "s", "sec", "secs", "seconds", "ms", "$", "¢", "cent", "cents"}


def _find_range(tokens: list[_Tok]) -> tuple[float, float, str, str] | None:
    """ "5-10%", "1 to 2 s", "between 5 and 10", "5% or 10%" → (5, 10, link, word after 10)."""
    for i, tok in enumerate(tokens):
        if tok.kind != "num":
            continue
        j = i + 1 + (_at(tokens, i + 1) in _UNIT_TOKENS)
        link = _at(tokens, j)
        k = j + 1 + (_at(tokens, j + 1) == "$")
        is_number = k < len(tokens) and tokens[k].kind == "num"
        if (
            is_number
            and link in _RANGE_LINKS
            and (link != "and" or _at(tokens, i - 1) == "between")
        ):
            return tok.value, tokens[k].value, link, _at(tokens, k + 1)
    return None


# ---------------------------------------------------------------------------------------------
# Replies


@dataclass(frozen=True, slots=True)
class _Question:
    ask: str
    examples: str


_RATE_Q = _Question("What share of wrong answers could you live with?", "5%, 10% or 1 in 20")
_IMPACT_Q = _Question(
    "What does one wrong answer cost the business?",
    '"a customer follows a wrong refund rule and support spends 20 minutes fixing it"',
)
_FALLBACK_Q = _Question(
    "What should the product do when the model is unsure?",
    "say it is not sure, hand over to a human, offer alternatives, or describe something else",
)
_METRICS_Q = _Question(
    "Which numbers beyond accuracy tell you the feature works?",
    '"CSAT ≥ 4.2; weekly users ≥ 500; escalations ≤ 5%"',
)
_LATENCY_Q = _Question(
    "How long may an answer take at the 95th percentile?", "under 2 s, 800 ms or 1.5 seconds"
)
_COST_Q = _Question(
    "What may one answer cost?", "$0.01 per query, a cent a query or $10 per 1,000 queries"
)
_TRADEOFF_Q = _Question(
    "When a better model costs more, which gives way first?",
    '"latency" (answers get slower) or "cost" (we pay more)',
)

_UNSURE_KEYS = {"idk", "not sure", "unsure", "no idea", "dunno", "no clue", "tbd", "unknown"}
_UNSURE_KEYS |= {"i do not know", "do not know", "i m not sure", "im not sure", "not certain"}
_UNSURE_STARTS = ("not sure", "no idea", "idk", "dunno", "i m not sure", "unsure", "no clue")


def _quote(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split()).replace('"', "'")
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _unclear(q: _Question, lead: str) -> Unclear:
    return Unclear(reply=f"{lead} {q.ask} For example: {q.examples}.")


def _precheck(text: str, q: _Question, dont_know_is_answer: bool = False) -> Unclear | None:
    """Refuses what no question can use: too long, empty, or "not sure"."""
    if len(text) > MAX_ANSWER_CHARS:
        return _unclear(q, "That answer is over 4,000 characters, more than I can read at once.")
    words = _words(text)
    key = " ".join(words)
    if not words:
        if "?" in text:
            return _unclear(q, "No problem if you're not sure yet: a first guess is fine.")
        return _unclear(q, "I didn't catch an answer there.")
    unsure = key in _UNSURE_KEYS or (key.startswith(_UNSURE_STARTS) and len(words) <= 5)
    if unsure and not any(c.isdigit() for c in key) and not (dont_know_is_answer and "know" in key):
        return _unclear(q, "No problem: a first guess is fine, and you can change it later.")
    return None


def _no_number(q: _Question, text: str, vague_words: set[str]) -> Unclear:
    if vague_words & set(_words(text)):
        lead = f'"{_quote(text)}" is a direction, but a test run needs a number to check against.'
    else:
        lead = f'I couldn\'t find a number in "{_quote(text)}".'
    return _unclear(q, lead)


def _which_one(q: _Question, shown: list[str]) -> Unclear:
    listed = " and ".join(shown[:2]) if len(shown) <= 2 else ", ".join(shown[:3]) + "…"
    return _unclear(q, f"I see more than one number ({listed}). Which single one is the limit?")


def _range(q: _Question, span: tuple[float, float, str, str], low: str, high: str) -> Unclear:
    if span[2] == "or":
        return _which_one(q, [low, high])
    return _unclear(
        q,
        f"That's a range ({low} to {high}). Which single number should be the limit? "
        "You can tighten it later.",
    )


def _finite(value: float) -> bool:
    return math.isfinite(value) and abs(value) < 1e15


# ---------------------------------------------------------------------------------------------
# (1) Error rate

_PERCENT_WORDS = {"%", "percent", "pct", "percentage"}
_RATIO_LINKS = (("out", "of"), ("of", "every"), ("in", "every"), ("in",), ("per",), ("/",), ("of",))
_ERROR_NOUNS = {"error", "errors", "mistake", "mistakes", "wrong", "hallucination", "failures"}
_ERROR_NOUNS |= {"hallucinations", "incorrect", "failure", "bad"}
_ACCURACY_WORDS = {"accuracy", "accurate", "correct", "right"}
_ZERO_WORDS = {"none", "nothing", "never", "zero", "nil", "perfect", "flawless"}
_RATE_VAGUE = {"low", "lowest", "minimal", "minimum", "small", "few", "rarely", "rare", "possible"}
_RATE_VAGUE |= {"little", "tiny", "negligible", "reasonable", "acceptable", "good"}


def _rate_at(tokens: list[_Tok], i: int) -> tuple[float, int, bool]:
    """The rate a number at i states: (fraction, index after it, written without a unit)."""
    value = tokens[i].value
    if _at(tokens, i + 1) in _PERCENT_WORDS:
        return value / 100, i + 2, False
    if _at(tokens, i + 1) == "per" and _at(tokens, i + 2) == "cent":
        return value / 100, i + 3, False
    # Up to two nouns may sit between: "1 wrong answer in 20", "1 error out of 50".
    for gap in range(3):
        if gap and tokens[min(i + gap, len(tokens) - 1)].kind != "word":
            break
        for link in _RATIO_LINKS:
            k = i + 1 + gap + len(link)
            linked = all(_at(tokens, i + 1 + gap + n) == part for n, part in enumerate(link))
            if linked and k < len(tokens) and tokens[k].kind == "num" and tokens[k].value > 0:
                return value / tokens[k].value, k + 1, False
    return (value if value < 1 else value / 100), i + 1, True


def parse_error_rate(text: str) -> Parsed[float] | Unclear:
    if (refusal := _precheck(text, _RATE_Q)) is not None:
        return refusal
    tokens = _merge_numbers(_tokenize(text))
    words = set(_words(text))
    if (span := _find_range(tokens)) is not None:
        return _range(_RATE_Q, span, f"{format_number(span[0])}%", f"{format_number(span[1])}%")
    rates: list[float] = []
    i = 0
    while i < len(tokens):
        if tokens[i].kind != "num":
            i += 1
            continue
        if _is_negative(tokens, i):
            return _unclear(_RATE_Q, "An error rate can't be negative.")
        if not _finite(tokens[i].value):
            return _unclear(_RATE_Q, "That number is too large for a share of answers.")
        rate, after, bare = _rate_at(tokens, i)
        if bare and tokens[i].value >= 100:
            lead = f"I read {format_number(tokens[i].value)}, which isn't a share of answers."
            return _unclear(_RATE_Q, lead)
        rates.append(rate)
        i = after
    if words & _ACCURACY_WORDS and not words & _ERROR_NOUNS:
        rates = [1 - r for r in rates]  # "95% accuracy" states the share of right answers
    distinct = sorted({round(r, 12) for r in rates})
    says_zero = bool(words & _ZERO_WORDS) or ("no" in words and bool(words & _ERROR_NOUNS))
    if 0 in distinct or (not distinct and says_zero):
        return _unclear(
            _RATE_Q,
            "Zero wrong answers is a goal no AI feature meets, so it can't be the limit we "
            "measure against. Pick a share you could live with for now.",
        )
    if not distinct:
        return _no_number(_RATE_Q, text, _RATE_VAGUE)
    if len(distinct) > 1:
        return _which_one(_RATE_Q, [f"{format_number(r * 100)}%" for r in distinct])
    rate = distinct[0]
    if rate >= 1:
        return _unclear(_RATE_Q, "An error limit has to be below 100%.")
    if rate < 0:
        return _unclear(_RATE_Q, "An error rate can't be negative.")
    return Parsed(value=float(f"{rate:.12g}"))


# ---------------------------------------------------------------------------------------------
# (1b) What a wrong answer costs

_EMPTY_IMPACT = {"none", "nothing", "n a", "na", "no", "nope", "whatever", "same", "ok", "yes"}


def parse_error_impact(text: str) -> Parsed[str] | Unclear:
    if (refusal := _precheck(text, _IMPACT_Q)) is not None:
        return refusal
    words = _words(text)
    if " ".join(words) in _EMPTY_IMPACT or sum(len(w) for w in words) < 3:
        lead = f'"{_quote(text)}" doesn\'t tell me what happens when an answer is wrong.'
        return _unclear(_IMPACT_Q, lead)
    return Parsed(value=text.strip())


# ---------------------------------------------------------------------------------------------
# (2) Fallback

_FALLBACK_PHRASES: dict[FallbackKind, tuple[str, ...]] = {
    FallbackKind.SAY_UNSURE: _phrases(
        "not sure|unsure|do not know|does not know|not certain|uncertain|admit|no answer|"
        "not confident|say so|decline|abstain|cannot answer"
    ),
    FallbackKind.ESCALATE_HUMAN: _phrases(
        "human|humans|agent|agents|escalate|escalates|escalation|hand over|hands over|handover|"
        "hand off|handoff|hand it|person|operator|support team|ticket|staff|live chat|transfer|"
        "someone"
    ),
    FallbackKind.OFFER_ALTERNATIVES: _phrases(
        "alternative|alternatives|suggest|suggests|suggestion|suggestions|option|options|link|"
        "links|related|similar|recommend|choices|search results|articles"
    ),
}
_FALLBACK_EMPTY = {"other", "something else", "none", "nothing", "n a", "na", "no", "ok", "yes"}


_FALLBACK_BY_FIRST: dict[str, list[tuple[list[str], FallbackKind]]] = {}
for _kind, _phrase_list in _FALLBACK_PHRASES.items():
    for _text in _phrase_list:
        _FALLBACK_BY_FIRST.setdefault(_text.split()[0], []).append((_text.split(), _kind))


_NEGATION_ENDS = {",", ";", ".", "!", "but", "just", "instead", "then", "rather"}


def _fallback_kinds(text: str) -> list[FallbackKind]:
    """The kinds the text asks for, in order of mention; "don't hand over" does not count."""
    words = [tok.text for tok in _tokenize(_normalize(text))]
    found: list[FallbackKind] = []
    negated = False
    for j, word in enumerate(words):
        negated = word in ("not", "never", "no", "without") or (
            negated and word not in _NEGATION_ENDS
        )
        for phrase, kind in _FALLBACK_BY_FIRST.get(word, []):
            matches = words[j : j + len(phrase)] == phrase and kind not in found
            if matches and (not negated or kind is FallbackKind.SAY_UNSURE):
                found.append(kind)
    return found


def _labelled_fallback(text: str) -> Fallback | None:
    """Reads our own wording back: 'Hand over to a human: "billing team"'."""
    head, colon, detail = text.strip().partition(":")
    for kind, label in FALLBACK_LABELS.items():
        if colon and head.strip().lower() == label.lower() and detail.strip():
            detail = detail.strip()
            if len(detail) >= 2 and detail[0] == detail[-1] == '"':
                detail = detail[1:-1]
            return Fallback(kind=kind, detail=detail.strip())
    return None


def parse_fallback(text: str) -> Parsed[Fallback] | Unclear:
    """Buttons send the FallbackKind values; typed answers are read by keywords.

    Up to three words ("escalate to agent") store no detail; longer answers keep the team's
    own words as detail. If several kinds are named, the first one mentioned wins.
    """
    if (refusal := _precheck(text, _FALLBACK_Q, dont_know_is_answer=True)) is not None:
        return refusal
    if (labelled := _labelled_fallback(text)) is not None:
        return Parsed(value=labelled)
    words = _words(text)
    key = " ".join(words)
    for kind, label in FALLBACK_LABELS.items():
        if kind is not FallbackKind.OTHER and key in (kind.value.replace("_", " "), label.lower()):
            return Parsed(value=Fallback(kind=kind))
    if key in _FALLBACK_EMPTY:
        lead = "Happy to record something of your own. What exactly should the product do?"
        if key != "other" and key != "something else":
            lead = f'"{_quote(text)}" doesn\'t say what the user sees.'
        return _unclear(_FALLBACK_Q, lead)
    kinds = _fallback_kinds(text)
    detail = text.strip() if len(text.split()) > 3 else ""
    if kinds:
        return Parsed(value=Fallback(kind=kinds[0], detail=detail))
    if len(words) < 2 or len(key) < 6:
        lead = f'I\'m not sure what "{_quote(text)}" should look like for the user.'
        return _unclear(_FALLBACK_Q, lead)
    return Parsed(value=Fallback(kind=FallbackKind.OTHER, detail=text.strip()))


# ---------------------------------------------------------------------------------------------
# (4a) Latency

_TIME_UNITS = {"ms": 1.0, "msec": 1.0, "msecs": 1.0, "millisecond": 1.0, "milliseconds": 1.0}
_TIME_UNITS |= {"millis": 1.0, "s": 1000.0, "sec": 1000.0, "secs": 1000.0, "second": 1000.0}
_TIME_UNITS |= {"seconds": 1000.0, "min": 60000.0, "mins": 60000.0, "minute": 60000.0}
_TIME_UNITS |= {"minutes": 60000.0, "h": 3.6e6, "hr": 3.6e6, "hour": 3.6e6, "hours": 3.6e6}
_NOT_LATENCY = {"%", "th", "percentile", "percent", "st", "nd", "rd"}
_LATENCY_VAGUE = {"fast", "faster", "quick", "quickly", "instant", "instantly", "snappy"}
_LATENCY_VAGUE |= {"asap", "realtime", "real", "low", "possible", "immediately", "immediate"}


def parse_latency_ms(text: str) -> Parsed[float] | Unclear:
    """The p95 budget in milliseconds: "under 2s" → 2000, "p95 under 800ms" → 800."""
    if (refusal := _precheck(text, _LATENCY_Q)) is not None:
        return refusal
    tokens = _merge_numbers(_tokenize(text))
    if (span := _find_range(tokens)) is not None:
        unit = span[3] if span[3] in _TIME_UNITS else ""
        low, high = (f"{format_number(v)} {unit}".strip() for v in span[:2])
        return _range(_LATENCY_Q, span, low, high)
    timed: list[float] = []
    bare: list[float] = []
    for i, tok in enumerate(tokens):
        if tok.kind != "num" or _at(tokens, i + 1) in _NOT_LATENCY:
            continue
        if _is_negative(tokens, i):
            return _unclear(_LATENCY_Q, "A latency can't be negative.")
        unit = _at(tokens, i + 1)
        if unit in _TIME_UNITS:
            timed.append(tok.value * _TIME_UNITS[unit])
        else:
            bare.append(tok.value)
    distinct = sorted(set(timed))
    if not distinct and len(set(bare)) == 1:
        n = format_number(bare[0])
        if bare[0] == 0:
            return _unclear(_LATENCY_Q, "No model answers in zero time.")
        return _unclear(_LATENCY_Q, f"Is that {n} seconds or {n} ms?")
    if not distinct and bare:
        return _which_one(_LATENCY_Q, [format_number(v) for v in sorted(set(bare))])
    if not distinct:
        return _no_number(_LATENCY_Q, text, _LATENCY_VAGUE)
    if len(distinct) > 1:
        return _which_one(_LATENCY_Q, [format_latency_ms(v) for v in distinct])
    ms = distinct[0]
    if ms <= 0:
        return _unclear(_LATENCY_Q, "No model answers in zero time; pick a budget above zero.")
    if not _finite(ms) or ms > MAX_LATENCY_MS:
        return _unclear(_LATENCY_Q, "That's over 10 minutes, far longer than anyone waits.")
    return Parsed(value=float(f"{ms:.12g}"))


# ---------------------------------------------------------------------------------------------
# (4b) Cost

_CURRENCY_AFTER = {"$": 1.0, "dollar": 1.0, "dollars": 1.0, "usd": 1.0, "buck": 1.0, "bucks": 1.0}
_CURRENCY_AFTER |= {"¢": 0.01, "c": 0.01, "cent": 0.01, "cents": 0.01, "penny": 0.01}
_CURRENCY_AFTER |= {"pennies": 0.01}
_FOREIGN = {"€", "£", "¥", "eur", "euro", "euros", "gbp", "pound", "pounds", "yen", "inr"}
_PER_WORDS = {"per", "a", "an", "/", "each", "every", "for"}
_QUERY_NOUNS = {"query", "queries", "request", "requests", "call", "calls", "answer", "answers"}
_QUERY_NOUNS |= {"question", "questions", "message", "messages", "response", "responses"}
_QUERY_NOUNS |= {"q", "req", "reqs", "conversation", "conversations", "chat", "chats", "k"}
_OTHER_PERIODS = {"token", "tokens", "month", "day", "week", "year", "user", "users", "hour"}
_COST_VAGUE = {"cheap", "cheaper", "cheapest", "low", "possible", "little", "minimal"}
_COST_VAGUE |= {"affordable", "reasonable", "budget"}


@dataclass
class _CostReading:
    amounts: list[float]  # in dollars, written with a currency
    bare: list[float]  # numbers with no currency that could be the amount
    per: list[float]  # how many queries the amount is for


def _read_cost(tokens: list[_Tok]) -> _CostReading | Unclear:
    reading = _CostReading([], [], [])
    for i, tok in enumerate(tokens):
        after = _at(tokens, i + 1)
        if tok.text in _PER_WORDS and after in _QUERY_NOUNS:
            reading.per.append(1000.0 if after == "k" else 1.0)
        if tok.text == "each" and (i + 1 == len(tokens) or tokens[i + 1].kind == "op"):
            reading.per.append(1.0)  # "$0.01 each"
        if tok.kind != "num" and tok.text not in _PER_WORDS:
            continue
        if after in _OTHER_PERIODS or (tok.kind == "num" and _at(tokens, i + 2) in _OTHER_PERIODS):
            period = after if after in _OTHER_PERIODS else _at(tokens, i + 2)
            return _unclear(
                _COST_Q, f"I can only track cost per query, not per {period.rstrip('s')}."
            )
        if tok.kind != "num":
            continue
        if _is_negative(tokens, i):
            return _unclear(_COST_Q, "A cost can't be negative.")
        before = _at(tokens, i - 1)
        if before in ("$", "usd") or (before == "-" and _at(tokens, i - 2) == "$"):
            reading.amounts.append(tok.value)
        elif after in _CURRENCY_AFTER:
            reading.amounts.append(tok.value * _CURRENCY_AFTER[after])
        elif before in _PER_WORDS or after in _QUERY_NOUNS:
            reading.per.append(tok.value)
        else:
            reading.bare.append(tok.value)
    return reading


def parse_cost_per_query_usd(text: str) -> Parsed[float] | Unclear:
    """US dollars per query: "$10 per 1k" → 0.01, "a cent a query" → 0.01."""
    if (refusal := _precheck(text, _COST_Q)) is not None:
        return refusal
    tokens = _merge_numbers(_tokenize(text))
    if any(t.text in _FOREIGN for t in tokens):
        return _unclear(_COST_Q, "I keep costs in US dollars so runs compare like for like.")
    if (span := _find_range(tokens)) is not None:
        return _range(_COST_Q, span, f"${format_number(span[0])}", f"${format_number(span[1])}")
    reading = _read_cost(tokens)
    if isinstance(reading, Unclear):
        return reading
    words = set(_words(text))
    amounts = sorted(set(reading.amounts or reading.bare))
    if not amounts:
        if words & {"free", "nothing", "zero", "none"}:
            return _unclear(_COST_Q, "Every model call costs something, so zero can't be a budget.")
        return _no_number(_COST_Q, text, _COST_VAGUE)
    if len(amounts) > 1:
        return _which_one(_COST_Q, [f"${format_number(a)}" for a in amounts])
    amount = amounts[0]
    if amount == 0:
        return _unclear(_COST_Q, "Every model call costs something, so zero can't be a budget.")
    if not reading.amounts and not reading.per:
        n = format_number(amount)
        return _unclear(_COST_Q, f"Is that ${n} per query, or ${n} per 1,000 queries?")
    pers = sorted(set(reading.per))
    if not pers:
        n = format_number(amount)
        return _unclear(_COST_Q, f"Is that ${n} per query, or ${n} per 1,000 queries?")
    if len(pers) > 1 or pers[0] <= 0:
        return _unclear(_COST_Q, "I couldn't tell how many queries that amount is for.")
    usd = amount / pers[0]
    if usd == 0:
        return _unclear(_COST_Q, "Every model call costs something, so zero can't be a budget.")
    if not _finite(usd) or usd > MAX_COST_PER_QUERY_USD:
        return _unclear(_COST_Q, "That's over $100 per query, which looks like a typo.")
    return Parsed(value=float(f"{usd:.12g}"))


# ---------------------------------------------------------------------------------------------
# (4c) Which budget gives way first

# word → (topic, stance the word carries on its own: +1 gives way, -1 holds, 0 neutral)
_TOPIC_WORDS: dict[str, tuple[str, int]] = {
    **dict.fromkeys(_vocab("latency speed time response wait waiting p95"), ("latency", 0)),
    **dict.fromkeys(_vocab("slower slow"), ("latency", 1)),
    **dict.fromkeys(_vocab("fast faster quick"), ("latency", -1)),
    **dict.fromkeys(_vocab("cost costs price money bill"), ("cost", 0)),
    **dict.fromkeys(_vocab("spend pay pricier expensive"), ("cost", 1)),
    **dict.fromkeys(_vocab("cheap cheaper"), ("cost", -1)),
}
_GIVE_WORDS = {"give", "gives", "giving", "flex", "flexible", "slip", "bend", "ok", "okay", "fine"}
_GIVE_WORDS |= {"acceptable", "first", "sacrifice", "relax", "yield", "compromise", "loosen"}
_GIVE_WORDS |= {"more", "up", "rise", "higher", "less", "worse", "longer"}
_HOLD_WORDS = {"keep", "hold", "protect", "fixed", "firm", "strict", "stay", "stays", "within"}
_HOLD_WORDS |= {"cap", "capped", "must", "critical", "important", "priority", "down", "matters"}
_NEGATIONS = {"not", "no", "never", "cannot", "nothing", "neither"}
_CLAUSE_BREAKS = {",", ";", ".", ":", "!", "?", "-", "but", "and", "while", "whereas", "so"}


def _clause_votes(clause: list[str]) -> dict[TradeoffPriority, int]:
    votes = dict.fromkeys(TradeoffPriority, 0)
    topics = {_TOPIC_WORDS[w][0] for w in clause if w in _TOPIC_WORDS}
    flip = -1 if any(w in _NEGATIONS for w in clause) else 1
    stance = sum(1 for w in clause if w in _GIVE_WORDS) - sum(1 for w in clause if w in _HOLD_WORDS)
    for word in clause:
        if word not in _TOPIC_WORDS:
            continue
        topic, own = _TOPIC_WORDS[word]
        # A single-topic clause takes the clause's mood ("latency can give");
        # with both topics only the self-explaining words count ("pay more than wait").
        vote = own or (0 if len(topics) > 1 else (1 if stance >= 0 else -1))
        gives = (vote * flip > 0) == (topic == "latency")
        if vote:
            votes[TradeoffPriority.LATENCY_GIVES if gives else TradeoffPriority.COST_GIVES] += 1
    return votes


def parse_tradeoff(text: str) -> Parsed[TradeoffPriority] | Unclear:
    """ "latency" / "slower is ok" → LATENCY_GIVES; "cost" / "pay more" → COST_GIVES."""
    if (refusal := _precheck(text, _TRADEOFF_Q)) is not None:
        return refusal
    key = " ".join(_words(text))
    for priority in TradeoffPriority:
        if key == priority.value.replace("_", " "):
            return Parsed(value=priority)
    totals = dict.fromkeys(TradeoffPriority, 0)
    clause: list[str] = []
    for tok in [*_tokenize(_normalize(text)), None]:
        if tok is None or tok.text in _CLAUSE_BREAKS:
            for priority, count in _clause_votes(clause).items():
                totals[priority] += count
            clause = []
        else:
            clause.append(tok.text)
    latency, cost = totals[TradeoffPriority.LATENCY_GIVES], totals[TradeoffPriority.COST_GIVES]
    if latency and not cost:
        return Parsed(value=TradeoffPriority.LATENCY_GIVES)
    if cost and not latency:
        return Parsed(value=TradeoffPriority.COST_GIVES)
    if latency and cost:
        lead = "I read that both ways. Which one gives way first?"
    else:
        lead = f'I couldn\'t tell from "{_quote(text)}" whether latency or cost gives way.'
    return _unclear(_TRADEOFF_Q, lead)


# ---------------------------------------------------------------------------------------------
# (3) Success measures

_AT_LEAST, _AT_MOST = Direction.AT_LEAST, Direction.AT_MOST
# Longest first, so "no more than" wins over "more than".
_COMPARATORS: list[tuple[tuple[str, ...], Direction]] = sorted(
    [
        *(
            (tuple(p.split()), _AT_LEAST)
            for p in _phrases(
                ">=|>|+|at least|no less than|not less than|no fewer than|min|minimum|more than|"
                "greater than|above|over|exceeds|exceed|higher than|or more|or higher|or above|"
                "or better|or greater"
            )
        ),
        *(
            (tuple(p.split()), _AT_MOST)
            for p in _phrases(
                "<=|<|at most|no more than|not more than|max|maximum|under|below|less than|"
                "fewer than|lower than|or less|or lower|or fewer|or below|up to|within"
            )
        ),
    ],
    key=lambda item: -len(item[0]),
)
_VERBS = {"increase": _AT_LEAST, "raise": _AT_LEAST, "grow": _AT_LEAST, "improve": _AT_LEAST}
_VERBS |= {"boost": _AT_LEAST, "reach": _AT_LEAST, "hit": _AT_LEAST, "reduce": _AT_MOST}
_VERBS |= {"cut": _AT_MOST, "decrease": _AT_MOST, "lower": _AT_MOST, "limit": _AT_MOST}
_VERBS |= {"cap": _AT_MOST, "shrink": _AT_MOST}
_NAME_EDGES = {"the", "our", "a", "an", "should", "be", "is", "are", "must", "stay", "keep", "to"}
_NAME_EDGES |= {"of", "with", "at", "target", "goal", "then", "-", ":", "=", "*", "•", "."}
_NAME_EDGES |= {"·", "(", ")", "'", '"', "need", "needs", "want", "we", "$"}
_UNIT_NAMES = {"%": "%", "percent": "%", "pct": "%", "$": "$", "usd": "$", "dollars": "$"}
_UNIT_NAMES |= {"ms": "ms", "msec": "ms", "milliseconds": "ms", "millisecond": "ms", "s": "s"}
_UNIT_NAMES |= {"sec": "s", "secs": "s", "second": "s", "seconds": "s"}


_COMPARATORS_BY_FIRST: dict[str, list[tuple[tuple[str, ...], Direction]]] = {}
for _phrase, _direction in _COMPARATORS:
    _COMPARATORS_BY_FIRST.setdefault(_phrase[0], []).append((_phrase, _direction))


def _comparators(tokens: list[_Tok]) -> list[tuple[int, int, Direction]]:
    found = []
    i = 0
    while i < len(tokens):
        for phrase, direction in _COMPARATORS_BY_FIRST.get(tokens[i].text, []):
            if all(_at(tokens, i + n) == part for n, part in enumerate(phrase)):
                found.append((i, i + len(phrase), direction))
                i += len(phrase) - 1
                break
        i += 1
    return found


def _trim(tokens: list[_Tok], skip: set[str]) -> list[_Tok]:
    start, end = 0, len(tokens)
    while start < end and (tokens[start].text in skip or tokens[start].text in _VERBS):
        start += 1
    while end > start and tokens[end - 1].text in skip:
        end -= 1
    return tokens[start:end]


def _span(line: str, tokens: list[_Tok]) -> str:
    return line[tokens[0].start : tokens[-1].end] if tokens else ""


def _parse_metric(line: str, tokens: list[_Tok]) -> SuccessMetric | str:
    """One measure, e.g. "CSAT at least 4.2"; a string explains what is missing."""
    said = f'"{_quote(_span(line, tokens))}"'
    comparators = _comparators(tokens)
    directions = {d for _, _, d in comparators} or {
        _VERBS[t.text] for t in tokens if t.text in _VERBS
    }
    if len(directions) > 1:
        return f"{said} says both at least and at most. Which one is it?"
    numbers = [i for i, t in enumerate(tokens) if t.kind == "num"]
    if not numbers:
        return f"I couldn't find a target number in {said}."
    if comparators:
        first, last, _ = comparators[0]
        after = [i for i in numbers if i >= last]
        target = after[0] if after else max(i for i in numbers if i < first)
        name_end = first if target >= last else min(first, target)
    elif len(numbers) == 1:
        target = name_end = numbers[0]
    else:
        return f"I see several numbers in {said}. Which one is the target?"
    skip = {i for a, b, _ in comparators for i in range(a, b)}
    value = tokens[target].value * (-1 if _is_negative(tokens, target) else 1)
    unit_index = target + 1
    unit = ""
    if _at(tokens, target - 1) == "$" or (
        _at(tokens, target - 1) == "-" and _at(tokens, target - 2) == "$"
    ):
        unit = "$"
    elif _at(tokens, unit_index) in _UNIT_NAMES and unit_index not in skip:
        unit = _UNIT_NAMES[_at(tokens, unit_index)]
        unit_index += 1
    name = _trim([t for i, t in enumerate(tokens[:name_end]) if i not in skip], _NAME_EDGES)
    trailing = _trim([t for i, t in enumerate(tokens) if i >= unit_index and i not in skip], {"."})
    if not name:
        name, trailing = _trim(trailing, _NAME_EDGES), []
    if not name:
        return f"I couldn't tell what is measured in {said}."
    name_text, extra = _span(line, name), _span(line, trailing)
    if len(name_text) > 80 or len(extra) > 40:
        return f"{said} is too long for one measure. Try a short name and a target."
    if not directions:
        n = format_number(value)
        return f"Should {name_text} be at least {n} or at most {n}?"
    if not _finite(value):
        return f"The target in {said} is too large."
    unit = f"{unit} {extra}".strip() if extra else unit
    return SuccessMetric(name=name_text, target=value, direction=directions.pop(), unit=unit)


def _metric_items(line: str) -> list[list[_Tok]]:
    """Splits a line at ";" and "," (numbers keep their thousands commas) and at "and"/"plus"
    once the part before already has a number."""
    items: list[list[_Tok]] = [[]]
    has_number = False
    for tok in _merge_numbers(_tokenize(line)):
        if tok.text in (";", ",") or (tok.text in ("and", "plus", "also") and has_number):
            items.append([])
            has_number = False
        else:
            items[-1].append(tok)
            has_number = has_number or tok.kind == "num"
    return [item for item in items if _trim(item, _NAME_EDGES)]


def parse_success_metrics(text: str) -> Parsed[list[SuccessMetric]] | Unclear:
    """One or several measures: "CSAT >= 4.2; deflection rate at least 30%; p95 ≤ 2 s"."""
    if (refusal := _precheck(text, _METRICS_Q)) is not None:
        return refusal
    metrics: list[SuccessMetric] = []
    for line in text.splitlines():
        for item in _metric_items(line):
            parsed = _parse_metric(line, item)
            if isinstance(parsed, str):
                got = "; ".join(format_metric(m) for m in metrics)
                return _unclear(_METRICS_Q, f"I got {got}. {parsed}" if got else parsed)
            metrics.append(parsed)
    if not metrics:
        return _unclear(_METRICS_Q, f'I couldn\'t find a measure in "{_quote(text)}".')
    return Parsed(value=metrics)


# ---------------------------------------------------------------------------------------------
# Edits after the summary: "change error rate to 8%" → ("error_rate", "8%")

_EDIT_VERBS = ("change", "set", "edit", "update", "make", "modify", "switch", "adjust")
_FIELD_PHRASES: list[tuple[str, str]] = sorted(
    [
        *(
            ("error_impact", p)
            for p in _phrases(
                "error impact|impact of errors|impact|cost of errors|cost of an error|"
                "cost of a wrong answer|error cost|what a wrong answer costs"
            )
        ),
        *(
            ("error_rate", p)
            for p in _phrases("error rate|acceptable error rate|max error rate|error limit|errors")
        ),
        *(("fallback", p) for p in _phrases("fallback|fall back|fallback behaviour")),
        *(
            ("success_metrics", p)
            for p in _phrases(
                "success measures|success metrics|success measure|success metric|measures|metrics"
            )
        ),
        *(("latency", p) for p in _phrases("latency|latency budget|p95 latency|p95|response time")),
        *(("cost", p) for p in _phrases("cost|costs|cost budget|cost per query|budget")),
        *(("tradeoff", p) for p in _phrases("tradeoff|trade-off|trade off|priority")),
    ],
    key=lambda item: -len(item[1]),
)
_EDIT_SEPARATORS = ("to", "as", "is", "=", ":", "-", "→")


def parse_edit_request(text: str) -> tuple[str, str] | None:
    """Recognises a request to change one agreed value; the rest goes to that field's parser.

    "change fallback" with nothing after it returns ("fallback", "") so the bot can ask again.
    """
    if len(text) > MAX_ANSWER_CHARS:
        return None
    rest = text.strip()
    verb = next((v for v in _EDIT_VERBS if rest.lower().startswith(v + " ")), None)
    if verb is None:
        return None
    rest = rest[len(verb) :].lstrip()
    for article in ("the ", "our ", "my "):
        if rest.lower().startswith(article):
            rest = rest[len(article) :].lstrip()
    for field, phrase in _FIELD_PHRASES:
        head, tail = rest[: len(phrase)], rest[len(phrase) :]
        if head.lower() == phrase and not tail[:1].isalnum():
            tail = tail.strip()
            for separator in _EDIT_SEPARATORS:
                if (
                    tail.lower().startswith(separator)
                    and not tail[len(separator) : len(separator) + 1].isalnum()
                ):
                    tail = tail[len(separator) :].strip()
                    break
            return field, tail
    return None
