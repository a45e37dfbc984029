"""Recognise the usual vague claims about an AI feature ("it hallucinates", "too slow", "ship
it") so the bot can answer with the agreed number instead. Pure: text in, Claim or None out.

How it reads a message:
- lower case, apostrophes dropped ("don't" → "dont"), Slack mentions and links removed;
- split into clauses at punctuation and "but", so "it's not slow, it's pricey" is about cost;
- each word of five letters or more that is not a word we know is corrected to a nearby
  keyword ("halucinating" → "hallucinating"), one typo per word, two for long words;
- a keyword right after a negation ("isn't slow", "not good enough") does not count;
- a clause about something else that is slow or wrong (the build, CI, lunch, the wifi) does
  not count either;
- the noun alone is not a claim: "the hallucination bench is at noon" names a thing, while
  "too many hallucinations" complains about one.
When a text holds several claims, "users don't care" wins (it is the one to answer first),
otherwise the earliest claim.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from bot.domain.typos import edit_distance


class Dimension(StrEnum):
    ACCURACY = "accuracy"
    LATENCY = "latency"
    COST = "cost"
    VALUE = "value"  # "users don't care about accuracy"
    SHIP_IT = "ship_it"  # "it's good enough, ship it"


@dataclass(frozen=True)
class Claim:
    dimension: Dimension
    phrase: str  # the words that made it a claim, normalised ("too slow")


# Keywords typos are corrected to, and nearby real words that must stay as they are.
_KEYWORDS = {
    *("hallucinate", "hallucinates", "hallucinated", "hallucinating", "hallucination"),
    *("hallucinations", "inaccurate", "incorrect", "unreliable", "accuracy", "accurate"),
    *("expensive", "pricey", "costly", "overpriced", "fortune", "sluggish", "laggy"),
    *("lagging", "latency", "forever", "enough", "shippable", "nobody", "customers"),
    *("matter", "answers", "nonsense", "garbage", "untrustworthy", "confabulates"),
    *("confabulating", "responsive", "wrong", "slow"),
}
_KEEP = {
    *("prices", "price", "slower", "slowly", "strong", "costs", "enought", "answer"),
    *("matters", "mattered", "happy", "latest", "forever", "slows", "wrongly", "ready"),
    *("cheaper", "cheapest", "accurately", "accuracies", "hallucinatory", "baggy", "lagged"),
}

_NEGATIONS = {
    *("not", "isnt", "arent", "wasnt", "werent", "never", "doesnt", "dont", "didnt"),
    *("wont", "hardly", "barely", "aint", "nothing", "no", "neither", "nor"),
}
# "what is wrong with…", "if it's slow…", "something went wrong": not a claim about the model.
_NOT_A_CLAIM = {"what", "whats", "something", "anything", "went", "if", "whether", "unless"}
_NEGATION_REACH = 3  # words before a keyword that can negate it
# Things people call slow, wrong or expensive that are not the AI feature.
_OFF_TOPIC = {
    *("lunch", "dinner", "breakfast", "coffee", "food", "flight", "flights", "hotel", "taxi"),
    *("uber", "rent", "wifi", "internet", "vpn", "laptop", "computer", "train", "traffic"),
    *("build", "builds", "ci", "pipeline", "deploy", "deploys", "deployment", "tests"),
    *("meeting", "meetings", "jira", "zoom", "printer", "elevator", "office", "parking"),
    *("conference", "ticket", "tickets", "review", "reviews", "linter", "compile", "docker"),
}

_QUANTIFIER = r"(?:too many|so many|lots of|a lot of|tons of|plenty of|full of|more|constant|frequent|still|again|many)"  # noqa: E501
_SUBJECT_WRONG = (
    r"(?:is|its|s|was|are|were|often|always|usually|mostly|frequently|still|keeps being"
    r"|answers are|answer is|gets? (?:it|things|stuff|facts|them|answers|that)"
    r"|getting (?:it|things|stuff|facts|answers)|got (?:it|things|stuff|facts))"
)

_PATTERNS: list[tuple[Dimension, str]] = [
    # --- users don't care / won't notice
    (
        Dimension.VALUE,
        r"\b(?:users?|customers?|people|they|folks|anyone|clients?)"
        r" (?:dont|doesnt|wont|wouldnt|do not|does not|will not|never)"
        r" (?:really |even |actually |ever )?(?:care|notice|mind|check|read)\b",
    ),
    (
        Dimension.VALUE,
        r"\b(?:nobody|no one|noone)(?: will| would| really| even| actually| ever)*"
        r" (?:cares?|notices?|minds?|checks?)\b",
    ),
    (
        Dimension.VALUE,
        r"\b(?:accuracy|errors?|mistakes?|hallucinations?|wrong answers?)"
        r" (?:dont|doesnt|wont|do not|does not|will not) (?:really |even )?matter\b",
    ),
    (Dimension.VALUE, r"\bwho cares about (?:accuracy|errors|mistakes|hallucinations)\b"),
    (Dimension.VALUE, r"\baccuracy is overrated\b"),
    # --- good enough, ship it
    (Dimension.SHIP_IT, r"\b(?:good|close|accurate|fast|cheap) enough\b"),
    (Dimension.SHIP_IT, r"\bship (?:it|this|that)\b"),
    (
        Dimension.SHIP_IT,
        r"\b(?:lets|let us|just|we should|we can|ready to|good to|ok to|okay to|fine to) ship\b",
    ),
    (Dimension.SHIP_IT, r"\bshippable\b"),
    (Dimension.SHIP_IT, r"\bgood to go\b"),
    (Dimension.SHIP_IT, r"\bready for (?:prod|production|launch|users|customers|release)\b"),
    # --- accuracy
    (Dimension.ACCURACY, r"\bhallucinat(?:e|es|ed|ing)\b"),
    (Dimension.ACCURACY, rf"\b{_QUANTIFIER} hallucinations?\b"),
    (
        Dimension.ACCURACY,
        r"\bhallucinations? (?:(?:is|are|rate is|s) (?:a |still |too )?(?:problem|issue|bad"
        r"|terrible|high|awful|everywhere|common|frequent)|everywhere|all over|again|keep)\b",
    ),
    (Dimension.ACCURACY, r"\bconfabulat(?:es|ing|ed|e)\b"),
    (
        Dimension.ACCURACY,
        r"\b(?:makes?|making|made) (?:stuff|things|shit|facts|answers|numbers|sources|links"
        r"|citations|quotes|policies) up\b",
    ),
    (
        Dimension.ACCURACY,
        r"\b(?:makes?|making) up (?:stuff|things|facts|answers|numbers|sources|links|citations)\b",
    ),
    (Dimension.ACCURACY, r"\bmade up (?:answers|facts|stuff|sources|numbers|citations|links)\b"),
    (Dimension.ACCURACY, rf"\b{_SUBJECT_WRONG} (?:\w+ )?wrong\b"),
    (Dimension.ACCURACY, r"\bwrong (?:answers?|facts|information|info|results?|a lot)\b"),
    (Dimension.ACCURACY, r"\b(?:inaccurate|incorrect|unreliable|untrustworthy)\b"),
    (Dimension.ACCURACY, r"\b(?:not|isnt|arent) (?:very |that |really )?(?:accurate|reliable)\b"),
    (Dimension.ACCURACY, r"\b(?:low|poor|bad|terrible|awful) accuracy\b"),
    (Dimension.ACCURACY, r"\baccuracy (?:is|s) (?:bad|terrible|low|poor|awful|not great)\b"),
    (Dimension.ACCURACY, r"\b(?:nonsense|garbage|rubbish) answers?\b"),
    (Dimension.ACCURACY, r"\b(?:spits out|gives|giving|says) (?:nonsense|garbage|rubbish)\b"),
    (Dimension.ACCURACY, r"\b(?:is|keeps|its|it) lying\b|\blies to (?:users|customers|people)\b"),
    # --- latency
    (Dimension.LATENCY, r"\bslow(?:er)?\b(?! (?:down|week|day|morning|news|start|cooker))"),
    (Dimension.LATENCY, r"\b(?:laggy|lagging|lags|sluggish)\b"),
    (Dimension.LATENCY, r"\btakes? (?:forever|ages|too long|so long|way too long)\b"),
    (Dimension.LATENCY, r"\btoo long to (?:respond|answer|reply|load|come back)\b"),
    (
        Dimension.LATENCY,
        r"\b(?:high|bad|terrible|awful) latency\b|\blatency (?:is|s) (?:high|bad|terrible|awful"
        r"|too high|a problem|killing)\b",
    ),
    (
        Dimension.LATENCY,
        r"\b(?:not|isnt|arent) (?:very |that |really )?(?:fast|quick|snappy|responsive)\b",
    ),
    (Dimension.LATENCY, r"\b(?:times out|timing out|keeps timing out)\b"),
    # --- cost
    (Dimension.COST, r"\b(?:expensive|pricey|costly|overpriced)\b"),
    (
        Dimension.COST,
        r"\bcosts? (?:us )?(?:a fortune|an arm and a leg|a lot|too much|so much|a ton)\b",
    ),
    (Dimension.COST, r"\b(?:burning|burns|burn) (?:through )?(?:money|cash|budget|tokens)\b"),
    (
        Dimension.COST,
        r"\b(?:bill|spend|costs?|price|token costs?|invoice)"
        r" (?:is|are|s) (?:too |way too |so )?(?:high|huge|insane|crazy|through the roof)\b",
    ),
    (Dimension.COST, r"\btoo much money\b|\bbreak(?:s|ing)? the bank\b"),
    (Dimension.COST, r"\b(?:not|isnt|arent) (?:very |that |really )?cheap\b"),
]
_COMPILED = [(dimension, re.compile(pattern)) for dimension, pattern in _PATTERNS]
_CLAUSE_BREAK = re.compile(r"[.!?;,:\n()\"]+|\s-+\s|\bbut\b|\bthough\b|\balthough\b")
_WORD = re.compile(r"[a-z0-9$]+")


def recognise(text: str) -> Claim | None:
    """The claim `text` makes about accuracy, latency, cost, value or readiness, if any."""
    found: list[tuple[int, Claim]] = []
    offset = 0
    for clause in _clauses(text):
        words = [_correct(word) for word in _WORD.findall(clause)]
        if not words:
            continue
        joined = " ".join(words)
        off_topic = any(word in _OFF_TOPIC for word in words)
        for dimension, pattern in _COMPILED:
            for match in pattern.finditer(joined):
                if off_topic and dimension is not Dimension.VALUE:
                    continue
                if _negated(dimension, joined, match):
                    continue
                found.append((offset + match.start(), Claim(dimension, match.group(0))))
        offset += len(joined) + 1
    if not found:
        return None
    values = [claim for _, claim in found if claim.dimension is Dimension.VALUE]
    if values:
        return values[0]
    return min(found, key=lambda item: item[0])[1]


def _clauses(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"<[^>]*>", " ", text)  # Slack mentions, channels and links
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    text = re.sub(r"(\w)'(\w)", r"\1\2", text)  # don't → dont, it's → its
    return [part for part in _CLAUSE_BREAK.split(text) if part.strip()]


def _negated(dimension: Dimension, joined: str, match: re.Match[str]) -> bool:
    """A negation, condition or question word just before the keyword: not a claim."""
    if dimension is Dimension.VALUE:
        return False  # its negation is the claim itself ("users don't care")
    before = joined[: match.start()].split()[-_NEGATION_REACH:]
    return any(word in _NEGATIONS or word in _NOT_A_CLAIM for word in before)


def _correct(word: str) -> str:
    """A keyword when `word` is a typo of one; otherwise the word as it is."""
    if len(word) < 5 or word in _KEYWORDS or word in _KEEP or not word.isalpha():
        return word
    budget = 2 if len(word) >= 9 else 1
    best: tuple[int, str] | None = None
    for keyword in _KEYWORDS:
        if abs(len(keyword) - len(word)) > budget:
            continue
        distance = edit_distance(word, keyword, budget)
        if distance <= budget and (best is None or distance < best[0]):
            best = (distance, keyword)
    return best[1] if best is not None else word
