"""Tokens and numbers: one small regex splits text into numbers, words and symbols (no nested
quantifiers, so 4,000 characters take milliseconds), then numbers written as people write them
are merged into single number tokens: "2,5" (a decimal comma), "1,000", "one in ten",
"ninety-five", "half a second", "a tenth of a cent", "10k". (Just over 300 lines: the number
words and their merging rules read as one table.)"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

from bot.domain.typos import nearest

# A time of day ("12:30", "9am"): a word, never a number ("lunch at 12:30?"). Numbers ("1e-3"
# whole, "1,000.5", "2,5" and "0,004" with a decimal comma, ".5"), words (letters first, then
# letters or digits: "p95"), or one symbol.
_TOKEN_RE = re.compile(
    r"(?P<clock>(?<![\d.,:])(?:[01]?[0-9]|2[0-3]):[0-5][0-9](?![\d:])(?:[ap]m\b)?"
    r"|(?<![\d.,])(?:1[0-2]|0?[1-9])[ap]m\b)"
    r"|(?P<num>(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)[eE][-+]?[0-9]{1,3}(?![0-9.])"
    r"|[1-9][0-9]{0,2}(?:,[0-9]{3})+(?:\.[0-9]+)?(?![0-9])"
    r"|0,[0-9]+(?![0-9,])"
    r"|[0-9]+,[0-9]{1,2}(?![0-9,])"
    r"|[0-9]+(?:\.[0-9]+)?|\.[0-9]+)"
    r"|(?P<word>[^\W\d_][^\W_]*)"
    r"|(?P<op>>=|<=|=>|=<|->|[^\s\w])"
)
_OP_ALIASES = {"≥": ">=", "⩾": ">=", "=>": ">=", "≤": "<=", "⩽": "<=", "=<": "<="}
_OP_ALIASES |= {"−": "-", "–": "-", "—": "-", "＄": "$", "％": "%", "’": "'", "‘": "'"}
_OP_ALIASES |= {"→": "->"}
_WORD_RE = re.compile(r"[^\W_]+")
_RUN_TOGETHER = {"atleast": ("at", "least"), "atmost": ("at", "most"), "upto": ("up", "to")}
# Short keywords the edit-distance correction leaves alone (it starts at five letters).
_SHORT_TYPOS = {"eror": "error", "erors": "errors", "wrng": "wrong", "rong": "wrong"}


@dataclass(frozen=True, slots=True)
class Tok:
    kind: str  # "num", "word" or "op"
    text: str  # lower-cased, symbol aliases applied, common typos corrected
    start: int
    end: int
    value: float = 0.0


def _plain_form(char: str) -> str:
    """One character as the plain ASCII it stands for, when it is a digit of another script
    ("١", "१") or a full-width form ("１", "％", "ｓ" from a Japanese keyboard); else itself."""
    code = ord(char)
    if 0xFF01 <= code <= 0xFF5E:
        return chr(code - 0xFEE0)
    digit = unicodedata.decimal(char, None)
    return str(digit) if digit is not None else _PLAIN_SIGNS.get(char, char)


# One character for one, so positions in the result are positions in the text as typed.
_PLAIN_SIGNS = {"٪": "%", "٫": ".", "٬": ","}


def ascii_forms(text: str) -> str:
    if text.isascii():
        return text
    return "".join(_plain_form(char) for char in text)


def tokenize(text: str) -> list[Tok]:
    tokens = []
    text = ascii_forms(text)
    for match in _TOKEN_RE.finditer(text):
        kind, raw = match.lastgroup or "op", match.group()
        start, end = match.start(), match.end()
        if kind == "num":
            value = _number(raw)
            if not math.isfinite(value):  # "1e309": no number anyone can check
                tokens.append(Tok("word", raw.lower(), start, end))
                continue
            tokens.append(Tok(kind, raw, start, end, value))
        elif kind == "clock":
            tokens.append(Tok("word", raw.lower(), start, end))
        elif kind == "word" and raw.lower() in _RUN_TOGETHER:
            # "atleast 25%": two words typed as one, kept as two so comparisons still read
            first, second = _RUN_TOGETHER[raw.lower()]
            tokens.append(Tok(kind, first, start, start + len(first)))
            tokens.append(Tok(kind, second, start + len(first), end))
        elif kind == "word":
            tokens.append(Tok(kind, correct(raw.lower()), start, end))
        else:
            tokens.append(Tok(kind, _OP_ALIASES.get(raw, raw), start, end))
    return tokens


def _number(raw: str) -> float:
    whole, comma, rest = raw.partition(",")
    if comma and "," not in rest and "." not in rest and (len(rest) <= 2 or whole == "0"):
        return float(f"{whole}.{rest}")  # "2,5" is two and a half, "0,004" four thousandths
    return float(raw.replace(",", ""))


def normalize(text: str) -> str:
    """Lower-case with contractions spelled out, for keyword matching."""
    lowered = ascii_forms(text).lower()
    for apostrophe in "’‘`´":
        lowered = lowered.replace(apostrophe, "'")
    lowered = lowered.replace("can't", "cannot").replace("won't", "will not")
    return lowered.replace("n't", " not").replace("_", " ")


def corrected(text: str) -> str:
    """`normalize`d text with common typos of our keywords fixed ("escalte" → "escalate")."""
    return _WORD_RE.sub(lambda match: correct(match.group(0)), normalize(text))


def words(text: str) -> list[str]:
    return [correct(word) for word in _WORD_RE.findall(normalize(text))]


def joined(found: list[str]) -> str:
    """ " word word " (padded), so `" phrase " in joined` matches whole words only."""
    return " " + " ".join(found) + " "


def at(tokens: list[Tok], index: int) -> str:
    return tokens[index].text if 0 <= index < len(tokens) else ""


def vocab(text: str) -> frozenset[str]:
    return frozenset(text.split())


def phrases(text: str) -> tuple[str, ...]:
    return tuple(text.split("|"))


# Words around a number that do not make it about something else: "sorry I meant 1.5 s",
# "let's make it 4%", "ok 5 then". A number with few other words stands for itself.
FILLER = vocab(
    "sorry i meant mean actually make it that not then ok okay so lets let s say scratch wait no "
    "oh hmm well right yes yeah fine please more like tbh honestly maybe about around roughly "
    "max tops is its be should instead rather correction on second thought go with the a an of "
    "to for we do can just now ugh ah also and but or thats oops d m ll ve re per"
)


def content_words(tokens: list[Tok]) -> int:
    """Words that are not filler, for "does this number stand alone?"."""
    return len([t for t in tokens if t.kind == "word" and t.text not in FILLER])


def quote(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split()).replace('"', "'")
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


# --- typos -------------------------------------------------------------------------------------
# Words the readers key on, so "percnet", "latncy" and "escalte" still count. Only words of five
# letters or more are corrected, one edit each (two for long words), and only towards these.
_KEYWORDS = vocab(
    "percent latency escalate request requests queries seconds milliseconds thousand error "
    "success fallback "
    "alternatives accurate accuracy mistakes suggest similar related budget priority matters "
    "minutes million human humans answers answer errors wrong support expensive cheaper "
    "response second"
)
_KEEP = vocab(
    "seconded answered supports expensed minute related persons person rather latest "
    "matter mattered suggests suggested escalated escalates escalating request"
)


def correct(word: str) -> str:
    if word in _SHORT_TYPOS:
        return _SHORT_TYPOS[word]
    if len(word) < 5 or word in _KEYWORDS or word in _KEEP or not word.isalpha():
        return word
    return nearest(word, _KEYWORDS, 2 if len(word) >= 9 else 1) or word


# --- numbers in words, fractions and multipliers -------------------------------------------------

_SMALL = {
    w: n
    for n, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
        ]
    )
}
_TENS = {
    w: 20 + 10 * n
    for n, w in enumerate(
        ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
    )
}
_SCALES = {"hundred": 100.0, "thousand": 1000.0, "million": 1e6}
MULTIPLIERS = {"k": 1000.0, "thousand": 1000.0, "million": 1e6}
_FRACTIONS = {"half": 0.5, "quarter": 0.25, "third": 1 / 3, "tenth": 0.1, "fifth": 0.2}
_FRACTIONS |= {"twentieth": 0.05, "hundredth": 0.01, "thousandth": 0.001}
# Nouns that make "a"/"an"/"half" a number: "a cent", "half a second", "under a second".
_COUNTABLE = vocab("cent penny dime nickel dollar buck second sec minute millisecond percent")
# "pick one", "the one that gives", "which one": a pronoun, not a number.
_ONE_AS_PRONOUN = vocab(
    "pick choose the which that this each every no any another other only single big wide last "
    "first next new right wrong good bad same one"
)
# "a few hundred ms", "several thousand users": no number anyone could check against.
_VAGUE_COUNT = vocab("few several couple many some hundreds thousands of")
# "section 3", "page 2", "rev 12", "day one": a reference, not a quantity.
REFERENCES = vocab(
    "section sections page pages step steps item items rev revision version v chapter clause "
    "para paragraph line row table figure fig appendix slide sprint issue pr day week quarter "
    "phase stage level tier release build room floor gate"
)


def _word_number(tokens: list[Tok], i: int) -> tuple[float, int] | None:
    """Reads a number spelled in words at i; returns (value, index after it)."""
    word = at(tokens, i)
    before = at(tokens, i - 1)
    pronoun = word == "one" and before in _ONE_AS_PRONOUN
    if before in REFERENCES or (pronoun and at(tokens, i + 1) not in ("in", "out")):
        return None
    if word in _SCALES and before in _VAGUE_COUNT:
        return None
    if word in ("a", "an"):
        following = at(tokens, i + 1)
        if following in _SCALES:
            return _SCALES[following], i + 2
        if following in _FRACTIONS and following != "half":
            return _FRACTIONS[following], i + 2  # "a tenth (of a cent)"
        return (1.0, i + 1) if following in _COUNTABLE else None
    if word == "half":
        k = i + 2 if at(tokens, i + 1) in ("a", "an") else i + 1
        return (0.5, k) if at(tokens, k) in _COUNTABLE else None
    if word not in _SMALL and word not in _TENS and word not in _SCALES:
        return None
    total, current, j = 0.0, 0.0, i
    last = ""  # what the previous word was: "ten one" is two numbers, "twenty one" is one
    while j < len(tokens) and tokens[j].kind == "word":
        w = tokens[j].text
        if w in _SMALL:
            if last == "small" or (last == "tens" and _SMALL[w] >= 10):
                break
            current += _SMALL[w]
            last = "small"
        elif w in _TENS:
            if last in ("small", "tens"):
                break
            current += _TENS[w]
            last = "tens"
            if at(tokens, j + 1) == "-" and 0 < _SMALL.get(at(tokens, j + 2), 0) < 10:
                current += _SMALL[at(tokens, j + 2)]
                j += 2
                last = "small"
        elif w == "hundred":
            current = max(current, 1.0) * 100
            last = "scale"
        elif w in _SCALES:
            total, current = total + max(current, 1.0) * _SCALES[w], 0.0
            last = "scale"
        elif w == "and" and j > i and (at(tokens, j + 1), at(tokens, j + 2)) == ("a", "half"):
            current += 0.5  # "two and a half"
            j += 3
            break
        elif not (w == "and" and j > i and at(tokens, j + 1) in _SMALL.keys() | _TENS.keys()):
            break
        j += 1
    return total + current, j


def merge_numbers(tokens: list[Tok]) -> list[Tok]:
    """Turns spelled-out numbers, fractions and multipliers into single number tokens."""
    merged: list[Tok] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.kind == "num" and at(tokens, i - 1) in REFERENCES and tok.value.is_integer():
            merged.append(Tok("word", tok.text, tok.start, tok.end))  # "section 3"
            i += 1
            continue
        if tok.kind == "num":
            value, j = tok.value, i + 1
        elif (spelled := _word_number(tokens, i)) is not None:
            value, j = spelled
        else:
            merged.append(tok)
            i += 1
            continue
        while at(tokens, j) in MULTIPLIERS and tokens[j].kind == "word":
            value *= MULTIPLIERS[tokens[j].text]
            j += 1
        end = tokens[max(j - 1, i)].end
        merged.append(Tok("num", tokens[i].text, tok.start, end, value))
        i = max(j, i + 1)
    return merged


_DOTTED = re.compile(r"[1-9][0-9]{0,2}\.[0-9]{2}0")


def dotted_thousands(tok: Tok) -> bool:
    """ "2.000", "1.500": a dot before exactly three digits is a decimal point in English and a
    thousands separator in much of Europe, so the number is 2 or 2000; never guessed. Only with
    a trailing zero, which no one needs in a decimal: the bot's own summary writes "$1.001 per
    query" (never trailing zeros), and a pasted summary must read back as it was written."""
    return tok.kind == "num" and bool(_DOTTED.fullmatch(tok.text))


