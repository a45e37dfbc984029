"""(2) What the product does when the model is unsure: say so, hand over to a person, offer
alternatives, or something of the team's own. Buttons send the kinds' values; typed answers are
read by what the product is told to do ("hand it over to the billing team", "say it doesn't
know", "show related articles"). A person's own words are kept as the detail."""

from __future__ import annotations

import re

from bot.domain.parsing.clauses import Part
from bot.domain.parsing.findings import Finding, Found
from bot.domain.parsing.results import FALLBACK, Parsed, Unclear, precheck, unclear
from bot.domain.parsing.tokens import corrected, normalize, quote, vocab, words
from bot.domain.steps import Step
from bot.domain.targets import Fallback, FallbackKind
from bot.domain.wording import FALLBACK_LABELS

# People, and places where people answer: who a fallback hands over to.
_PEOPLE = (
    r"(?:humans?|persons?|people|agents?|staff|operators?|experts?|specialists?|advis[oe]rs?"
    r"|lawyers?|attorneys?|paralegals?|counsel|nurses?|doctors?|clinicians?|pharmacists?"
    r"|coders?|brokers?|caseworkers?|case workers?|adjusters?|reviewers?|moderators?|editors?"
    r"|commanders?|engineers?|reps?|representatives?|colleagues?|managers?|owners?|teams?"
    r"|desks?|cent(?:re|er)s?|helpdesk|help desk|service desk|support|officers?|analysts?"
    r"|accountants?|underwriters?|dispatchers?|tutors?|teachers?|librarians?|someone|somebody"
    r"|on-?call|queue|hotline|phone line)"
)
_HANDOFF = (
    r"\b(?:hand(?:s|ed|ing)?|pass(?:es)?|route[sd]?|send|sends|transfer(?:s|red)?|forward(?:s)?"
    r"|kick|punt|bounce)\b(?: it| them| this| that| him| her| (?:the|their|our) [\w-]+)?"
    r"\s+(?:(?:over|off|of|back|across)\s+)?to\b"
    # "flag it for a paralegal", "signpost residents to the contact centre", "loop in legal"
    r"|\b(?:flag|refer|signpost|direct|point|loop|page|notify|ping|connect|put|queue|open|file"
    r"|raise|log)(?:s|ed"
    r"|ged|ging|ing)?\b[^.;]{0,40}?\b(?:to|for|in|with|through)\b[^.;]{0,30}?\b" + _PEOPLE + r"\b"
    # "tell them to call the branch pharmacist", "ask a human"
    # (a verb, not "fewer calls to the contact centre")
    r"|(?<!fewer )(?<!more )(?<!less )(?<!the )(?<!our )(?<!of )(?<!no )"
    r"\b(?:call|calls|ring|rings|phone|phones|contact|contacts|ask|asks|email|emails|page|pages"
    r"|paging|notify|notifies|alert|alerts|wake|wakes)\b"
    r"(?: (?:the|a|an|their|our|your|a real|a live))?(?: (?!to\b|from\b|about\b)[\w-]+){0,2}? "
    + _PEOPLE
    + r"\b"
    # "unsure → analyst queue", "the nurse line": only who takes over
    r"|^\s*(?:(?:to|the|a|an|our|their)\s+)*(?!(?:and|but|so|or|then|if)\b)(?:[\w-]+\s+)?"
    + _PEOPLE
    + r"(?:\s+(?:queue|line|desk|team|inbox|channel))?\s*$"
    r"|\b(?:goes|go|going|sent|routed|passed|handed|escalated) (?:straight |directly )?to\b"
    r"(?: (?:the|a|an|our|their))?(?: (?!wrong\b|bad\b|incorrect\b)[\w&-]+){0,4}? "
    + _PEOPLE
    + r"\b"
    r"|\bfor (?:an?|the|our) (?:[\w-]+ )?" + _PEOPLE + r" to (?:review|check|look|confirm|decide)\b"
    r"|\bhand(?:s|ed)?(?: it| them)? (?:over|off)\b|\bhand-?off\b|\bhandover\b"
    r"|\bescalat(?:e|es|ed|ing|ion)\b"
    r"|\b(?:human|person|agent|someone|staff|operator|dispatcher|nurse|pharmacist|expert)s?"
    r"(?: \w+)? takes? over\b"
    r"|\b(?:talk|speak) to a (?:human|person|agent)\b"
    # "a human picks it up", "so a human answers within a day", "a queue worked by ops"
    r"|\b(?:human|person|someone|somebody|agent|reviewer|specialist|expert|colleague)s?"
    r"(?: \w+)? (?:picks?|takes?) (?:it |them |this |that )?up\b"
    r"|\bso (?:that )?(?:a|an|the|our) (?:human|person|agent|expert|specialist|engineer)s?"
    r" (?:can )?(?:answers?|replies|responds|looks|reviews|follows up)\b"
    r"|\b(?:queue|inbox|list|pile) (?:worked|handled|reviewed|staffed|checked|triaged) by\b"
)
_UNSURE = (
    r"\b(?:say|says|saying|reply|replies|answer|answers|respond|responds|tell|tells|admit"
    r"|write|writes|print|prints|note|notes|mark|marks|flag|flags|label|labels)\b"
    r"[^.;]{0,25}?\b(?:not sure|unsure|does not know|do not know|no idea|unverified"
    r"|(?:cannot|can not|could not|is unable to|unable to) answer"
    r"|not certain|uncertain|not confident|is not sure|cannot tell|am not sure|unclear|unknown"
    r"|(?:cannot|could not|can not|did not|unable to) (?:confirm|verify|find|tell)"
    r"|not (?:in|on|from) (?:the )?[\w-]+|not confirmed|unconfirmed|not found)\b"
    # "write unclear rather than guess", "instead of guessing"
    r"|\b(?:rather than|instead of) guess(?:ing)?\b"
    r"|\bsay(?:s)? so\b|\badmit(?:s|ting)?\b|\babstain\b"
    r"|\b(?:decline|declines|refuse|refuses) to answer\b|\bi'?m not sure\b"
)
# 'I'm not sure, here are 3 articles': what the user is offered, said in the product's voice
_OFFERED = (
    r"|\bhere (?:are|is) (?:the |a few |some |a couple of |[0-9]+ |two |three |four |five )?"
    r"(?:[\w-]+ )?(?:articles?|docs?|links?|options?|results?|pages?|suggestions?|answers?"
    r"|matches|guides?)\b"
)
_OFFER = (
    r"\b(?:offer|offers|suggest|suggests|show|shows|list|lists|recommend|recommends)\b"
    r"[^.;]{0,30}?\b(?:alternatives?|options?|related|similar|articles?|docs?|documents?"
    r"|results?|recipes?|lessons?|suggestions?|choices?|faqs?|guides?|sheet|links?|examples?"
    r"|substitutions?|itinerar(?:y|ies)|sections?|matches|candidates|size chart)\b"
    # "show the three closest cases", "offer the top three tags", "the 3 next-best itineraries"
    r"|\b(?:offer|offers|suggest|suggests|show|shows|list|lists|recommend|recommends|give"
    r"|gives|present|presents|link|links|surface|surfaces)\b(?: (?:the|a|an|its|their|our))?"
    r"(?: (?:top|best|closest"
    r"|nearest|next-best|most relevant|most likely|likely|possible|similar|related|other|few"
    r"|couple of|several|[0-9]+|two|three|four|five))+(?: or (?:[0-9]+|two|three|four|five))?"
    r"(?: [\w-]+){0,2}? (?:[\w-]+s|chart)\b"
    r"|\b(?:link|links|point|points|send|sends|direct|directs)\b(?: them| users| people"
    r"| the user| customers)? to (?:a |an |the |our |some )?(?:[\w-]+ ){0,2}"
    r"(?:page|article|doc|docs|faq|guide|help|site|tracking)\b" + _OFFERED
)
_KINDS = [
    (FallbackKind.ESCALATE_HUMAN, re.compile(_HANDOFF)),
    (FallbackKind.SAY_UNSURE, re.compile(_UNSURE)),
    (FallbackKind.OFFER_ALTERNATIVES, re.compile(_OFFER)),
]
# One word or two, the way people answer the question itself.
_SHORT = {
    FallbackKind.SAY_UNSURE: (
        "not sure",
        "unsure",
        "say so",
        "admit it",
        "say unsure",
        "i do not know",
        "do not know",
        "we do not know",
        "i am not sure",
        "i m not sure",
        "no idea",
    ),
    FallbackKind.ESCALATE_HUMAN: (
        "human",
        "a human",
        "humans",
        "person",
        "a person",
        "agent",
        "an agent",
        "escalate",
        "handoff",
        "hand off",
        "hand over",
        "human handoff",
    ),
    FallbackKind.OFFER_ALTERNATIVES: ("alternatives", "options", "suggestions", "offer options"),
}
_GENERIC = vocab(
    "a an the to it them human humans person people agent agents someone somebody escalate "
    "hand over off say so show offer options alternatives suggestions unsure not sure i am m "
    "don t know"
)
_NONE = re.compile(r"\b(?:no|nothing|none|zero)\b")
_NEGATED = re.compile(r"\b(?:not|never|no|without|do not|does not|don't|doesn't)\s+$")
# Later words win over earlier ones ("hand over — well, just show nothing").
CHANGE_MARKS = re.compile(r"\b(?:well|actually|instead|rather|scratch that|i mean|or rather)\b")
# Doing something for the user: what a fallback of the team's own sounds like.
_BEHAVIOUR = re.compile(
    r"\b(?:show|shows|ask|asks|tell|tells|send|sends|route|open|opens|display|return|returns"
    r"|fall back|falls back|redirect|point|give|gives|reply|respond|let|stop|stops|refuse"
    r"|create|forward|log|flag|hide|skip|default|use|uses|fall|say|says|link|offer|suggest"
    r"|nothing|comment|comments|post|posts|drop|drops|remove|removes|omit|omits|leave|leaves"
    r"|stay|stays|silent|quiet|blank|withhold|withholds|hold|holds|mark|marks|label|labels)\b"
)
_EMPTY = {"other", "something else", "none", "nothing", "n a", "na", "no", "ok", "yes"}


