"""(4c) Which budget gives way first, read by meaning. Each phrase says of latency or of cost
either that it may give ("latency can slip", "we can pay more", "fine if it takes 5 s") or that
it holds ("speed is everything", "we can't afford a bigger bill", "nobody waits"). A negation
flips a phrase ("cost is not the priority" = cost may give). Latency giving and cost holding
both mean LATENCY_GIVES, and the other way round; phrases that disagree, or none at all,
("both matter", "depends") get a question, never a guess."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.domain.parsing.clauses import Part
from bot.domain.parsing.findings import Finding, FollowUp, Found
from bot.domain.parsing.results import TRADEOFF, Parsed, Unclear, precheck, unclear
from bot.domain.parsing.tokens import corrected, normalize, quote, words
from bot.domain.steps import Step
from bot.domain.targets import TradeoffPriority

_L = (
    r"(?:latency|speed|response times?|p95|waiting|slowness|lag|performance|time to answer"
    r"|how fast it is|being fast|answers?)"
)
_C = r"(?:cost|costs|price|prices|pricing|money|the bill|bill|budget|spend|spending|our spend)"
_GIVE, _HOLD = 1, -1
# (pattern, topic, stance, already negated); {T} is the topic's words.
_TEMPLATES: list[tuple[str, int, bool]] = [
    # the topic may give
    (
        r"{T} (?:(?P<neg>cannot|can not|could not|should not|will not|must not|may not)|can"
        r"|could|may|should|will|is allowed to|gets to)(?: also| really| easily| probably"
        r"| just)? (?:give|give way|slip|slide|bend|flex|wait|move|be the one|grow|go up|rise"
        r"|be higher|be slower)",
        _GIVE,
        False,
    ),
    (r"{T}(?P<neg> never| does not| do not| will not)? gives?(?: way| first| in)?\b", _GIVE, False),
    (
        r"{T} (?:is|are)(?P<neg> not)? (?:flexible|secondary|negotiable|less important|nice to have"
        r"|the flexible one|the one that gives|what gives)",
        _GIVE,
        False,
    ),
    (r"{T} matters? less|{T} (?:does not|do not|doesn't) (?:really )?matter", _GIVE, True),
    (r"(?:do not|does not|dont|don't) (?:really )?care (?:much )?about {T}", _GIVE, True),
    (r"not (?:fussed|bothered|worried) about {T}", _GIVE, True),
    (
        r"{T} (?:is|are) not (?:a |an |the |our )?(?:issue|concern|problem|priority|big deal"
        r"|critical|important|key|crucial)",
        _GIVE,
        True,
    ),
    (r"(?:would|will|should|could|'d)?(?P<neg> not| never)? sacrifice {T}", _GIVE, False),
    (r"if anything (?:moves|gives|slips),? it(?:'s| is) {T}", _GIVE, True),
]
_PLAIN: list[tuple[str, int, int, bool]] = [
    # latency may give
    (
        r"(?:fine|ok|okay|acceptable|happy|alright)(?P<neg> not)? (?:if|when|that) (?:it |things |"
        r"answers |responses )?(?:is |are |gets? |get |takes? |runs? )?(?:a bit |a little |much )?"
        r"(?:slower|longer|takes?|\d)",
        0,
        _GIVE,
        False,
    ),
    (
        r"(?:slower|longer waits?|a bit slower|waiting)(?: answers)? (?:is|are)(?P<neg> not)? "
        r"(?:fine|ok|okay|acceptable|alright)",
        0,
        _GIVE,
        False,
    ),
    (
        r"(?:people|users|customers|they|folks|agents?|lawyers?|readers?|analysts?|we)"
        r" (?:can|could|will|do not mind|happily|are happy to|are used to|don't mind)"
        r"(?: happily)? (?:wait|waiting)",
        0,
        _GIVE,
        True,
    ),
    (
        r"(?:do not|does not|don't|doesn't) (?:care|mind) if (?:it(?:'s| is)? )?(?:slower|slow"
        r"|takes longer)",
        0,
        _GIVE,
        True,
    ),
    # latency holds
    (
        r"(?:nobody|no one|noone|users will not|people will not|agents will not"
        r"|traders will not|they will not|drivers cannot|agents cannot|customers will not"
        r"|we cannot|cannot) waits?\b",
        0,
        _HOLD,
        True,
    ),
    (r"(?:hate|hates|won't|will not) (?:waiting|wait for anything)", 0, _HOLD, True),
    (
        r"(?:cannot|can not|must not|can't|should not) (?:let )?(?:it |latency |things |answers )?"
        r"(?:(?:get |be |go )(?:any )?slower|slip)",
        0,
        _HOLD,
        True,
    ),
    (r"(?:cannot|can not) afford (?:slower|to be slower|longer|to wait|delays)", 0, _HOLD, True),
    (r"keep (?:it|things|answers|responses) (?:fast|snappy|quick|instant)", 0, _HOLD, True),
    (r"(?:has|needs|have|need) to be (?:fast|snappy|quick|instant)", 0, _HOLD, True),
    # cost may give
    (
        r"(?:pay|spend)(?: a bit)? (?:more|extra|up|what it takes|whatever it takes)",
        1,
        _GIVE,
        False,
    ),
    (
        r"(?:happy|willing|fine|ok) to (?:pay|spend)|(?:would|'d) rather (?:pay|spend)",
        1,
        _GIVE,
        False,
    ),
    (
        r"eat the (?:cost|bill|price)|money(?:'s| is) no object|no object|whatever it costs"
        r"|at any cost|(?:cost|price|budget) is no (?:object|issue)",
        1,
        _GIVE,
        True,
    ),
    # cost holds
    (
        r"(?:cannot|can not|can't) afford(?! slower| to be slower| longer| to wait| delays)",
        1,
        _HOLD,
        True,
    ),
    (
        r"(?:bill|cost|costs|price|spend|budget)(?: \w+)? (?:must not|cannot|can not|should not"
        r"|will not|may not|can't) (?:go up|grow|rise|increase|move|get bigger)",
        1,
        _HOLD,
        True,
    ),
    (
        r"(?:bill|budget|cost|costs|spend) (?:stays?|remains?) (?:flat|fixed|the same|where it is)",
        1,
        _HOLD,
        True,
    ),
    (r"keep (?:it|things|the bill|costs?|the price|spend) (?:cheap|low|down|flat)", 1, _HOLD, True),
    (r"finance (?:will|would) (?:kill|murder) us", 1, _HOLD, True),
]
_HOLD_TEMPLATES: list[tuple[str, int, bool]] = [
    (
        r"{T} (?:is|are|'s)(?P<neg> not)? (?:everything|king|key|critical|crucial|non-negotiable"
        r"|(?:the |our |a |the top |our top )?priority|(?:the |a )?hard (?:line|cap|limit)"
        r"|fixed|firm"
        r"|the constraint|sacred|what matters(?: most)?|the thing (?:that matters|we protect)"
        r"|(?:the )?most important(?: thing)?|the main thing)",
        _HOLD,
        False,
    ),
    (r"{T}(?P<neg> does not| do not)? matters? (?:most|more|the most|above all)", _HOLD, False),
    (
        r"what (?:really )?matters(?: most)? is {T}|(?:care|cares) (?:most )?about {T}"
        r"|protect {T}|{T} above all",
        _HOLD,
        True,
    ),
]
_UNCLEAR = re.compile(
    r"\b(?:both|either|depends|it depends|no preference|equally|hard to say|not sure|dunno"
    r"|no idea|neither|tough one|good question)\b"
)


@dataclass(frozen=True)
class _Phrase:
    pattern: re.Pattern[str]
    latency: bool
    stance: int
    negated: bool  # the phrase says its own negation ("can't afford")


def _phrases() -> list[_Phrase]:
    found = []
    for template, stance, negated in _TEMPLATES + _HOLD_TEMPLATES:
        for topic, words_ in ((True, _L), (False, _C)):
            pattern = template.replace("{T}", words_)
            found.append(_Phrase(re.compile(r"\b" + pattern), topic, stance, negated))
    for pattern, which, stance, negated in _PLAIN:
        found.append(_Phrase(re.compile(r"\b" + pattern), which == 0, stance, negated))
    return found


_ALL = _phrases()
_NEGATORS = re.compile(r"\b(?:not|never|no|nobody|hardly|cannot)\s+(?:\w+\s+){0,2}$")


def stances(text: str) -> list[tuple[int, TradeoffPriority]]:
    """(position, what gives way) for each stance phrase in the text."""
    lowered = " ".join(corrected(text).split())
    found: list[tuple[int, TradeoffPriority]] = []
    taken: list[tuple[int, int]] = []
    for phrase in _ALL:
        for match in phrase.pattern.finditer(lowered):
            if any(a < match.end() and match.start() < b for a, b in taken):
                continue
            stance = phrase.stance
            if not phrase.negated:
                negated = bool(match.groupdict().get("neg")) or bool(
                    _NEGATORS.search(lowered[: match.start()])
                )
                stance = -stance if negated else stance
            gives_latency = (stance == _GIVE) == phrase.latency
            priority = (
                TradeoffPriority.LATENCY_GIVES if gives_latency else TradeoffPriority.COST_GIVES
            )
            found.append((match.start(), priority))
            taken.append((match.start(), match.end()))
    return sorted(found, key=lambda item: item[0])


def _bare(text: str) -> TradeoffPriority | None:
    """The item's own names as the whole answer: "latency", "cost", a button's value."""
    key = [w for w in words(text) if w not in ("ok", "then", "so", "i", "d", "say", "lets", "let")]
    key = [w for w in key if w not in ("s", "us", "go", "with", "the", "one", "okay", "fine")]
    joined = " ".join(key)
    for priority in TradeoffPriority:
        if joined == priority.value.replace("_", " "):
            return priority
    if joined in ("latency", "speed can give", "latency first"):
        return TradeoffPriority.LATENCY_GIVES
    if joined in ("cost", "costs", "cost first", "price"):
        return TradeoffPriority.COST_GIVES
    return None


def parse_tradeoff(text: str) -> Parsed[TradeoffPriority] | Unclear:
    """ "latency" / "slower is ok" → LATENCY_GIVES; "cost" / "pay more" → COST_GIVES."""
    if (refusal := precheck(text, TRADEOFF)) is not None:
        return refusal
    if (bare := _bare(text)) is not None:
        return Parsed(value=bare)
    found = {priority for _, priority in stances(text)}
    if len(found) == 1:
        return Parsed(value=found.pop())
    if found:
        lead = "I read that both ways. Which one gives way first?"
    else:
        lead = f'I couldn\'t tell from "{quote(text)}" whether latency or cost gives way.'
    return unclear(TRADEOFF, lead)


def find(part: Part, *, focus: bool) -> list[Finding]:
    """A stance on which budget gives way, in one part of a reply."""
    if (focus or part.label is Step.TRADEOFF) and (bare := _bare(part.text)) is not None:
        return [Found(Step.TRADEOFF, bare, part.start, part.end, True)]
    found = stances(part.text)
    if found:
        priorities = {priority for _, priority in found}
        if len(priorities) > 1:
            reply = unclear(TRADEOFF, "I read that both ways. Which one gives way first?").reply
            return [FollowUp(Step.TRADEOFF, reply, part.start)]
        return [Found(Step.TRADEOFF, found[0][1], part.start, part.end, True)]
    if focus and _UNCLEAR.search(normalize(part.text)):
        lead = f'"{quote(part.text)}" doesn\'t tell me which one gives way first.'
        return [FollowUp(Step.TRADEOFF, unclear(TRADEOFF, lead).reply, part.start)]
    return []
