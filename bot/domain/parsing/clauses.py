"""A reply cut into sentences and parts, the way people separate their points in a Slack message:
lines, bullets, numbered lists, ";", ". ", "—", " / ", parentheses, then commas. A label at the
start of a sentence ("fallback:", "success =", "cost of an error:") says which item the sentence
answers. Positions always refer to the reply's text, so a part can be quoted as it was typed."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.domain.parsing.tokens import Tok, numbers, words
from bot.domain.steps import Step

# Pasted code, emoji shortcodes, "+1" and list markers carry no answer: blanked (same length).
_BLANKED = re.compile(
    r"```.*?```|```.*$"
    r"|:[a-z0-9_+'-]+:"
    r"|[\U0001F300-\U0001FAFF\u2600-\u27BF\u2B50\u2B55\uFE0F\u200D]"  # emoji as typed
    r"|(?<![\w+])\+1(?!\d|[.,]\d)"
    r"|^[ \t]*(?:[0-9]{1,2}[.)]|[-*•·‣◦])(?=[ \t])"
    r"|<[^<>\s]{1,60}>",  # typed-out tags or mentions ("<@U0EVIL>"): not comparisons
    re.DOTALL | re.MULTILINE,
)
_SENTENCE_END = re.compile(r"\n+|;|!+|\?+|\.(?=\s|$)|\s[—–]\s?|\s-{1,2}\s|\s/\s|[()]|…")
# "if something has to give, it's latency": the comma joins a condition to its answer
_COMMA = re.compile(r"(?<!\bgive),(?=\s|$)")

# Sentence openers that name an item ("fallback: …") or only introduce ("from my side: …").
_LABELS: list[tuple[str, Step | None]] = [
    *(
        (label, Step.ERROR_IMPACT)
        for label in (
            "cost of an error",
            "cost of errors",
            "cost of a mistake",
            "cost of a wrong answer",
            "error cost",
            "impact",
            "what an error costs",
            "what a wrong answer costs",
            "what it costs",
            "why it matters",
            "cost of being wrong",
            "consequence",
            "consequences",
        )
    ),
    *((label, Step.ERROR_RATE) for label in ("error rate", "errors", "error-wise", "accuracy")),
    *(
        (label, Step.FALLBACK)
        for label in ("fallback", "fall back", "when unsure", "if unsure", "unsure")
    ),
    *(
        (label, Step.SUCCESS_METRICS)
        for label in (
            "success measures",
            "success metrics",
            "success",
            "measures",
            "metrics",
            "kpis",
            "kpi",
            "what i care about",
        )
    ),
    *((label, Step.LATENCY) for label in ("latency", "p95", "speed")),
    *(
        (label, Step.COST)
        for label in ("cost per query", "cost", "budget", "price", "$/q", "$/query", "cost/query")
    ),
    *(
        (label, Step.TRADEOFF)
        for label in (
            "tradeoff",
            "trade-off",
            "trade off",
            "priority",
            "gives first",
            "gives way first",
            "first to give",
            "what gives",
        )
    ),
    *(
        (label, None)
        for label in (
            "budget side",
            "from my side",
            "from support",
            "from legal",
            "to be clear",
            "context",
            "fyi",
            "btw",
            "then",
            "ok",
            "so",
            "also",
            "and",
        )
    ),
]
_LABEL = re.compile(
    r"^\s*(?P<label>"
    + "|".join(re.escape(label) for label, _ in sorted(_LABELS, key=lambda x: -len(x[0])))
    + r")\s*(?::|=)\s*"
    r"|^\s*(?P<verb>success|what i care about|success measures?)\s+(?:is|are|means)\s+"
    # "from #legal: …", "from @ana's side: …": who speaks, not what about
    r"|^\s*(?P<intro>from\s+[#@]?[\w-]*(?:'s)?(?: side| team)?)\s*:\s*"
    r"|^\s*(?P<unsure>(?:when|if) (?:it(?:'s| is)? |the model is |the bot is |we(?:'re| are) )?"
    r"(?:unsure|not sure|not confident|in doubt|does ?n[o']t know|can(?:'|no)t tell))\s*[,:→]\s*"
    r"|^\s*(?P<unsure_arrow>(?:unsure|not sure|if in doubt)(?: [^\W\d_]+)?)\s*(?:→|->|=>)\s*",
    re.IGNORECASE,
)
_LABEL_STEPS = dict(_LABELS)
# A label as typed, typos and all ("sucess:", "fallbakc:"), before a colon.
_HEAD = re.compile(r"^\s*(?P<head>[^\W\d_]+(?: [^\W\d_]+){0,3})\s*:\s*")


_HEDGE = re.compile(
    r"^\s*(?:i think|i'd say|i would say|i guess|imo|my take|my vote|personally|for me)\s*[:,]\s*",
    re.IGNORECASE,
)


def _label_of(chunk: str) -> tuple[Step | None, int] | None:
    """The item a sentence's opening label names, and where its body starts; a hedge before
    it ("I think: when it's unsure, …") does not hide it."""
    if (hedge := _HEDGE.match(chunk)) is not None:
        labelled = _named(chunk[hedge.end() :])
        if labelled is not None and labelled[0] is not None:
            return labelled[0], hedge.end() + labelled[1]
    return _named(chunk)


def _named(chunk: str) -> tuple[Step | None, int] | None:
    if (named := _LABEL.match(chunk)) is not None:
        if named.group("unsure") or named.group("unsure_arrow"):
            return Step.FALLBACK, named.end()
        if named.group("intro"):
            return None, named.end()
        return _LABEL_STEPS.get((named.group("label") or named.group("verb")).lower()), named.end()
    if (head := _HEAD.match(chunk)) is not None:
        typed = " ".join(words(head.group("head")))  # typos corrected
        if typed in _LABEL_STEPS:
            return _LABEL_STEPS[typed], head.end()
    return None


@dataclass
class Part:
    """One clause: its text as typed, its tokens (numbers merged) and words."""

    text: str
    start: int
    end: int
    sentence: int
    label: Step | None = None
    tokens: list[Tok] = field(default_factory=list)
    words: list[str] = field(default_factory=list)
    dollars_per_query: bool = False  # under a "$/q:" label, a bare number is dollars per query


@dataclass
class Sentence:
    text: str
    start: int
    end: int
    index: int
    question: bool  # ended with "?"
    label: Step | None
    parts: list[Part] = field(default_factory=list)


def blank(text: str) -> str:
    """The reply with code blocks, emoji (shortcodes and characters), "+1" and list markers
    replaced by spaces."""
    return _BLANKED.sub(lambda match: " " * len(match.group(0)), text)


def sentences(text: str) -> list[Sentence]:
    found: list[Sentence] = []
    last = 0
    quoted = _quoted_spans(text)
    for match in [*_SENTENCE_END.finditer(text), None]:
        if match is not None and _inside(match.start(), quoted):
            continue  # 'says "not sure, check the advisory"': a quote is one piece
        end = match.start() if match is not None else len(text)
        _add(found, text, last, end, question=match is not None and "?" in match.group(0))
        if match is not None:
            last = match.end()
    return found


def _add(found: list[Sentence], text: str, start: int, end: int, *, question: bool) -> None:
    chunk = text[start:end]
    if not chunk.strip():
        return
    named_only = _LABEL_STEPS.get(chunk.strip().lower())
    if named_only is not None:  # "latency" alone, or "fallback — …" naming what follows
        alone = Sentence(chunk.strip(), start, end, len(found), question, named_only)
        alone.parts.append(_part(text, start, end, alone.index, named_only))
        found.append(alone)
        return
    label: Step | None = None
    body_start = start
    if (labelled := _label_of(chunk)) is not None:
        label, body_start = labelled[0], start + labelled[1]
    elif (
        found
        and found[-1].label is not None
        and _only_label(found[-1])
        # "(p95)" in brackets annotates what came before it, not what follows
        and text[: found[-1].start].rstrip()[-1:] != "("
    ):
        label = found[-1].label  # the sentence before was only the label
    sentence = Sentence(text[body_start:end], body_start, end, len(found), question, label)
    if not sentence.text.strip():
        if label is not None:  # "success:" at the end of a line names the next one
            found.append(Sentence(chunk.strip(), start, end, len(found), question, label))
        return
    last = body_start
    quoted = _quoted_spans(text)
    commas = [c for c in _COMMA.finditer(text, body_start, end) if not _inside(c.start(), quoted)]
    for comma in [*commas, None]:
        stop = comma.start() if comma is not None else end
        if text[last:stop].strip():
            sentence.parts.append(_part(text, last, stop, sentence.index, label))
        if comma is not None:
            last = comma.end()
    if _PER_QUERY_LABEL.search(text[start:body_start]) and sentence.parts:
        sentence.parts[0].dollars_per_query = True
    found.append(sentence)


_PER_QUERY_LABEL = re.compile(r"\$\s*/\s*q(?:uery)?\b|\$ per query", re.IGNORECASE)
_QUOTE = re.compile(r'"[^"\n]{1,80}"|“[^”\n]{1,80}”')


def _quoted_spans(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _QUOTE.finditer(text)]


def _inside(offset: int, spans: list[tuple[int, int]]) -> bool:
    return any(a < offset < b for a, b in spans)


def _only_label(sentence: Sentence) -> bool:
    return not sentence.parts or sentence.text.strip().lower() in _LABEL_STEPS


def _part(text: str, start: int, end: int, sentence: int, label: Step | None) -> Part:
    chunk = text[start:end]
    lead = len(chunk) - len(chunk.lstrip())
    chunk = chunk.strip()
    return Part(
        chunk,
        start + lead,
        start + lead + len(chunk),
        sentence,
        label,
        numbers(chunk),
        words(chunk),
    )


def split_part(part: Part, at: int) -> tuple[Part, Part]:
    """A part cut in two at an offset of its text ("4% and a wrong answer costs…")."""
    head, tail = part.text[:at], part.text[at:]
    lead = len(tail) - len(tail.lstrip())
    first = Part(head.rstrip(), part.start, part.start + len(head.rstrip()), part.sentence)
    second = Part(tail.strip(), part.start + at + lead, part.end, part.sentence)
    for piece in (first, second):
        piece.tokens, piece.words = numbers(piece.text), words(piece.text)
    return first, second