def kinds_in(text: str) -> list[tuple[int, FallbackKind]]:
    """(position, kind) of every fallback the text asks for; "don't hand over" does not count."""
    lowered = corrected(text)
    found = []
    for kind, pattern in _KINDS:
        for match in pattern.finditer(lowered):
            if _NEGATED.search(lowered[: match.start()]) and kind is not FallbackKind.SAY_UNSURE:
                continue
            if kind is FallbackKind.OFFER_ALTERNATIVES and _NONE.search(match.group(0)):
                continue  # "show no suggestion": showing nothing is a fallback of its own
            found.append((match.start(), kind))
            break
    return sorted(found, key=lambda item: item[0])


def chosen(text: str) -> FallbackKind | None:
    """The kind asked for: the first one, unless a later one comes after "well", "actually"…"""
    found = kinds_in(text)
    if not found:
        return None
    marks = [m.start() for m in CHANGE_MARKS.finditer(normalize(text))]
    if marks and found[-1][0] > marks[-1] > found[0][0]:
        return found[-1][1]
    if found[0][1] is FallbackKind.SAY_UNSURE:
        # "say so and offer to connect them with a specialist", "I'm not sure, here are 3
        # articles": saying it is unsure opens the fallback; a hand-over or a choice of several
        # things that follows is what the user gets ("say so and show the spec sheet" stays)
        lowered = corrected(text)
        for start, kind in found[1:]:
            if kind is FallbackKind.ESCALATE_HUMAN or _several(lowered[start:]):
                return kind
    return found[0][1]


