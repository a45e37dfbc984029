"""Reading a whole reply against every item of the checklist at once.

A reply is cut into sentences and parts (`clauses`); each part is offered to the readers in
turn: a sentence about what a wrong answer costs claims its part first (its numbers are part of
the story, not budgets), then success measures (a name, a comparison, a target), then latency,
cost and error rate (numbers with their units), the fallback and the priority (by what the
words ask for). When nothing in the reply answers any item, the item the bot asked about last
gets one more look at the whole reply, with that item's own rules. Questions, chatter, remarks
to a colleague and promises to answer later are recognised as such and answer nothing.

Over 300 lines: the reading pass and its choosing rules; a split (reading / choosing) is due."""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.domain.parsing import (
    asides,
    cost,
    fallback,
    impact,
    latency,
    metrics,
    rate,
    stories,
    tradeoff,
    weighing,
)
from bot.domain.parsing.clauses import Part, Sentence, blank, sentences, split_part
from bot.domain.parsing.edits import agrees, corrects, parse_edit_request
from bot.domain.parsing.findings import Finding, FollowUp, Found
from bot.domain.parsing.results import COST as COST_ASK
from bot.domain.parsing.results import FALLBACK as FALLBACK_ASK
from bot.domain.parsing.results import (
    IMPACT,
    MAX_ANSWER_CHARS,
    METRICS,
    RATE,
    Parsed,
    Unclear,
    unclear,
    which_one,
)
from bot.domain.parsing.results import LATENCY as LATENCY_ASK
from bot.domain.parsing.results import TRADEOFF as TRADEOFF_ASK
from bot.domain.parsing.tokens import (
    content_words,
    find_range,
    normalize,
    numbers,
    quote,
    vocab,
    words,
)
from bot.domain.said import Said
from bot.domain.steps import Step
from bot.domain.targets import Fallback, FallbackKind, SuccessMetric, TradeoffPriority
from bot.domain.wording import format_number, format_rate


class Kind(StrEnum):
    ANSWER = "answer"  # facts, follow-ups, an edit request, or a question to the bot
    CHATTER = "chatter"  # thanks, emoji, lunch: nothing for the checklist
    COLLEAGUE = "colleague"  # addressed to someone else ("@raj did security look at this?")
    LATER = "later"  # "will check with legal and come back"
    HOSTILE = "hostile"  # "ignore previous instructions…"
    TOO_LONG = "too_long"


@dataclass(frozen=True)
class Fact:
    step: Step
    value: Any
    said: str  # the words it was read from
    correction: bool = False  # said as a change of mind: "actually", "make that", "more like"


@dataclass(frozen=True)
class Context:
    """What the reader needs to know about the kickoff: the item asked about last, the values
    stored so far (a second number next to the stored one is a new value, "8% is high, make it
    3%"), and the words that name each item."""

    focus: Step | None
    current: dict[Step, Any]
    names: dict[Step, tuple[str, ...]]
    bot_user: str | None = None
    # A value as it will be stored and shown (1/12 is kept as 8.3%), so "1 in 12" said again
    # is recognised as the stored 8.3%.
    shown: Callable[[Step, Any], Any] = lambda step, value: value


@dataclass(frozen=True)
class Reading:
    kind: Kind
    facts: tuple[Fact, ...] = ()
    follow_ups: tuple[FollowUp, ...] = ()
    questions: tuple[Step, ...] = ()  # items asked about ("what does p95 mean here?")
    edit: tuple[Step, str] | None = None  # "change error rate to 8% because …"
    agrees: bool = False
    leftover: str = ""  # text that answers nothing we could place (for a language model)
    # values only put forward as a question ("10%?", "half a percent?"): asked back, and
    # noted once someone says yes
    tentative: tuple[Fact, ...] = ()


