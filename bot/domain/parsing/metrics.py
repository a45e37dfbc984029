"""(3) Success measures: a name, a direction and a target, e.g. "CSAT at least 4.2", "NPS >= 40",
"weekly active users ≥ 10k", "tickets & escalations <= 200 a week", "open rate 35% or more".

A strict ">" or "more than" is stored as at least (and "<" as at most): a test run cannot tell
4.2 from 4.2001. The target is stored as written, with its unit ("deflection ≥ 30%" → 30, "%").
When several comparisons sit in one measure ("vendors onboarded in under 5 days ≥ 70%") the
last one is the target and the rest is its name. A change against today ("tickets down by 20%")
has nothing to check a number against, so it gets a question.

Over 300 lines: one reader, whose name, comparison and unit rules depend on each other."""

from __future__ import annotations

from bot.domain.parsing.clauses import Part
from bot.domain.parsing.findings import Finding, FollowUp, Found
from bot.domain.parsing.rate import MISDONE
from bot.domain.parsing.results import METRICS, Parsed, Unclear, finite, precheck, unclear
from bot.domain.parsing.tokens import Tok, at, is_negative, numbers, phrases, quote, vocab
from bot.domain.steps import Step
from bot.domain.targets import Direction, SuccessMetric
from bot.domain.wording import format_metric, format_number

_AT_LEAST, _AT_MOST = Direction.AT_LEAST, Direction.AT_MOST
# Longest first, so "no more than" wins over "more than".
_COMPARATORS: list[tuple[tuple[str, ...], Direction]] = sorted(
    [
        *(
            (tuple(p.split()), _AT_LEAST)
            for p in phrases(
                ">=|>|+|at least|no less than|not less than|no fewer than|min|minimum|more than|"
                "greater than|above|over|exceeds|exceed|higher than|or more|or higher|or above|"
                "or better|or greater|up to at least"
            )
        ),
        *(
            (tuple(p.split()), _AT_MOST)
            for p in phrases(
                "<=|<|at most|no more than|not more than|max|maximum|under|below|less than|"
                "fewer than|lower than|or less|or lower|or fewer|or below|up to|within|down to"
            )
        ),
    ],
    key=lambda item: -len(item[0]),
)
_BY_FIRST: dict[str, list[tuple[tuple[str, ...], Direction]]] = {}
for _phrase, _direction in _COMPARATORS:
    _BY_FIRST.setdefault(_phrase[0], []).append((_phrase, _direction))
_VERBS = {"increase": _AT_LEAST, "raise": _AT_LEAST, "grow": _AT_LEAST, "improve": _AT_LEAST}
_VERBS |= {"boost": _AT_LEAST, "reach": _AT_LEAST, "hit": _AT_LEAST, "reduce": _AT_MOST}
_VERBS |= {"cut": _AT_MOST, "decrease": _AT_MOST, "lower": _AT_MOST, "limit": _AT_MOST}
_VERBS |= {"cap": _AT_MOST, "shrink": _AT_MOST}
_RELATIVE = vocab("by fewer less more")  # "down by 20%", "20% fewer tickets"
_EDGES = vocab(
    "the our a an should be is are must stay keep to of with at target goal then - : = * • . · "
    "( ) ' \" need needs want we $ and so plus also stays keeps gets goes"
)
# Words that introduce measures rather than name them.
_LEAD_INS = (
    ("we", "will", "track"),
    ("we", "ll", "track"),
    ("we", "want"),
    ("i", "d", "measure"),
    ("i", "would", "measure"),
    ("we", "d", "measure"),
    ("we", "ll", "measure"),
    ("measure",),
    ("track",),
    ("success", "is"),
    ("success", "means"),
    ("we", "d", "judge", "it", "on"),
    ("we", "would", "judge", "it", "on"),
    ("judge", "it", "on"),
    ("judged", "on"),
    ("we", "win", "if"),
    ("we", "re", "good", "if"),
    ("we", "are", "good", "if"),
    ("it", "works", "if"),
    ("success", "if"),
    ("and",),
)
UNIT_NAMES = {"%": "%", "percent": "%", "pct": "%", "$": "$", "usd": "$", "dollars": "$"}
UNIT_NAMES |= {"ms": "ms", "msec": "ms", "milliseconds": "ms", "millisecond": "ms", "s": "s"}
UNIT_NAMES |= {"sec": "s", "secs": "s", "second": "s", "seconds": "s", "min": "min"}
UNIT_NAMES |= {"mins": "min", "minute": "min", "minutes": "min", "hours": "h", "hour": "h"}
UNIT_NAMES |= {"days": "days", "day": "days"}


