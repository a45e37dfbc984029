"""The optional language model. Everything works without it; with it, we only accept what we
can check: readings are shown back for confirmation, and worded replies may only contain the
numbers we handed over."""

from __future__ import annotations

import json
import logging
import re
import threading
import unicodedata
from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

if TYPE_CHECKING:
    from openai import OpenAI

    from bot.config import Settings

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.openai.com/v1"
MAX_CALL_SECONDS = 8.0  # Slack gives us 3 s to ack; model calls run after it, but never linger.
MIN_CALL_SECONDS = 0.05

Structured = TypeVar("Structured", bound=BaseModel)


class LanguageModel(Protocol):
    def complete_json(self, system: str, user: str, timeout: float) -> str | None:
        """One structured completion (a JSON object as text), or None on any failure."""
        ...


class BoundedModel:
    """At most `slots` model calls at once. A call beyond that gets None at once, which every
    caller already treats as "use our own wording or follow-up", so a stampede of requests
    never queues replies behind slow model calls."""

    def __init__(self, model: LanguageModel, slots: int) -> None:
        self._model = model
        self._slots = threading.BoundedSemaphore(slots)

    def complete_json(self, system: str, user: str, timeout: float) -> str | None:
        if not self._slots.acquire(blocking=False):
            log.info("language model busy; answering without it")
            return None
        try:
            return self._model.complete_json(system, user, timeout)
        finally:
            self._slots.release()


class OpenAIModel:
    """LanguageModel over OpenAI's chat completions: JSON mode, temperature 0, no retries.

    `timeout` bounds each phase of the HTTP call (connect, write, each read); a caller that
    passes 0.5 s gets None within about that long when the service is silent.
    """

    def __init__(self, client: OpenAI, model: str) -> None:
        self._client = client
        self.model = model

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAIModel | None:
        """None without OPENAI_API_KEY: the bot then works without a model."""
        if settings.OPENAI_API_KEY is None:
            return None
        from openai import OpenAI  # imported lazily: serving without a model never pays for it

        client = OpenAI(
            api_key=settings.OPENAI_API_KEY.get_secret_value(),
            # Explicit, so the client never reads the environment behind Settings' back.
            base_url=settings.OPENAI_BASE_URL or DEFAULT_BASE_URL,
            max_retries=0,
            timeout=MAX_CALL_SECONDS,
        )
        return cls(client, settings.OPENAI_MODEL)

    def complete_json(self, system: str, user: str, timeout: float) -> str | None:
        budget = min(max(timeout, MIN_CALL_SECONDS), MAX_CALL_SECONDS)
        try:
            completion = self._client.chat.completions.create(
                model=self.model,
                messages=[
                    {"role": "system", "content": system},
                    {"role": "user", "content": user},
                ],
                response_format={"type": "json_object"},
                temperature=0,
                timeout=budget,
            )
        except Exception as exc:
            # The model is optional: whatever goes wrong (timeout, HTTP status, connection,
            # an odd response), the caller carries on without it. Log the kind, never the
            # message: it could quote the prompt.
            status = getattr(exc, "status_code", None)
            log.warning(
                "language model call failed: %s%s",
                type(exc).__name__,
                f" (HTTP {status})" if status else "",
            )
            return None
        content = completion.choices[0].message.content if completion.choices else None
        if not content or not _is_json_object(content):
            log.warning("language model answered without a JSON object; ignoring it")
            return None
        return content