_HOSTILE = re.compile(
    r"\b(?:ignore|disregard|forget) (?:all |any |the |your )?(?:previous|prior|above|earlier"
    r"|system) (?:instructions|prompts?|rules)\b|\bsystem prompt\b|\byou are now\b"
)
_CHATTER = re.compile(
    r"^(?:thanks?|thank you|ty|thx|cheers|lol|haha|nice|cool|great|awesome|ok|okay|k|sure|yes"
    r"|yep|yeah|no|nope|sounds good|will do|on it|brb|sorry|oops|nvm|never mind|hi|hello|hey"
    r"|morning|got it|noted|wrong thread|wrong channel|ignore that|my bad|fyi|done|agreed|fine"
    r"|ack|np|no worries|lgtm|same|this|indeed|right|true|word|perfect)(?:\W+|$)"
)
_VAGUE = {
    Step.ERROR_RATE: (
        r"\b(?:low|lowest|possible|zero|none|never|few|rare|perfect|minimal|single mistake"
        r"|no mistakes|no errors|not one)\b"
    ),
    Step.LATENCY: r"\b(?:fast|faster|quick|quickly|instant|snappy|asap|realtime|slow)\b",
    Step.COST: r"\b(?:cheap|cheaper|cheapest|affordable|free|low)\b",
    Step.TRADEOFF: r"\b(?:both|either|depends|neither|equally|no preference|latency|cost|speed)\b",
    Step.SUCCESS_METRICS: r"\b(?:at least|at most|more than|less than|increase|reduce)\b",
}


# "whatever the industry does", "the usual", "you tell me": an answer that hands the choice
# to someone else gets a line asking for the team's own, and the item stays open
_LEFT_TO_OTHERS = re.compile(
    r"\b(?:whatever (?:the industry|everyone|everybody|others|other teams|competitors|is normal"
    r"|is standard|is typical|is usual|is reasonable|makes sense|you think|you recommend"
    r"|you suggest)|industry (?:standard|norm|average|benchmark)s?|the usual|best practice"
    r"|you tell me|you decide|your call|up to you|(?:same as|like) (?:everyone|everybody|others"
    r"|competitors|the competition|the industry)|what(?:ever)? "
    r"(?:others|other teams|competitors) (?:do|use)|(?:the )?standard (?:one|number|value)"
    r"|(?:something|anything) reasonable|a reasonable (?:number|amount|value))\b"
)
_ASKS = {Step.ERROR_RATE: RATE, Step.ERROR_IMPACT: IMPACT, Step.FALLBACK: FALLBACK_ASK}
_ASKS |= {Step.SUCCESS_METRICS: METRICS, Step.LATENCY: LATENCY_ASK, Step.COST: COST_ASK}
_ASKS |= {Step.TRADEOFF: TRADEOFF_ASK}


def read_reply(said: Said, context: Context) -> Reading:
    """Everything a reply says about the checklist."""
    if len(said.text) > MAX_ANSWER_CHARS:
        return Reading(Kind.TOO_LONG)
    text = blank(said.without_markup())
    lowered = normalize(text)
    if _HOSTILE.search(lowered):
        return Reading(Kind.HOSTILE)
    addressed = False
    if asides.to_colleague(said, text, context.bot_user):
        text = asides.without_asides(said, text, context.bot_user)
        addressed = "?" not in text and said.starts_with_mention_of(context.bot_user) is not None
        if not addressed and text == blank(said.without_markup()):
            return Reading(Kind.COLLEAGUE)
    if not words(text):
        return Reading(Kind.CHATTER)
    edit = parse_edit_request(text.strip(), context.names)
    if edit is not None:
        return Reading(Kind.ANSWER, edit=edit)
    found = sentences(text)
    proposed: list[tuple[int, int]] = []
    for sentence in found:
        if sentence.question and _proposal(sentence):
            sentence.question = False  # "5%?", "how about 2 s?": a value put forward
            proposed.append((sentence.start, sentence.end))
    questions = tuple(
        step for s in found if s.question for step in [_asked_about(s.text, context)] if step
    )
    statements = [s for s in found if not s.question]
    findings = _read(statements, context, text)
    facts, follow_ups = _resolve(findings, text, said.text, context)
    # "10%?" put forward with nothing stated: held as a proposal for someone to say yes to
    stated = {f.step for f in findings if isinstance(f, Found) and not weighing.within(f, proposed)}
    tentative = tuple(f for f in facts if f.step in weighing.NUMERIC and f.step not in stated)
    if tentative and weighing.said_again(statements, proposed, text):
        tentative = ()  # "maybe 5%? let's say 5": put forward, then said
    facts = [f for f in facts if f not in tentative]
    if addressed and not any(isinstance(f, Found) and f.strong for f in findings):
        return Reading(Kind.COLLEAGUE)  # "@ana see the doc for context": to her, not to us
    kind = Kind.ANSWER
    if not facts and not follow_ups and not questions and not tentative:
        offer = weighing.counter_offer(statements, context.current)
        facts = [Fact(*offer)] if offer is not None else []
    if not facts and not follow_ups and not tentative:
        if any(impact.deferred(s.text) for s in found) and not questions:
            return Reading(Kind.LATER)
        kept = [p for s in statements for p in s.parts if not _idle(p.text)]
        rest = said.text[kept[0].start : kept[-1].end].strip() if kept else ""
        if rest and context.focus is not None and not questions:
            facts, follow_ups = _focused(rest, context)
        if not facts and not follow_ups and not questions:
            return Reading(Kind.CHATTER, agrees=agrees(text), leftover=rest)
    spans = [(f.start, f.end) for f in findings if isinstance(f, Found)]
    unplaced = [
        p
        for sentence in statements
        for p in sentence.parts
        if not _idle(p.text)
        and content_words(p.tokens) >= 3
        and not any(a < p.end and p.start < b for a, b in spans)
    ]
    leftover = " … ".join(said.text[p.start : p.end].strip() for p in unplaced)
    return Reading(
        kind,
        tuple(facts),
        tuple(follow_ups),
        questions,
        agrees=agrees(text),
        leftover=leftover.strip(),
        tentative=tentative,
    )