_TRAILING: set[tuple[str, ...]] = {
    ("or", "more"),
    ("or", "higher"),
    ("or", "above"),
    ("or", "better"),
    ("or", "greater"),
}
_TRAILING |= {("or", "less"), ("or", "lower"), ("or", "fewer"), ("or", "below"), ("+",), ("max",)}
_TRAILING |= {("maximum",), ("min",), ("minimum",), ("at", "most"), ("at", "least"), ("tops",)}


_COMPARISON_WORDS = {"<", "<=", ">", ">=", "≤", "≥", "under", "below", "within", "over", "above"}
_COMPARISON_WORDS |= {"less", "fewer", "more", "least", "most", "than", "to"}


def comparators(tokens: list[Tok]) -> list[tuple[int, int, Direction]]:
    """Comparisons that compare a number: right before it ("at least 4.2", "≤ $5") or, for the
    trailing kinds, right after it ("35% or more", "500+"); "hand over to one of my agents"
    holds none."""
    found = []
    i = 0
    while i < len(tokens):
        for phrase, direction in _BY_FIRST.get(tokens[i].text, []):
            if all(at(tokens, i + n) == part for n, part in enumerate(phrase)):
                if _compares(tokens, i, i + len(phrase), phrase):
                    found.append((i, i + len(phrase), direction))
                i += len(phrase) - 1
                break
        i += 1
    return found


def _compares(tokens: list[Tok], start: int, end: int, phrase: tuple[str, ...]) -> bool:
    if phrase in (("min",), ("max",)) and any(
        t.text in _COMPARISON_WORDS for t in tokens[: max(0, start - 1)]
    ):
        return False  # "review time <= 20 min", "under 15 min": minutes, after a comparison
    k = end
    while at(tokens, k) in ("$", "-", "minus"):  # "≤ $5", "≥ -10", "≥ $-0.5"
        k += 1
    if k < len(tokens) and tokens[k].kind == "num":
        return True
    if phrase in _TRAILING and start > 0:
        before = start - 1
        if at(tokens, before) in _PERIODS and at(tokens, before - 1) in ("a", "per", "/", "each"):
            before -= 2  # "50 a day or less"
        before -= at(tokens, before) in UNIT_NAMES
        return before >= 0 and tokens[before].kind == "num"
    return False


def _trim(tokens: list[Tok], *, name: bool = True) -> list[Tok]:
    """Without lead-ins ("we'll track"), filler words and punctuation at the edges."""
    start, end = 0, len(tokens)
    if name:
        changed = True
        while changed:
            changed = False
            texts = [t.text for t in tokens[start:] if t.text != "'"]
            for lead in _LEAD_INS:
                if tuple(texts[: len(lead)]) == lead:
                    skipped = 0
                    while skipped < len(lead):
                        skipped += tokens[start].text != "'"
                        start += 1
                    changed = True
                    break
    edges = _EDGES if name else vocab(". , ; : ) (")
    while start < end and (tokens[start].text in edges or (name and tokens[start].text in _VERBS)):
        start += 1
    while end > start and tokens[end - 1].text in edges:
        end -= 1
    return tokens[start:end]


_PERIODS = vocab("day week month hour year incident query call ticket")


def _relative(tokens: list[Tok]) -> bool:
    """ "down by 20%", "20% fewer tickets": a change; "down to 120 a week or fewer" is a level."""
    return any(
        t.text in _RELATIVE and at(tokens, i - 1) != "or" for i, t in enumerate(tokens)
    ) and not any(t.text == "down" and at(tokens, i + 1) == "to" for i, t in enumerate(tokens))


