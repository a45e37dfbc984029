"""(1b) What a wrong answer costs the business, in the team's own words. Free text is taken only
from text that answers the question: a sentence about what happens when an answer is wrong ("a
wrong refund answer = a refund we eat", "past that sales stops using it"), or, when the bot has
just asked, a statement about a cost ("a support ticket and an annoyed customer"). Chatter, a
question, a promise to find out later, or a remark to a colleague is never an impact."""

from __future__ import annotations

import re

from bot.domain.parsing.results import IMPACT, Parsed, Unclear, precheck, unclear
from bot.domain.parsing.tokens import normalize, quote, vocab, words

_WRONG = (
    r"(?:wrong|bad|incorrect|wrongly|inaccurate|mis\w+|missed|double|hallucinated|made[ -]up"
    r"|false|broken|outdated|stale|confused)"
)
# a bare "=" says what it costs; "<=" and ">=" compare
_CONSEQUENCE = (
    r"(?:(?<![<>!=≤≥])=(?!=)|->|→|\bmeans?\b|\bmeaning\b|\bcosts?\b|\bis\b|\bare\b|\bwas\b"
    r"|\bgets?\b|\bleads?\b"
    r"|\bsends?\b|\bmakes?\b|\bcan\b|\bcould\b|\bwill\b|\bwould\b|\bbecomes?\b|\bends? up\b"
    r"|\bwastes?\b|\bruins?\b|\bhides?\b|\bslows?\b|\bsits?\b|\bannoys?\b|\bconfuses?\b"
    r"|\bmisleads?\b|\bembarrass\w*|\btells?\b|\blets?\b|\bteaches?\b|\bblocks?\b|\bmoves?\b"
    r"|\bdelays?\b|\bstarts?\b|\blocks?\b|\btriggers?\b|\band\b|\bputs?\b|\bbreaks?\b"
    r"|\btakes?\b|\bgoes\b|\bhonou?r\b|\bwe\b)"
)
_FRAMED = [
    re.compile(
        r"^(?:(?:and|so|but|plus|also|honestly|basically|because|i mean|well|to be clear|fwiw"
        r"|for the record|and yes|note)\s+)*"
        r"(?:(?:a|an|the|one|every|each|any|some)\s+)?(?:[\w'-]+\s+){0,3}?"
        + _WRONG
        + r"\b.*?"
        + _CONSEQUENCE
    ),
    re.compile(r"^(?:past|beyond|above|over|after) (?:that|this)\b"),
    re.compile(r"^(?:any )?(?:more|worse|higher)(?: than (?:that|this))?(?: and\b|,)"),
    re.compile(r"^(?:any )?(?:more|worse|higher) than (?:that|this)\b"),
    re.compile(r"^otherwise\b"),
    re.compile(r"\b(?:errors?|mistakes?|wrong answers?) (?:cost|costs|mean|means)\b"),
    re.compile(r"^(?:if|when) (?:it|they|the model|the bot)\b.{0,20}\bwrong\b"),
    re.compile(r"^(?:it|that|this) (?:costs|means) us\b"),
]
# Words that say what a wrong answer costs; a statement with none of them is not an impact.
COST_WORDS = vocab(
    "cost costs lose lost loses losing refund refunds ticket tickets complaint complaints "
    "complain complains churn churns angry annoyed furious upset trust legal compliance risk "
    "fine fines money revenue deal deals customer customers user users patient patients harm "
    "hurt fee fees bill bills chargeback escalation escalates support time hours minutes days "
    "wasted waste stuck miss misses missed wrong fix redo unwind confused confusing embarrassing "
    "reviews review reputation safety lawsuit sued regulator audit finding outage offline lock "
    "locked out grievance tickets call calls contact return returns damage damages penalty "
    "delay delayed cancelled cancel broken bad"
)
_DEFERRAL = re.compile(
    r"\b(?:will|i'll|ill|let me|need to|have to|gotta|going to|gonna) (?:check|ask|find out|get "
    r"back|come back|look|confirm|circle back|follow up|dig)\b|\b(?:come|get|circle) back\b"
    r"|\btbd\b|\bnot sure yet\b|\b(?:i'?ll|i will|we'?ll|we will) (?:ping|ask)\b"
    # "let me think about it, talk tomorrow", "we can discuss offline", "sleep on it"
    r"|\b(?:let me|i need to|need to|i'?ll|have to) (?:think|sleep on|mull)\b"
    r"|\b(?:talk|speak|chat|sync|discuss) (?:tomorrow|later|offline|monday|next week)\b"
    r"|\bpick (?:the rest|this|it) up\b|\bpark (?:the rest|this|it)\b"
)
# "tell the user someone will get back to them": what the product does, not a promise
_TO_THE_USER = re.compile(r" to (?:them|the user|the customer|users|customers|him|her)\b")
# "answers (will) come back in under 2 s": how fast a reply arrives, not a promise
_IN_A_TIME = re.compile(
    r" *(?:in )?(?:under|within|below|less than|<)|"
    r" *in \d[\d.,]* *(?:s|ms|sec|secs|seconds|milliseconds)\b"
)
_EMPTY = vocab("none nothing na no nope whatever same ok yes")


_CONSEQUENCE_NOUNS = vocab(
    "churn refund refunds complaint complaints chargeback chargebacks escalation escalations "
    "lawsuit fine fines penalty outage downtime returns rework confusion embarrassment"
)
_STORY_START = re.compile(
    r"\b(?:and|but|so|plus|because)\s+(?=(?:(?:a|an|the|one|every|each|any)\s+)?"
    r"(?:[\w'-]+\s+){0,2}?" + _WRONG + r"\b)"
)


def consequence(word: str) -> bool:
    """One word that names what a wrong answer costs ("churn", "refunds")."""
    return word.strip().lower() in _CONSEQUENCE_NOUNS


def story_start(text: str) -> int:
    """Where a sentence about a wrong answer's cost starts after an answer to something else
    ("4% and a wrong answer costs us a ticket" → at "a wrong"), or 0."""
    lowered = normalize(text)
    match = _STORY_START.search(lowered)
    if match is None or not any(c.isdigit() for c in lowered[: match.start()]):
        return 0
    return match.end()


def framed(text: str) -> bool:
    """Reads as what a wrong answer costs: "a wrong refund answer = a refund we eat"."""
    lowered = normalize(text).strip()
    return any(pattern.search(lowered) for pattern in _FRAMED)


def deferred(text: str) -> bool:
    """ "will check with legal and come back": an answer promised, not given."""
    lowered = normalize(text)
    return any(
        not _TO_THE_USER.match(lowered, match.end())
        and not (match.group().endswith("back") and _IN_A_TIME.match(lowered, match.end()))
        for match in _DEFERRAL.finditer(lowered)
    )


def about_cost(text: str) -> bool:
    return bool(set(words(text)) & COST_WORDS) or framed(text)


def parse_error_impact(text: str) -> Parsed[str] | Unclear:
    """The team's words as they are, when they say what a wrong answer costs."""
    if (refusal := precheck(text, IMPACT)) is not None:
        return refusal
    found = words(text)
    if " ".join(found) in _EMPTY or sum(len(w) for w in found) < 3:
        lead = f'"{quote(text)}" doesn\'t tell me what happens when an answer is wrong.'
        return unclear(IMPACT, lead)
    return Parsed(value=text.strip())