def _proposal(sentence: Sentence) -> bool:
    tokens = [t for part in sentence.parts for t in part.tokens]
    has_number = any(
        t.kind == "num" and (i == 0 or tokens[i - 1].text not in ("per", "/"))
        for i, t in enumerate(tokens)
    )
    # "can we do less than 1 in 100?": a comparison or a ratio's words put nothing else forward
    kept = [t for t in tokens if t.text not in _PROPOSAL_WORDS]
    return has_number and content_words(kept) <= 2


_PROPOSAL_WORDS = vocab(
    "less fewer than under below over above within most least out in every could would"
)


def _idle(text: str) -> bool:
    """A sentence that is chatter or a promise for later, never an answer."""
    flat = " ".join(words(text))
    if not flat:
        return True
    if impact.deferred(text):
        return True
    if _CHATTER.match(flat) and len(flat.split()) <= 4 and not any(c.isdigit() for c in flat):
        return True
    return flat in ("wrong thread", "sorry wrong thread", "wrong channel")


def _asked_about(text: str, context: Context) -> Step | None:
    """The item a question to the bot is about, if any."""
    lowered = " " + " ".join(words(text)) + " "
    checks = [
        (Step.LATENCY, (" p95 ", " latency ", " percentile ", " response time ")),
        (Step.COST, (" per query ", " per 1k ", " per token ", " cost ", " per 1000 ")),
        (Step.TRADEOFF, (" gives way ", " give way ", " tradeoff ", " trade off ")),
        (Step.FALLBACK, (" fallback ", " fall back ", " unsure ")),
        (Step.SUCCESS_METRICS, (" success ", " measure ", " measures ", " metric ", " kpi ")),
        (Step.ERROR_RATE, (" error rate ", " wrong ", " errors ", " error ", " accuracy ")),
        (Step.ERROR_IMPACT, (" cost of an error ", " impact ")),
    ]
    for step, needles in checks:
        if any(needle in lowered for needle in needles):
            return step
    return None