def _span(text: str, tokens: list[Tok]) -> str:
    return text[tokens[0].start : tokens[-1].end] if tokens else ""


def metric(text: str, tokens: list[Tok]) -> SuccessMetric | str | None:
    """One measure, e.g. "CSAT at least 4.2"; a string says what is missing; None: there is no
    number in it, so it is not a measure at all."""
    said = f'"{quote(_span(text, tokens))}"'
    numbers_at = [i for i, t in enumerate(tokens) if t.kind == "num"]
    if not numbers_at:
        return None
    found = comparators(tokens)
    verbs = {_VERBS[t.text] for t in tokens if t.text in _VERBS}
    if _relative(tokens) and (verbs or _has(tokens, ("down", "up"))):
        return (
            f"{said} is a change against today, and a test run can only check a level. "
            "What level should it reach, e.g. tickets ≤ 800?"
        )
    if len({d for _, _, d in found}) > 1 and any(t.text in ("but", "and") for t in tokens):
        return f"{said} says both at least and at most. Which one is it?"  # "over 4 but under 5"
    if found:
        # The target is the number right after the last comparison (or just before it:
        # "35% or more"); everything before that comparison names the measure.
        first, last, direction = found[-1]
        after = [i for i in numbers_at if i >= last]
        before = [i for i in numbers_at if i < first]
        if after:
            target, name_tokens = after[0], tokens[: _before_comparisons(found, first, 1)]
            rest_from = target + 1
        elif before:
            target = before[-1]
            name_tokens = tokens[: _before_comparisons(found, target, 0)]
            rest_from = target + 1 if last == len(tokens) else last  # "120 a week or fewer"
        else:
            return f"I couldn't find a target number in {said}."
        if not _trim(name_tokens) and after:  # "at least 30% deflection"
            unit, named_from = _unit(tokens, target, target + 1)
            name = _trim(tokens[named_from:])
            if name and finite(tokens[target].value):
                value = tokens[target].value * (-1 if is_negative(tokens, target) else 1)
                return SuccessMetric(
                    name=_span(text, name)[:80], target=value, direction=direction, unit=unit
                )
        direction_set = {direction}
    elif len(numbers_at) == 1 and verbs:
        if not any(t.text in _VERBS for t in tokens[: numbers_at[0]]):
            return None  # "10% is our limit": a noun, not "limit escalations to 10%"
        target = numbers_at[0]
        name_tokens, rest_from = tokens[:target], target + 1
        direction_set = verbs
    elif len(numbers_at) == 1:
        target = numbers_at[0]
        name_tokens, rest_from, direction_set = tokens[:target], target + 1, set()
    else:
        return f"I see several numbers in {said}. Which one is the target?"
    if len(direction_set) > 1:
        return f"{said} says both at least and at most. Which one is it?"
    value = tokens[target].value * (-1 if is_negative(tokens, target) else 1)
    unit, rest_from = _unit(tokens, target, rest_from)
    name = _trim(name_tokens)
    trailing = _trim(tokens[rest_from:], name=False)
    if len(trailing) >= 2 and (trailing[-2].text, trailing[-1].text) in _TRAILING:
        trailing = trailing[:-2]  # "120 a week or fewer": the unit is "a week"
    trailing = [
        t for t in trailing if t.text != "or" and (t.text in _PERIODS or t.text not in UNIT_NAMES)
    ]
    trailing = _trim(trailing, name=False) if trailing else []
    if not name:
        name, trailing = trailing, []
    if not name or not any(c.isalpha() for c in _span(text, name)):
        return f"I couldn't tell what is measured in {said}."
    name_text, extra = _own_name(_span(text, name)), _span(text, trailing)
    if len(name_text) > 80 or len(extra) > 40:
        return f"{said} is too long for one measure. Try a short name and a target."
    if not direction_set:
        n = format_number(value)
        return f"Should {name_text} be at least {n} or at most {n}?"
    if not finite(value):
        return f"The target in {said} is too large."
    unit = f"{unit} {extra}".strip() if extra else unit
    return SuccessMetric(name=name_text, target=value, direction=direction_set.pop(), unit=unit)


