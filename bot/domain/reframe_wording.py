"""What the bot answers to a vague claim: the agreed target and the latest measured number, in
plain words, or the question that gets a target. Pure: facts in, text out.

Every number in an answer's text is also in its `facts`, formatted the same way; a language
model may reword the facts, and the number guard (bot.llm.only_allowed_numbers) checks its
wording against them.

(Just over 300 lines on purpose: every answer to every kind of claim, side by side, so their
facts and wording stay alike.)
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.domain import measure_text
from bot.domain.checks import Measure, check_cost, check_error_rate, check_latency
from bot.domain.mrkdwn import escape
from bot.domain.options import plan_options
from bot.domain.reframe import Claim, Dimension
from bot.domain.runs import RunFacts
from bot.domain.stats import Verdict
from bot.domain.targets import Targets
from bot.domain.wording import (
    format_cost_per_query,
    format_latency_ms,
    format_number,
    format_rate,
    one_in_n,
)


class Situation(StrEnum):
    MEASURED = "measured"  # a target and a measured number: a verdict
    NO_DATA = "no_data"  # a target, but nothing measured for it yet
    NO_TARGET = "no_target"  # nothing agreed: ask the question that gets a target


@dataclass(frozen=True)
class Answer:
    situation: Situation
    text: str  # our own wording, Slack mrkdwn
    facts: tuple[str, ...]  # what a model may reword; every number in `text` is in here
    verdict: Verdict | None = None


ERROR_CHOICES = (0.05, 0.10, 0.20)
LATENCY_CHOICES_MS = (1000.0, 2000.0, 5000.0)
COST_CHOICES_USD = (0.001, 0.01, 0.05)
_VERDICT_WORDS = {
    Verdict.MEETS: "meets the agreed target",
    Verdict.MISSES: "misses the agreed target",
    Verdict.TOO_CLOSE: "too close to call",
}


def answer(feature: str, claim: Claim, targets: Targets | None, run: RunFacts | None) -> Answer:
    """`feature` is the feature's name, already safe to show in Slack."""
    targets = targets or Targets()
    if claim.dimension is Dimension.SHIP_IT:
        return _ship_it(feature, targets, run)
    if claim.dimension is Dimension.LATENCY:
        return _latency(feature, targets, run)
    if claim.dimension is Dimension.COST:
        return _cost(feature, targets, run)
    return _accuracy(feature, claim, targets, run)


def _choices(values: tuple[str, ...]) -> str:
    return f"{', '.join(values[:-1])} or {values[-1]}"


def _no_run(feature: str, target_line: str, facts: list[str]) -> Answer:
    text = (
        f"For *{feature}* we agreed on {target_line}, but no eval run is in yet, so there is "
        "no data to check that claim against. Drop an eval results file in the kickoff "
        "thread (or upload one from CI) and ask again."
    )
    return Answer(Situation.NO_DATA, text, (*facts, "measured: no data yet"))


def _accuracy(feature: str, claim: Claim, targets: Targets, run: RunFacts | None) -> Answer:
    facts = [f"feature: {feature}"]
    measured = ""
    limit = targets.max_error_rate
    check = check_error_rate(run, limit)
    if run is not None and check.rate is not None:
        rate, n = format_rate(check.rate), format_number(run.n)
        measured = f"In the latest run, {rate} of {n} answered test cases failed"
        facts.append(f"latest run: {rate} of {n} answered test cases failed")
        if check.ci_low is not None and check.ci_high is not None:
            interval = f"{format_rate(check.ci_low)[:-1]}–{format_rate(check.ci_high)}"
            measured += f" (95% CI {interval})"
            facts.append(f"95% interval: {interval}")
        if check.rate > 0:
            users = one_in_n(check.rate)
            measured += f": {users} users would get a wrong answer"
            facts.append(f"in users' terms: {users} users get a wrong answer")
        measured += "."
    # Typed by a person: escaped here, where it goes into mrkdwn (and into the model's facts,
    # which hold the feature's name escaped the same way).
    agreed_impact = escape(targets.error_impact) if targets.error_impact else ""
    impact = f" We agreed a wrong answer means: {agreed_impact}." if agreed_impact else ""
    if agreed_impact:
        facts.append(f"what a wrong answer means, as agreed: {agreed_impact}")
    if limit is None:
        choices = _choices(tuple(format_rate(c) for c in ERROR_CHOICES))
        facts.append(f"thresholds to offer: {choices}")
        lead = (
            "Whether users care shows in what they get, and there is no agreed limit on wrong "
            if claim.dimension is Dimension.VALUE
            else "There is no agreed limit on wrong "
        )
        text = (
            f"{lead}answers for *{feature}* yet, so there is nothing to check this against."
            f"{' ' + measured if measured else ''} At what share of wrong answers does this "
            f"become a problem: {choices}? Agree on one in the kickoff and I'll answer with "
            "the numbers."
        )
        return Answer(Situation.NO_TARGET, text, tuple(facts))
    target_line = f"at most {format_rate(limit)} wrong answers"
    facts.append(f"agreed limit: {target_line}")
    if not measured or run is None:
        return _no_run(feature, target_line, facts)
    lead = (
        "Whether users care shows in what they get. " if claim.dimension is Dimension.VALUE else ""
    )
    text = f"{lead}{measured} We agreed on {target_line} for *{feature}*.{impact} "
    verdict = check.verdict
    facts.append(f"verdict: {_VERDICT_WORDS.get(verdict, 'no data')}")
    if verdict is Verdict.MEETS:
        text += "That meets the agreed limit."
    elif verdict is Verdict.TOO_CLOSE:
        text += "That is too close to call."
        settle = measure_text.error_rate_settle(check)
        if settle:
            text += f" {settle}"
            facts.append(f"what would settle it: {settle}")
    else:
        options = _options(Measure.ERROR_RATE, targets)
        text += "That misses the agreed limit. Options: " + " ".join(options)
        facts.extend(f"option {option}" for option in options)
    if claim.dimension is Dimension.VALUE:
        text += " If users truly don't mind, change the limit in the kickoff thread, with a reason."
    return Answer(Situation.MEASURED, text, tuple(facts), verdict)


