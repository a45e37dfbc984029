"""(4c) Which budget gives way first, read by meaning. Each phrase says of latency or of cost
either that it may give ("latency can slip", "we can pay more", "fine if it takes 5 s") or that
it holds ("speed is everything", "we can't afford a bigger bill", "nobody waits"). A negation
flips a phrase ("cost is not the priority" = cost may give). Latency giving and cost holding
both mean LATENCY_GIVES, and the other way round; phrases that disagree, or none at all,
("both matter", "depends") get a question, never a guess.

Over 300 lines because most of it is the phrase table, which reads best in one place."""

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
    r"|how fast it is|being fast|faster|answers?)"
)
_C = (
    r"(?:cost|costs|price|prices|pricing|money|the bill|bill|budget|spend|spending|our spend"
    r"|savings|saving money|cheaper|being cheap)"
)
_GIVE, _HOLD = 1, -1
# (pattern, topic, stance, already negated); {T} is the topic's words.
_TEMPLATES: list[tuple[str, int, bool]] = [
    # the topic may give
    (
        r"{T} (?:(?P<neg>cannot|can not|could not|should not|will not|must not|may not"
        r"|would not)|can|could|may|should|will|would(?: have to)?|will have to|has to|have to"
        r"|is allowed to|gets to)(?: also| really| easily| probably| just)? (?:give|give way"
        r"|slip|slide|bend|flex|stretch|wait|move|be the one|grow|go up|rise|be higher"
        r"|be slower)",
        _GIVE,
        False,
    ),
    (
        r"{T}(?P<neg> never| does not| do not| will not)? (?:gives?|bends|slips|flexes"
        r"|stretches|yields)(?: way| first| in)?\b",
        _GIVE,
        False,
    ),
    # "latency basically doesn't matter"
    (
        r"{T} (?:basically |really |honestly |kind of |just )?(?:does not|do not) (?:really )?"
        r"matter",
        _GIVE,
        False,
    ),
    # "cost is the one we'd bend on", "latency is the one that can stretch"
    (
        r"{T} (?:is|are|'s) the one (?:that |which |we'd |we would |we will |we'll |we can "
        r"|i'd |i would )?(?:can |could |will |may |should )?(?:give|gives|bend|bends|stretch"
        r"|stretches|slip|slips|flex|flexes|move|moves|sacrifice|compromise)",
        _GIVE,
        False,
    ),
    # "I'd never trade speed for savings"
    (r"(?:would|will|'d)?(?P<neg> not| never)? trade(?: off)? {T}(?: for| to| away)", _GIVE, False),
    # "if something has to give it's latency", "whatever has to give, it won't be latency"
    (
        r"(?:something|whatever|anything|one of them|one) (?:has to|must|needs to|should|will)"
        r" give,? (?:it|that)(?:(?P<neg> will not be| would not be| is not| is never)|'s| is"
        r"| will be| would be|'ll be) {T}",
        _GIVE,
        False,
    ),
    # "if I must pick one to give: latency"
    (
        r"(?:one|the one|which one) to give(?: way)?(?: first)?(?: is| would be)?[:,-]? {T}",
        _GIVE,
        True,
    ),
    (
        r"{T} (?:is|are)(?P<neg> not)? (?:flexible|secondary|negotiable|less important|nice to have"
        r"|the flexible one|the one that gives|what gives|where we (?:compromise|give|bend|flex))",
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
    # "latency whatever, it's a nightly batch" (not "latency: whatever's standard")
    (r"{T}:? (?:whatever|who cares|meh)(?=$|[,.;!])", _GIVE, True),
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
        r"(?:slower|slow|longer waits?|a bit slower|waiting)(?: answers)? (?:is|are)(?P<neg> not)? "
        r"(?:fine|ok|okay|acceptable|alright)",
        0,
        _GIVE,
        False,
    ),
    (
        r"(?:fine|ok|okay|alright) if (?:it is|it's|things are|answers are|it gets)"
        r" (?:a bit |a little )?slow",
        0,
        _GIVE,
        False,
    ),
    (
        r"rather (?:it |things |answers |they )?(?:be |was |were |is |got |get )?"
        r"(?:a bit |a little |somewhat )?slower",
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
        # (not "can't wait to ship")
        r"|we cannot|cannot) waits?\b(?! to\b| for (?:it|this|the launch)\b)",
        0,
        _HOLD,
        True,
    ),
    (r"(?:hate|hates|won't|will not) (?:waiting|wait for anything)", 0, _HOLD, True),
    (
        r"(?:will not|would not|do not|does not|refuse to) (?:sit (?:there |around )?(?:and )?)?"
        r"(?:wait|waiting)\b(?! to| for (?:it|this|the launch))",
        0,
        _HOLD,
        True,
    ),
    (
        r"(?:cannot|can not|must not|can't|should not|would not|will not|do not) (?:let )?(?:it |"
        r"latency |things |answers )?(?:(?:get |be |go )(?:any )?slower|slip)",
        0,
        _HOLD,
        True,
    ),
    # "speed over savings", "prioritise latency over cost"
    (_L + r" (?:over|before|ahead of|rather than) " + _C, 0, _HOLD, True),
    (_C + r" (?:over|before|ahead of|rather than) " + _L, 1, _HOLD, True),
    (r"(?:cannot|can not) afford (?:slower|to be slower|longer|to wait|delays)", 0, _HOLD, True),
    (r"keep (?:it|things|answers|responses) (?:fast|snappy|quick|instant)", 0, _HOLD, True),
    (r"(?:has|needs|have|need) to be (?:fast|snappy|quick|instant)", 0, _HOLD, True),
    # cost may give
    (
        r"(?:pay|spend)(?: a bit)? (?:more|extra|up|what it takes|whatever it takes|it\b"
        r"|for it|the difference)",
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
    (r"(?:do not|never) make it (?:pricier|more expensive|cost more|dearer)", 1, _HOLD, True),
    (r"blow (?:the|our|through the|through our) (?:budget|bill)", 1, _GIVE, False),
    # "it can be slower", "a bit slower, that's fine"
    (
        r"(?:it|answers|things|responses|replies|the model) (?:can|could|may) (?:be|get|run)"
        r" (?:a bit |a little |somewhat |much )?slower",
        0,
        _GIVE,
        False,
    ),
    (r"slower,? (?:that'?s|that is|it'?s|it is) (?:fine|ok|okay|acceptable)", 0, _GIVE, False),
    # "I'd throw money at that", "if a better model is pricier, we pay"
    (r"throw (?:money|cash|budget) at", 1, _GIVE, False),
    (
        r"(?:we|we'll|we will|we'd|we would|i'd|i would) (?:just )?pay(?: for it| up)?$",
        1,
        _GIVE,
        False,
    ),
    # "we don't have budget for pricier", "no budget for a bigger model"
    (
        r"(?:no|not have|not have the|not have a|not have any) (?:budget|money) for (?:a )?"
        r"(?:pricier|more|bigger|more expensive|dearer)",
        1,
        _HOLD,
        True,
    ),
    # "speed > cost", "💸 > ⚡" aside: the budget named first is the one that holds
    (_L + r" ?(?:>|>>|beats|trumps) ?" + _C, 0, _HOLD, True),
    (_C + r" ?(?:>|>>|beats|trumps) ?" + _L, 1, _HOLD, True),
]
_HOLD_TEMPLATES: list[tuple[str, int, bool]] = [
    (
        r"{T} (?:is|are|'s)(?P<neg> not)? (?:everything|king|key|critical|crucial|non-negotiable"
        r"|(?:the |our |a |the top |our top )?priority|(?:the |a )?hard (?:line|cap|limit)"
        r"|fixed|firm"
        r"|the constraint|sacred|what matters(?: most)?|the thing (?:that matters|we protect)"
        r"|what we(?:'re| are)? optimi[sz](?:e|ing) for|the one we protect"
        r"|(?:the )?one thing (?:we|you|i) (?:cannot|can not|will not|do not|must not) (?:move"
        r"|touch|change|bend)"
        r"|(?:the )?most important(?: thing)?|the main thing)",
        _HOLD,
        False,
    ),
    (r"{T}(?P<neg> does not| do not)? matters? (?:most|more|the most|above all)", _HOLD, False),
    (
        r"what (?:really )?matters(?: most)? is {T}|(?:care|cares) (?:most )?about {T}"
        r"|{T} above all|{T} (?:wins|comes first|trumps)",
        _HOLD,
        True,
    ),
    # "prioritise latency", "optimize for cost", "we don't protect the cost number"
    # "cost is the one to protect", "the price is what we keep"
    (r"{T} (?:is|are|'s) the one (?:to|we) (?:protect|keep|hold|guard)", _HOLD, True),
    (r"(?:care|cares) (?:more|most) about (?:the |our )?{T}", _HOLD, True),
    (
        r"(?:protect|protects|prioriti[sz]e|prioriti[sz]ing|favou?r|optimi[sz]e for"
        r"|optimi[sz]ing for)(?: the| our)? {T}",
        _HOLD,
        False,
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
# "neither budget should move", "both can't give": about both budgets, so no stance at all
_BOTH = re.compile(r"\b(?:neither|both|either)(?: of)?(?: the| our)?\s+$")


def stances(text: str) -> list[tuple[int, TradeoffPriority]]:
    """(position, what gives way) for each stance phrase in the text."""
    lowered = " ".join(corrected(text).split())
    found: list[tuple[int, TradeoffPriority]] = []
    taken: list[tuple[int, int]] = []
    for phrase in _ALL:
        for match in phrase.pattern.finditer(lowered):
            if any(a < match.end() and match.start() < b for a, b in taken):
                continue
            if _BOTH.search(lowered[: match.start()]):
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


_PRIORITY_LABELS = frozenset({"priority", "priorities", "prio", "focus", "top priority"})
_HELD_NAMES = {
    "speed": TradeoffPriority.COST_GIVES,
    "latency": TradeoffPriority.COST_GIVES,
    "fast": TradeoffPriority.COST_GIVES,
    "cost": TradeoffPriority.LATENCY_GIVES,
    "price": TradeoffPriority.LATENCY_GIVES,
    "cheap": TradeoffPriority.LATENCY_GIVES,
}


def under_priority_label(label: str, body: str) -> TradeoffPriority | None:
    """ "priority: speed": the budget named under a priority is the one that holds, the other
    gives way (the opposite of naming it in answer to "which gives way first?")."""
    if " ".join(words(label)) not in _PRIORITY_LABELS:
        return None
    named = [w for w in words(body) if w not in ("the", "our", "is", "first", "always")]
    return _HELD_NAMES.get(named[0]) if len(named) == 1 else None


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