def _is_json_object(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False


def read_structured(
    model: LanguageModel, system: str, user: str, schema: type[Structured], timeout: float
) -> Structured | None:
    """The model's JSON validated into `schema`, or None when it fails or doesn't fit."""
    text = model.complete_json(system, user, timeout)
    if text is None:
        return None
    try:
        return schema.model_validate_json(text)
    except ValidationError as exc:
        log.warning(
            "language model answer did not fit %s (%d problems)", schema.__name__, exc.error_count()
        )
        return None


# --- the number guard ------------------------------------------------------------------------

_NUMBER = re.compile(
    r"""
    (?P<sign>[-+\u2212])?
    (?P<currency>[$€£])?
    (?P<digits>[0-9]{1,3}(?:,[0-9]{3})+(?![0-9])(?:\.[0-9]+)?   # 2,000 or 1,234.5
              |[0-9]+(?:\.[0-9]+)?                            # 412 or 0.01
              |\.[0-9]+)                                      # .5
    (?P<multiplier>(?:[kKMB]|bn|x|×)(?![A-Za-z]))?
    (?P<percent>\s?%|\s?(?:percent|per\ cent)\b)?
    """,
    re.VERBOSE,
)
_RANGE_GAP = re.compile(r"\s*(?:[-\u2212–—]|to)\s*", re.IGNORECASE)
_SIGN_MAY_FOLLOW = " \t\n([{:=/"

_UNITS = [
    *("zero", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"),
    *("eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen"),
    *("eighteen", "nineteen"),
]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_WORD_VALUES = {word: (0 if word == "zero" else index + 1) for index, word in enumerate(_UNITS)}
_WORD_VALUES.update({word: 20 + 10 * index for index, word in enumerate(_TENS)})
_UNIT_VALUES = {"one": 1, **{w: v for w, v in _WORD_VALUES.items() if 0 < v < 10}}
_SCALE_WORDS = {"hundred", "thousand", "million", "billion", "trillion", "dozen"}
_NUMBER_WORD = re.compile(
    r"\b(?P<tens>" + "|".join(_TENS) + r")(?:[-\s](?P<unit>" + "|".join(_UNIT_VALUES) + r"))?\b"
    r"|\b(?P<word>" + "|".join([*_UNITS, *_SCALE_WORDS]) + r")\b",
    re.IGNORECASE,
)


def _plain_digits(digits: str) -> str:
    """2,000 → 2000; 0.50 → 0.5; 2.0 → 2; .5 → 0.5; 007 → 7."""
    whole, _, fraction = digits.replace(",", "").partition(".")
    whole = whole.lstrip("0") or "0"
    fraction = fraction.rstrip("0")
    return f"{whole}.{fraction}" if fraction else whole


def _digit_numbers(text: str) -> list[tuple[int, str]]:
    found: list[tuple[int, int, dict[str, str]]] = []
    for match in _NUMBER.finditer(text):
        parts = {key: value or "" for key, value in match.groupdict().items()}
        start = match.start()
        after_number = bool(found) and _RANGE_GAP.fullmatch(text[found[-1][1] : start + 1])
        if parts["sign"] and (
            after_number or (start > 0 and text[start - 1] not in _SIGN_MAY_FOLLOW)
        ):
            parts["sign"] = ""  # "23-31%" is a range and "gpt-4" a name, not minus numbers
            start += 1
        if found and _RANGE_GAP.fullmatch(text[found[-1][1] : start]):
            previous = found[-1][2]
            # "23–31%" means 23% to 31%; "$5–10" means $5 to $10.
            if parts["percent"] and not previous["percent"]:
                previous["percent"] = "%"
            if previous["currency"] and not parts["currency"]:
                parts["currency"] = previous["currency"]
        found.append((start, match.end(), parts))
    return [(start, _token(parts)) for start, _, parts in found]


def _token(parts: dict[str, str]) -> str:
    value = _plain_digits(parts["digits"])
    sign = "-" if parts["sign"] in ("-", "\u2212") else parts["sign"]
    if value == "0":
        sign = ""
    multiplier = "x" if parts["multiplier"] == "×" else parts["multiplier"]
    percent = "%" if parts["percent"] else ""
    return f"{sign}{parts['currency']}{value}{multiplier}{percent}"


def _word_numbers(text: str) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for match in _NUMBER_WORD.finditer(text):
        if match["tens"]:
            value = _WORD_VALUES[match["tens"].lower()] + _UNIT_VALUES.get(
                (match["unit"] or "").lower(), 0
            )
            found.append((match.start(), str(value)))
        elif match["word"].lower() in _SCALE_WORDS:
            found.append((match.start(), match["word"].lower()))  # never one of our facts
        else:
            found.append((match.start(), str(_WORD_VALUES[match["word"].lower()])))
    return found


def _other_numerals(text: str) -> list[tuple[int, str]]:
    """Digits from other scripts, superscripts, fractions (½): reported as they are."""
    return [
        (index, char)
        for index, char in enumerate(text)
        if not ("0" <= char <= "9") and unicodedata.category(char) in ("Nd", "Nl", "No")
    ]


def numbers_in(text: str) -> list[str]:
    """Every number in `text`, normalised, in reading order.

    - Digits: thousands commas go (2,000 → 2000), trailing decimal zeros go (0.50 → 0.5,
      2.0 → 2), leading zeros go (007 → 7). A comma not followed by exactly three digits
      separates numbers (1,5 → 1 and 5).
    - What changes a number's meaning stays part of it: a sign at the start of a number
      (-3%, +3%), a currency ($0.01), an attached multiplier (2k, 1.5M, 3x), and a percent
      (27%, 27 %, 27 percent → 27%). Other units are dropped: 1.5 s → 1.5.
    - A range shares its percent and currency: 23–31% → 23% and 31%; $5–10 → $5 and $10.
    - Spelled-out numbers count: "three in ten" → 3 and 10; "twenty-three" → 23. "one" does
      not (it is mostly a pronoun). Scale words (hundred, million, dozen…) come back as
      themselves, so they never match a fact.
    - Digits from other scripts and symbols such as ½ or ² come back as themselves.
    """
    found = _digit_numbers(text) + _word_numbers(text) + _other_numerals(text)
    return [token for _, token in sorted(found, key=lambda item: item[0])]


def allowed_numbers(facts: Iterable[str]) -> set[str]:
    """The normalised numbers inside the bot's own formatted facts ("3 in 10" → 3 and 10)."""
    return {token for fact in facts for token in numbers_in(fact)}


def only_allowed_numbers(text: str, allowed: set[str]) -> bool:
    """True when every number in `text` is one of the numbers in `allowed`.

    `allowed` holds the bot's own formatted facts ({"27%", "412", "3 in 10", "23–31%"}); both
    sides go through `numbers_in`, so "27%" matches the fact "27%", and "3 in 10" matches
    because 3 and 10 are among the facts' numbers. The rule is strict on purpose: 27 does
    not match 27%, 0.27 does not match 27%, 2k does not match 2,000, 23% does not match the
    fact 23 — a reworded fact must keep its number exactly as we wrote it.
    """
    permitted = allowed_numbers(allowed)
    return all(token in permitted for token in numbers_in(text))