def _own_name(name: str) -> str:
    """ "starting with what success looks like: reps using it weekly" → "reps using it weekly";
    a quote left open by the cut ('where is my order" tickets') is dropped."""
    name = name.rsplit(":", 1)[-1].strip() or name
    if name.count('"') % 2:
        name = " ".join(name.replace('"', " ").split())
    return name


def _before_comparisons(found: list[tuple[int, int, Direction]], end: int, skip: int) -> int:
    """Where the name ends: before `end` and any comparison that ends right there ("payroll
    tickets down to ≤ 50", "CSAT ≥ 4.2 or better"); the last `skip` comparisons are the target's
    own."""
    for start, stop, _ in reversed(found[: len(found) - skip]):
        if stop == end:
            end = start
    return end


def _has(tokens: list[Tok], found: tuple[str, ...]) -> bool:
    return any(t.text in found for t in tokens)


def _unit(tokens: list[Tok], target: int, rest_from: int) -> tuple[str, int]:
    if at(tokens, target - 1) == "$" or (
        at(tokens, target - 1) == "-" and at(tokens, target - 2) == "$"
    ):
        return "$", rest_from
    following = at(tokens, target + 1)
    if following in UNIT_NAMES:
        return UNIT_NAMES[following], max(rest_from, target + 2)
    return "", rest_from


def items(tokens: list[Tok]) -> list[list[Tok]]:
    """Measures in one part: split at "and"/"plus"/"also" once the part before has a number."""
    found: list[list[Tok]] = [[]]
    has_number = False
    for tok in tokens:
        if tok.text in (";", ",") or (tok.text in ("and", "plus", "also", "&") and has_number):
            found.append([])
            has_number = False
        else:
            found[-1].append(tok)
            has_number = has_number or tok.kind == "num"
    return [item for item in found if _trim(item)]


def parse_success_metrics(text: str) -> Parsed[list[SuccessMetric]] | Unclear:
    """One or several measures: "CSAT >= 4.2; deflection rate at least 30%; p95 ≤ 2 s"."""
    if (refusal := precheck(text, METRICS)) is not None:
        return refusal
    metrics: list[SuccessMetric] = []
    for line in text.splitlines():
        for item in items(numbers(line)):
            parsed = metric(line, item)
            if parsed is None:
                parsed = f'I couldn\'t find a target number in "{quote(_span(line, item))}".'
            if isinstance(parsed, str):
                got = "; ".join(format_metric(m) for m in metrics)
                return unclear(METRICS, f"I got {got}. {parsed}" if got else parsed)
            metrics.append(parsed)
    if not metrics:
        return unclear(METRICS, f'I couldn\'t find a measure in "{quote(text)}".')
    return Parsed(value=metrics)


_FILLER = vocab(
    "then please tops max ok okay though instead honestly tbh imo i think so fine ideally "
    "preferably"
)
_ERROR_WORDS = vocab(
    "wrong errors error mistakes mistake incorrect hallucinations accurate accuracy"
)
_LATENCY_WORDS = vocab(
    "latency p95 wait waits waiting respond responds takes load loads percentile 95th th "
    "p99 p90 p50 p999 mean average median back arrive arrives"
)
_SHORT_TIMES = vocab(
    "s sec secs second seconds ms millisecond milliseconds min mins minute minutes"
)
_MONEY = vocab("$ cent cents ¢ dollar dollars buck bucks usd")


_NOT_A_NAME = vocab("anything everything something nothing it this that")


def _about_errors(texts: set[str]) -> bool:
    """Names wrong answers: "wrong", "errors", "missorted", "misrouted tickets"."""
    return bool(texts & _ERROR_WORDS) or any(t.startswith(MISDONE) for t in texts)


_AUXILIARIES = ("can", "could", "would", "shall", "should", "do", "does", "is", "are", "will")