def _read(statements: list[Sentence], context: Context, text: str) -> list[Finding]:
    """Findings in every part, in reading order."""
    found: list[Finding] = []
    item_names = {name for names in context.names.values() for name in names}
    item_names -= set(context.names.get(Step.SUCCESS_METRICS, ()))
    item_names |= {"errors", "error", "wrong answers", "accuracy", "latency", "p95", "cost"}
    story: Found | None = None  # what an error costs, told over parts (and across a dash)
    for sentence in statements:
        if story is not None and (sentence.label is not None or not sentence.parts):
            found.append(stories.told(story, text))
            story = None
        if sentence.label is Step.ERROR_IMPACT:
            said = sentence.text.strip()
            found.append(Found(Step.ERROR_IMPACT, said, sentence.start, sentence.end, True))
            continue
        if sentence.label in (Step.FALLBACK, Step.TRADEOFF) and sentence.parts:
            found += _labelled(sentence, text)
            continue
        if _revises_fallback(sentence, found, context):
            continue
        if story is not None and not stories.dash_between(text, story.end, sentence.start):
            found.append(stories.told(story, text))
            story = None
        previous: tuple[Part, int] | None = None  # a part that answered nothing, and when
        for part in sentence.parts:
            if _idle(part.text):
                continue
            before = len(found)
            if story is not None and (
                stories.refers_back(part.text)
                or not stories.strong(_part(part, context, item_names))
            ):
                story = Found(Step.ERROR_IMPACT, story.value, story.start, part.end, True)
                continue
            if story is not None:
                found.append(stories.told(story, text))
                story = None
            if previous is not None and stories.then_that(previous[0], part):
                # "if it tells someone they're covered and they're not, that's an angry
                # customer": the condition and what it costs are one story
                head = previous[0]
                story = Found(Step.ERROR_IMPACT, head.text, head.start, part.end, True)
                previous = None
                continue
            if stories.goes_on(part, found):
                # "wrong = a query that returns wrong numbers. 5% of those at most, those end
                # up in board decks": what happens to "those" is more of the same story
                found.append(Found(Step.ERROR_IMPACT, part.text, part.start, part.end, True))
                continue
            if impact.framed(part.text) and part.label is None and not stories.rate_only(part):
                k = impact.story_start(part.text)
                if k > 0:  # "4% and a wrong answer costs us a ticket": the 4% first
                    head, part = split_part(part, k)
                    found += _part(head, context, item_names)
                elif stories.opens_with_rate(part):  # "1 in 10 wrong answers means a lost deal"
                    found += [f for f in rate.find(part, focus=False) if isinstance(f, Found)]
                story = Found(Step.ERROR_IMPACT, part.text, part.start, part.end, True)
                continue
            found += _part(part, context, item_names, _line(text, part))
            if previous is not None and previous[1] == before:
                found[before:] = [_named_by(f, previous[0]) for f in found[before:]]
            previous = (part, len(found)) if len(found) == before else None
    if story is not None:
        found.append(stories.told(story, text))
    return found


def _line(text: str, part: Part) -> str:
    """The line of the reply a part sits on (a bullet, or the whole message)."""
    start = text.rfind("\n", 0, part.start) + 1
    end = text.find("\n", part.end)
    return text[start : end if end >= 0 else len(text)]


def _revises_fallback(sentence: Sentence, found: list[Finding], context: Context) -> bool:
    """ "hand over to a human — well, it's agent assist, so just show nothing": a sentence
    that opens by taking back a fallback just given says the one that holds."""
    opener = normalize(sentence.text).strip()
    if not opener.startswith(("well", "actually", "scratch that", "or rather", "on second")):
        return False
    earlier = [f for f in found if isinstance(f, Found) and f.step is Step.FALLBACK]
    if not earlier or fallback.chosen(sentence.text) is not None:
        return False
    own = fallback.other(sentence.text.split(" ", 1)[-1].lstrip(", "))
    if own is None:
        return False
    found.remove(earlier[-1])
    found.append(Found(Step.FALLBACK, own, sentence.start, sentence.end, True))
    return True


def _named_by(finding: Finding, before: Part) -> Finding:
    """ "fewer calls to the contact centre, say at most 2,000 a month": the measure's name is
    the clause before its comparison."""
    if not isinstance(finding, Found) or finding.step is not Step.SUCCESS_METRICS:
        return finding
    measures = []
    for measure in finding.value:
        better = metrics.renamed(measure, before.text) if metrics.unnamed(measure) else None
        measures.append(better or measure)
    start = before.start if measures != finding.value else finding.start
    return Found(finding.step, measures, start, finding.end, finding.strong)


def _labelled(sentence: Sentence, reply: str) -> list[Finding]:
    text = sentence.text.strip()
    step = sentence.label
    assert step is not None
    head = reply[: sentence.start].rsplit("\n", 1)[-1].split(".")[-1].strip(" :=-")
    if step is Step.TRADEOFF and (held := tradeoff.under_priority_label(head, text)) is not None:
        return [Found(step, held, sentence.start, sentence.end, True)]
    parse = fallback.parse_fallback if sentence.label is Step.FALLBACK else tradeoff.parse_tradeoff
    result = parse(text)
    if isinstance(result, Parsed):
        return [Found(step, result.value, sentence.start, sentence.end, True)]
    return [FollowUp(step, result.reply, sentence.start)]