def _several(text: str) -> bool:
    match = re.compile(_OFFER).match(text)
    return match is not None and match.group(0).rstrip().endswith("s")


def _labelled(text: str) -> Fallback | None:
    """Reads our own wording back: 'Hand over to a human: "billing team"'."""
    head, colon, detail = text.strip().partition(":")
    for kind, label in FALLBACK_LABELS.items():
        if colon and head.strip().lower() == label.lower() and detail.strip():
            detail = detail.strip()
            if len(detail) >= 2 and detail[0] == detail[-1] == '"':
                detail = detail[1:-1]
            return Fallback(kind=kind, detail=detail.strip())
    return None


def _detail(text: str, kind: FallbackKind) -> str:
    """A person's own words, kept when they say more than the kind (over three words, or who
    takes over: "analyst queue")."""
    who = kind is FallbackKind.ESCALATE_HUMAN and bool(set(words(text)) - _GENERIC)
    if len(text.split()) > 3 or who:
        return text.strip()  # "analyst queue": who, in two words
    return ""


def parse_fallback(text: str) -> Parsed[Fallback] | Unclear:
    """Buttons send the FallbackKind values; typed answers are read by what they ask for."""
    if (refusal := precheck(text, FALLBACK, dont_know_is_answer=True)) is not None:
        return refusal
    if (labelled := _labelled(text)) is not None:
        return Parsed(value=labelled)
    key = " ".join(words(text))
    for kind, label in FALLBACK_LABELS.items():
        if kind is not FallbackKind.OTHER and key in (kind.value.replace("_", " "), label.lower()):
            return Parsed(value=Fallback(kind=kind))
    if key in _EMPTY:
        lead = "Happy to record something of your own. What exactly should the product do?"
        if key not in ("other", "something else"):
            lead = f'"{quote(text)}" doesn\'t say what the user sees.'
        return unclear(FALLBACK, lead)
    for kind, short in _SHORT.items():
        if key in short:
            return Parsed(value=Fallback(kind=kind))
    asked = chosen(text)
    if asked is not None:
        return Parsed(value=Fallback(kind=asked, detail=_detail(text, asked)))
    if len(key.split()) < 2 or len(key) < 6 or not _BEHAVIOUR.search(normalize(text)):
        lead = f'I\'m not sure what "{quote(text)}" should look like for the user.'
        return unclear(FALLBACK, lead)
    return Parsed(value=Fallback(kind=FallbackKind.OTHER, detail=text.strip()))


def find(part: Part, *, focus: bool) -> list[Finding]:
    """A fallback asked for in one part: "hand it to billing support", "say it doesn't know",
    "if unsure show the top 3 docs". Only what the product is told to do counts; "a partner
    escalates to their account manager" describes a cost, and the impact reader has it."""
    kind = chosen(part.text)
    if kind is None:
        if (short := _short(part.text)) is not None:  # "human", even before it is asked
            return [Found(Step.FALLBACK, short, part.start, part.end, False)]
        return []
    value = Fallback(kind=kind, detail=_detail(part.text, kind))
    return [Found(Step.FALLBACK, value, part.start, part.end, True)]


def _short(text: str) -> Fallback | None:
    key = " ".join(words(text))
    for kind, short in _SHORT.items():
        if key in short:
            return Fallback(kind=kind)
    return None


def other(text: str) -> Fallback | None:
    """A fallback of the team's own, when the bot asked for one: something the product does."""
    key = " ".join(words(text))
    if len(key.split()) < 3 or not _BEHAVIOUR.search(normalize(text)):
        return None
    return Fallback(kind=FallbackKind.OTHER, detail=text.strip())