def _another_items(item: list[Tok], measure: SuccessMetric) -> bool:
    """A measure-shaped phrase that is really an error rate, a latency or a cost: "1 in 10
    wrong max", "nobody waits more than 2 s", "no more than $0.01 per query"."""
    texts = {t.text for t in item}
    if _about_errors(texts):
        return True
    durations = [
        i for i, t in enumerate(item) if t.kind == "num" and at(item, i + 1) in _SHORT_TIMES
    ]
    if len(durations) > 1:
        return True  # "under a second ideally but 2s is the hard cap": two budgets, no measure
    target = next(
        i for i, t in enumerate(item) if t.kind == "num" and abs(t.value) == abs(measure.target)
    )
    unit_after, before = at(item, target + 1), at(item, target - 1)
    if before in ("$", "usd") or unit_after in _MONEY or measure.unit.startswith("$"):
        return True
    if unit_after in _SHORT_TIMES and texts & _LATENCY_WORDS:
        return True
    named = [w.lower() for w in measure.name.replace("'", " ").split()]
    if not named or named[0] in ("per", "a", "an", "/", "each", "every"):
        return True
    if all(w in _FILLER for w in named):
        return True  # "under 1.5 seconds then"
    if named[0] in ("i", "we", "they", "you", "let", "lets") or "i" in named:
        return True  # "I'd cap it at 7%", "for dosing I want under 1%": a person speaking
    if named[0] in _AUXILIARIES and len(named) > 1 and named[1] in ("we", "you", "i", "it"):
        return True  # "can we do less than 1 in 100": a person asking, not a measure's name
    if named[0] in _NOT_A_NAME and len(named) <= 2:
        return True  # "anything under a minute": a limit on everything, not a measure
    return bool(set(named) & {"when", "if", "whatever", "must", "should", "unsure"})


def find(part: Part, names_of_items: set[str], *, p95: bool = False) -> list[Finding] | None:
    """Measures in one part of a reply, or None when the part holds no measure (no comparison
    and no number with a name), so other readers may look at it. A measure named like another
    item ("errors <= 4%", "p95 under 2 s") is left to that item; so is a time on a line that
    says p95 (`p95`)."""
    found: list[Finding] = []
    for item in items(part.tokens):
        texts = {t.text for t in item}
        relative = _relative(item) and bool(texts & ({"down", "up"} | set(_VERBS)))
        has_comparison = bool(comparators(item)) or bool(texts & set(_VERBS)) or relative
        if not has_comparison and part.label is not Step.SUCCESS_METRICS:
            continue
        if part.label is not Step.SUCCESS_METRICS and _about_errors(texts):
            return None  # "if more than one answer in eight is wrong my team will hate it"
        parsed = metric(part.text, item)
        if parsed is None or (isinstance(parsed, str) and parsed.startswith("I couldn't tell")):
            continue  # no name: a bare "under 2s" is for the other readers
        start = part.start + item[0].start
        end = part.start + item[-1].end
        if isinstance(parsed, str):
            found.append(FollowUp(Step.SUCCESS_METRICS, unclear(METRICS, parsed).reply, start))
            continue
        timed = parsed.unit.split(" ")[0] in ("s", "ms", "min") and p95
        if _names_an_item(parsed.name, names_of_items) or _another_items(item, parsed) or timed:
            return None
        found.append(Found(Step.SUCCESS_METRICS, [parsed], start, end, True))
    return found or None


def unnamed(measure: SuccessMetric) -> bool:
    """Named only by filler ("…, say at most 2,000 a month"): the name is in the part before."""
    named = [w.lower() for w in measure.name.replace("'", " ").split()]
    return bool(named) and all(w in _FILLER or w in ("say", "about", "roughly") for w in named)


def renamed(measure: SuccessMetric, text: str) -> SuccessMetric | None:
    """The measure named by `text` (the clause before it), without its lead-in."""
    name = _trim(numbers(text))
    shown = _span(text, name)
    if not name or len(shown) > 80 or any(t.kind == "num" for t in name):
        return None
    return measure.model_copy(update={"name": shown})


def _names_an_item(name: str, names_of_items: set[str]) -> bool:
    lowered = " ".join(name.lower().replace("-", " ").split())
    return lowered in names_of_items or any(
        lowered.startswith(word + " ") or lowered == word for word in names_of_items
    )