def _part(part: Part, context: Context, item_names: set[str], line: str = "") -> list[Finding]:
    focus = context.focus
    label = part.label
    span = find_range(part.tokens)
    alternatives = span is not None and span[2] == "or"  # "10% or 15% max": asked which holds
    if (label is Step.SUCCESS_METRICS or label is None) and not alternatives:
        p95 = bool(re.search(r"\bp(?:95|99|90|50)\b|\bpercentile\b", line.lower()))
        measures = metrics.find(part, item_names, p95=p95)
        if measures is not None:
            return measures
    found: list[Finding] = []
    readers = (
        (Step.LATENCY, latency.find),
        (Step.COST, cost.find),
        (Step.ERROR_RATE, rate.find),
        (Step.FALLBACK, fallback.find),
        (Step.TRADEOFF, tradeoff.find),
    )
    for step, reader in readers:
        if label is not None and label is not step:
            continue
        found += reader(part, focus=focus is step or label is step)
    if any(f.step is Step.TRADEOFF for f in found) and not corrects(part.text):
        # "fine if it takes 5 s": a number inside a stance on the trade-off leaves the budget
        # already agreed alone.
        found = [
            f
            for f in found
            if f.step not in (Step.LATENCY, Step.COST) or context.current.get(f.step) is None
        ]
    if alternatives and not found and label is Step.SUCCESS_METRICS and span is not None:
        shown = [format_number(span[0]), format_number(span[1])]
        found = [FollowUp(Step.SUCCESS_METRICS, which_one(METRICS, shown).reply, part.start)]
    return found


def _resolve(
    findings: list[Finding], text: str, original: str, context: Context
) -> tuple[list[Fact], list[FollowUp]]:
    """One value per item: several readings of one item in a reply become the one that was
    meant, or a question."""
    facts: list[Fact] = []
    findings = [f for f in findings if not weighing.objected(f, text)]
    follow_ups = [f for f in findings if isinstance(f, FollowUp)]
    by_step: dict[Step, list[Found]] = {}
    for finding in findings:
        if isinstance(finding, Found):
            by_step.setdefault(finding.step, []).append(finding)
    asked = {f.step for f in follow_ups}
    for step, found in by_step.items():
        if step in asked and not any(f.strong for f in found):
            continue
        chosen = _choose(step, found, text, original, context)
        if isinstance(chosen, FollowUp):
            follow_ups.append(chosen)
        elif chosen is not None:
            lead = text[max(0, found[0].start - 40) : found[-1].end]
            facts.append(
                Fact(chosen.step, chosen.value, chosen.said, corrects(lead) or corrects(text))
            )
    follow_ups = [f for f in follow_ups if f.step not in {fact.step for fact in facts}]
    return sorted(facts, key=lambda fact: list(Step).index(fact.step)), _unique(follow_ups)


def _unique(follow_ups: list[FollowUp]) -> list[FollowUp]:
    seen: set[Step] = set()
    kept = []
    for follow_up in follow_ups:
        if follow_up.step not in seen:
            seen.add(follow_up.step)
            kept.append(follow_up)
    return kept


def _choose(
    step: Step, found: list[Found], text: str, original: str, context: Context
) -> Fact | FollowUp | None:
    """One value for one item from all its findings in the reply. Words kept as free text come
    from the reply as the person wrote it (`original`), not from the text the readers saw."""
    said = original[found[0].start : found[-1].end].strip()
    if step is Step.SUCCESS_METRICS:
        measures: list[SuccessMetric] = []
        for finding in found:
            for measure in finding.value:
                if all(m.name.lower() != measure.name.lower() for m in measures):
                    measures.append(measure)
        return Fact(step, measures, said)
    if step is Step.ERROR_IMPACT:
        return Fact(step, _quoted(found, original), said)
    found = [_own_detail(f, original) for f in found]
    current = context.current.get(step)
    found = [Found(f.step, context.shown(step, f.value), f.start, f.end, f.strong) for f in found]
    distinct: list[Found] = []
    for finding in found:
        if not any(same(finding.value, d.value) for d in distinct):
            distinct.append(finding)
    if len(distinct) > 1:
        # "latency 2s... no wait, 2.5s": a change of mind in the reply wins over how each
        # value was said
        later = distinct[-1]
        between = text[distinct[-2].end : later.start]
        if corrects(between) or corrects(text[max(0, later.start - 20) : later.start]):
            return Fact(step, later.value, text[later.start : later.end])
        if (limit := weighing.hard_limit(distinct, text)) is not None:
            return Fact(step, limit.value, text[limit.start : limit.end])
        strong = [f for f in distinct if f.strong]
        if len(strong) == 1 and step is not Step.FALLBACK:
            distinct = strong
    if len(distinct) == 1:
        return Fact(step, distinct[0].value, text[distinct[0].start : distinct[0].end])
    new = [f for f in distinct if current is None or not same(f.value, current)]
    if current is not None and len(new) == 1:
        return Fact(step, new[0].value, text[new[0].start : new[0].end])
    if step is Step.FALLBACK:
        return Fact(step, distinct[0].value, text[distinct[0].start : distinct[0].end])
    shown = " and ".join(_show(step, f.value) for f in distinct[:3])
    return FollowUp(step, f"I read {shown}. Which one do you mean?", distinct[0].start)