def _options(measure: Measure, targets: Targets) -> list[str]:
    """The report's options for this one miss, in the agreed order."""
    plan = plan_options([measure], targets.tradeoff_priority)
    return [f"{line.option.value}) {line.text}" for line in plan.lines]


_POINT_VERDICTS = {
    Verdict.MEETS: "that meets it",
    Verdict.MISSES: "that misses it",
    Verdict.TOO_CLOSE: "that is too close to call",
}


@dataclass(frozen=True)
class _Point:
    """Latency or cost of the latest run, as the report says it."""

    measure: Measure
    label: str  # "p95 latency", "cost"
    target: float | None
    measured: str | None  # the report's sentence for the number; None: not in the run
    short: str  # the number alone, for "meanwhile, the latest run measured …"
    verdict: Verdict
    settle: str
    question: str


def _point(feature: str, point: _Point, targets: Targets, run: RunFacts | None) -> Answer:
    """Latency and cost: one measured number against a ceiling."""
    facts = [f"feature: {feature}"]
    label, target, question = point.label, point.target, point.question
    if target is None:
        facts += [f"no agreed {label} yet", f"question: {question}"]
        text = f"There is no agreed {label} for *{feature}* yet. {question}"
        if point.measured is not None and run is not None:
            text += f" Meanwhile, the latest run measured {point.short}."
            facts.append(f"latest run: {point.short}")
        text += " Agree on one in the kickoff and I'll answer with the numbers."
        return Answer(Situation.NO_TARGET, text, tuple(facts))
    target_line = f"a {label} of at most {target_show(label, target)}"
    facts.append(f"agreed: {target_line}")
    if run is None:
        return _no_run(feature, target_line, facts)
    if point.measured is None:
        text = (
            f"For *{feature}* we agreed on {target_line}, but the latest run's file has no "
            f"{label} figures, so there is no data yet. Add them to the eval file and ask again."
        )
        return Answer(Situation.NO_DATA, text, (*facts, "measured: not in the latest run"))
    words = _POINT_VERDICTS[point.verdict]
    facts += [f"latest run: {point.measured}", f"verdict: {words}"]
    text = (
        f"In the latest run, {point.measured}. We agreed on {target_line} for *{feature}*, "
        f"and {words}."
    )
    if point.settle:
        text += f" {point.settle}"
        facts.append(f"what would settle it: {point.settle}")
    if point.verdict is Verdict.MISSES:
        options = _options(point.measure, targets)
        text += " Options: " + " ".join(options)
        facts.extend(f"option {option}" for option in options)
    return Answer(Situation.MEASURED, text, tuple(facts), point.verdict)


def target_show(label: str, value: float) -> str:
    return format_latency_ms(value) if label == "p95 latency" else format_cost_per_query(value)


def _latency(feature: str, targets: Targets, run: RunFacts | None) -> Answer:
    check = check_latency(run, targets.max_latency_p95_ms)
    summary = check.summary
    choices = _choices(tuple(format_latency_ms(c) for c in LATENCY_CHOICES_MS))
    point = _Point(
        measure=Measure.LATENCY,
        label="p95 latency",
        target=targets.max_latency_p95_ms,
        measured=measure_text.latency_measured(check) if summary else None,
        short=f"a p95 latency of {measure_text.ms_at_most(summary.p95_ms)}" if summary else "",
        verdict=check.verdict,
        settle=measure_text.latency_settle(check),
        question=f"How long may 95% of answers take before users give up: {choices}?",
    )
    return _point(feature, point, targets, run)


