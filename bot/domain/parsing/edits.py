"""Changing one's mind, and agreeing: "change error rate to 8%" (a request to edit one item),
"actually", "scratch that", "make it", "I meant" (the later value wins), and "fine", "ok, raj
is right" (conceding in a disagreement)."""

from __future__ import annotations

import re

from bot.domain.parsing.results import MAX_ANSWER_CHARS
from bot.domain.parsing.tokens import normalize, words
from bot.domain.steps import Step

_EDIT_VERBS = ("change", "set", "edit", "update", "make", "modify", "switch", "adjust")
_EDIT_SEPARATORS = ("to", "as", "is", "=", ":", "-", "→")
CORRECTION = re.compile(
    r"\b(?:actually|make it|make that|let'?s make it|let'?s say|let'?s go with|go with|rather"
    r"|instead|scratch that|on second thought|more like|correction|i meant|i mean|should be"
    r"|sorry|no wait|^wait|wait(?=,|\.\.\.| no\b| actually\b)|well|meet in the middle|then)\b"
)
_AGREE = re.compile(
    r"^(?:ok(?:ay)?|fine|agreed|sure|deal|fair(?: enough)?|yes|yep|yeah|right|correct"
    r"|makes sense|works for me|sounds good|go with (?:that|it|yours|theirs)|you'?re right"
    r"|\w+ is right|\+1|ok then|alright|good point|true)\b"
)


def parse_edit_request(text: str, names: dict[Step, tuple[str, ...]]) -> tuple[Step, str] | None:
    """ "change error rate to 8%" → (ERROR_RATE, "8%"); the rest goes to that item's reader.
    "change fallback" with nothing after it gives (FALLBACK, "") so the bot can ask again."""
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
    phrases = sorted(
        ((step, name) for step, found in names.items() for name in found),
        key=lambda item: -len(item[1]),
    )
    for step, phrase in phrases:
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
            return step, tail
    return None


def corrects(text: str) -> bool:
    return bool(CORRECTION.search(normalize(text)))


def agrees(text: str) -> bool:
    """The reply opens by going along with what was said ("fine", "ok raj is right")."""
    return bool(_AGREE.search(" ".join(words(text))))