def _quoted(found: list[Found], original: str) -> str:
    """The pieces of one story as typed: one span where only punctuation lies between them,
    an elision mark where other words do (so every piece is the person's own words)."""
    quoted = original[found[0].start : found[0].end].strip()
    for before, piece in itertools.pairwise(found):
        gap = original[before.end : piece.start]
        text = original[piece.start : piece.end].strip()
        if any(c.isalnum() for c in gap):
            quoted += f" … {text}"
        else:
            quoted = f"{quoted}{gap}{original[piece.start : piece.end]}".strip()
    return quoted


def _own_detail(finding: Found, original: str) -> Found:
    value = finding.value
    if isinstance(value, Fallback) and value.detail:
        detail = original[finding.start : finding.end].strip()
        value = Fallback(kind=value.kind, detail=detail)
        return Found(finding.step, value, finding.start, finding.end, finding.strong)
    return finding


def _show(step: Step, value: Any) -> str:
    if step is Step.ERROR_RATE:
        return format_rate(float(value))
    if step is Step.LATENCY:
        return f"{format_number(float(value) / 1000)} s"
    if step is Step.COST:
        return f"${format_number(float(value))} per query"
    return str(value.value if isinstance(value, StrEnum) else value)


def same(left: Any, right: Any) -> bool:
    """Whether two readings of one item are the same value."""
    if isinstance(left, float | int) and isinstance(right, float | int):
        return math.isclose(float(left), float(right), rel_tol=1e-6)
    if isinstance(left, Fallback) and isinstance(right, Fallback):
        return left.kind is right.kind and (
            left.kind is not FallbackKind.OTHER or left.detail == right.detail
        )
    if isinstance(left, TradeoffPriority) or isinstance(right, TradeoffPriority):
        return str(left) == str(right)
    return bool(left == right)


def _focused(rest: str, context: Context) -> tuple[list[Fact], list[FollowUp]]:
    """Nothing in the reply answered any item: the item asked about gets one more look at the
    whole reply, with its own rules."""
    step = context.focus
    assert step is not None
    if _LEFT_TO_OTHERS.search(normalize(rest)):
        lead = f'"{quote(rest)}" leaves it to others, and a test run checks your own number.'
        if step in (Step.ERROR_IMPACT, Step.FALLBACK, Step.TRADEOFF):
            lead = f'"{quote(rest)}" leaves it to others; this one is your team\'s call.'
        return [], [FollowUp(step, unclear(_ASKS[step], lead).reply)]
    if step is Step.ERROR_IMPACT:
        if agrees(rest) and content_words(numbers(rest)) <= 1:
            return [], []  # "fine 12": going along with a number, not what an error costs
        one_word = len(rest.split()) == 1 and impact.consequence(rest)  # "churn", "refunds"
        if impact.about_cost(rest) and (len(rest.split()) >= 2 or one_word):
            result = impact.parse_error_impact(rest)
            if isinstance(result, Parsed):
                return [Fact(step, result.value, rest)], []
        return [], []
    if step is Step.FALLBACK:
        found = fallback.other(rest)
        return ([Fact(step, found, rest)], []) if found is not None else ([], [])
    parse = _SINGLE[step]
    result = parse(rest)
    if isinstance(result, Parsed):
        if step in weighing.NUMERIC and weighing.rejects(rest):
            return [], []  # "2 s of waiting feels like forever": a value rejected, not given
        return [Fact(step, result.value, rest)], []
    attempt = any(c.isdigit() for c in rest) or bool(re.search(_VAGUE[step], normalize(rest)))
    if attempt:
        assert isinstance(result, Unclear)
        return [], [FollowUp(step, result.reply)]
    return [], []


_SINGLE: dict[Step, Any] = {
    Step.ERROR_RATE: rate.parse_error_rate,
    Step.SUCCESS_METRICS: metrics.parse_success_metrics,
    Step.LATENCY: latency.parse_latency_ms,
    Step.COST: cost.parse_cost_per_query_usd,
    Step.TRADEOFF: tradeoff.parse_tradeoff,
}