def numbers(text: str) -> list[Tok]:
    return merge_numbers(tokenize(text))


def is_negative(tokens: list[Tok], i: int) -> bool:
    """A "-" stuck to the number (not a range "5-10"), "-$5", or "minus 5"."""
    if at(tokens, i - 1) in ("minus", "negative"):
        return True
    k = i - 1
    if at(tokens, k) == "$":
        k -= 1
    if at(tokens, k) == "-" and tokens[k].end == tokens[k + 1].start:
        return k == 0 or tokens[k - 1].kind not in ("num", "word")
    return False


RANGE_LINKS = ("-", "to", "and", "or")
_UNIT_TOKENS = {"%", "percent", "s", "sec", "secs", "seconds", "ms", "$", "¢", "cent", "cents"}


def find_range(tokens: list[Tok]) -> tuple[float, float, str, str] | None:
    """ "5-10%", "1 to 2 s", "between 5 and 10", "5% or 10%" → (5, 10, link, word after 10)."""
    for i, tok in enumerate(tokens):
        if tok.kind != "num":
            continue
        j = i + 1 + (at(tokens, i + 1) in _UNIT_TOKENS)
        link = at(tokens, j)
        k = j + 1 + (at(tokens, j + 1) == "$")
        is_number = k < len(tokens) and tokens[k].kind == "num"
        if (
            is_number
            and link in RANGE_LINKS
            and (link != "and" or at(tokens, i - 1) == "between")
            and tokens[k].value > tok.value
        ):
            return tok.value, tokens[k].value, link, at(tokens, k + 1)
    return None