def _cost(feature: str, targets: Targets, run: RunFacts | None) -> Answer:
    check = check_cost(run, targets.max_cost_per_query_usd)
    summary = check.summary
    choices = _choices(tuple(format_cost_per_query(c) for c in COST_CHOICES_USD))
    point = _Point(
        measure=Measure.COST,
        label="cost",
        target=targets.max_cost_per_query_usd,
        measured=f"answers cost {measure_text.cost_measured(check)}" if summary else None,
        short=f"a cost of {measure_text.usd(summary.mean_usd)} per query" if summary else "",
        verdict=check.verdict,
        settle=measure_text.cost_settle(check),
        question=f"What may one answer cost at most: {choices}?",
    )
    return _point(feature, point, targets, run)


def _ship_it(feature: str, targets: Targets, run: RunFacts | None) -> Answer:
    claim = Claim(Dimension.ACCURACY, "")
    parts = [
        ("wrong answers", _accuracy(feature, claim, targets, run)),
        ("p95 latency", _latency(feature, targets, run)),
        ("cost", _cost(feature, targets, run)),
    ]
    agreed = [(name, a) for name, a in parts if a.situation is not Situation.NO_TARGET]
    if not agreed:
        no_target = parts[0][1]
        text = "Good enough compared with what? " + no_target.text
        return Answer(Situation.NO_TARGET, text, no_target.facts)
    facts = [fact for _, a in agreed for fact in a.facts if not fact.startswith("option")]
    if all(a.situation is Situation.NO_DATA for _, a in agreed):
        facts = list(dict.fromkeys(facts))
        text = (
            f"Good enough is what we agreed for *{feature}*, but no eval run is in yet, so "
            "there is no data to say. Drop an eval results file in the kickoff thread and "
            "ask again."
        )
        return Answer(Situation.NO_DATA, text, tuple(facts))
    lines = [_ship_line(name, a) for name, a in agreed]
    missing = [name for name, a in agreed if a.verdict is Verdict.MISSES]
    close = [name for name, a in agreed if a.verdict is Verdict.TOO_CLOSE]
    unmeasured = [name for name, a in agreed if a.situation is Situation.NO_DATA]
    if missing:
        head = f"Not by the agreed numbers yet: {' and '.join(missing)} miss the target."
        verdict = Verdict.MISSES
    elif close or unmeasured:
        head = "Not settled yet by the agreed numbers."
        verdict = Verdict.TOO_CLOSE
    else:
        head = "By the agreed numbers, yes: every target is met in the latest run."
        verdict = Verdict.MEETS
    text = "\n".join([f"For *{feature}*: {head}", *(f"• {line}" for line in lines)])
    return Answer(Situation.MEASURED, text, (f"feature: {feature}", *lines), verdict)


def _ship_line(name: str, part: Answer) -> str:
    """One target in a line, from the facts its own answer holds."""
    facts = dict(fact.split(": ", 1) for fact in part.facts if ": " in fact)
    agreed = facts.get("agreed limit") or facts.get("agreed", "")
    measured = facts.get("latest run", "no data in the latest run")
    verdict = facts.get("verdict", "no data")
    return f"{name.capitalize()}: {measured}; agreed {agreed}: {verdict}"


def nothing_agreed_here(claim: Claim) -> str:
    """A claim in a channel with no kickoff yet: the question that gets a target, and where to
    agree on it."""
    if claim.dimension is Dimension.LATENCY:
        choices = _choices(tuple(format_latency_ms(c) for c in LATENCY_CHOICES_MS))
        question = f"How long may 95% of answers take before users give up: {choices}?"
    elif claim.dimension is Dimension.COST:
        choices = _choices(tuple(format_cost_per_query(c) for c in COST_CHOICES_USD))
        question = f"What may one answer cost at most: {choices}?"
    elif claim.dimension is Dimension.SHIP_IT:
        choices = _choices(tuple(format_rate(c) for c in ERROR_CHOICES))
        question = (
            f"Good enough is a number: how often may it be wrong ({choices}?), how slow and how "
            "costly may it be?"
        )
    else:
        choices = _choices(tuple(format_rate(c) for c in ERROR_CHOICES))
        question = f"At what share of wrong answers does this become a problem: {choices}?"
    return (
        f"Nothing is agreed in this channel yet, so there is no number to check that against. "
        f"{question} Agree on it in a kickoff here: `/kickoff <feature name> [@pm] [@engineer]`."
    )
