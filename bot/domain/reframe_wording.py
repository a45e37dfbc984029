"""What the bot answers to a vague claim: the agreed target and the latest measured number, in
plain words, or the question that gets a target. Pure: facts in, text out.

Every number in an answer's text is also in its `facts`, formatted the same way; a language
model may reword the facts, and the number guard (bot.llm.only_allowed_numbers) checks its
wording against them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.domain.mrkdwn import escape
from bot.domain.reframe import Claim, Dimension
from bot.domain.stats import Verdict, judge_rate, judge_value
from bot.domain.targets import Direction, Targets, TradeoffPriority
from bot.domain.wording import (
    format_cost_per_1k,
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
class LatestRun:
    """The aggregates of a feature's latest eval run, as stored at ingest."""

    n: int
    n_failed: int
    failure_rate: float | None
    ci_low: float | None
    ci_high: float | None
    latency_p95_ms: float | None
    cost_per_query_usd: float | None


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


def answer(feature: str, claim: Claim, targets: Targets | None, run: LatestRun | None) -> Answer:
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


def _accuracy(feature: str, claim: Claim, targets: Targets, run: LatestRun | None) -> Answer:
    facts = [f"feature: {feature}"]
    measured = ""
    if run is not None and run.failure_rate is not None and run.n:
        rate = format_rate(run.failure_rate)
        measured = f"In the latest run, {rate} of {format_number(run.n)} answered test cases failed"
        facts.append(f"latest run: {rate} of {format_number(run.n)} answered test cases failed")
        if run.ci_low is not None and run.ci_high is not None:
            interval = f"{format_rate(run.ci_low)[:-1]}–{format_rate(run.ci_high)}"
            measured += f" (95% CI {interval})"
            facts.append(f"95% interval: {interval}")
        if run.failure_rate > 0:
            users = one_in_n(run.failure_rate)
            measured += f": {users} users would get a wrong answer"
            facts.append(f"in users' terms: {users} users get a wrong answer")
        measured += "."
    # Typed by a person: escaped here, where it goes into mrkdwn (and into the model's facts,
    # which hold the feature's name escaped the same way).
    agreed_impact = escape(targets.error_impact) if targets.error_impact else ""
    impact = f" We agreed a wrong answer means: {agreed_impact}." if agreed_impact else ""
    if agreed_impact:
        facts.append(f"what a wrong answer means, as agreed: {agreed_impact}")
    limit = targets.max_error_rate
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
    judged = judge_rate(run.n_failed, run.n, limit)
    lead = (
        "Whether users care shows in what they get. " if claim.dimension is Dimension.VALUE else ""
    )
    text = f"{lead}{measured} We agreed on {target_line} for *{feature}*.{impact} "
    verdict = judged.verdict
    facts.append(f"verdict: {_VERDICT_WORDS.get(verdict, 'no data')}")
    if verdict is Verdict.MEETS:
        text += "That meets the agreed limit."
    elif verdict is Verdict.TOO_CLOSE:
        text += "That is too close to call"
        if judged.cases_needed is not None:
            more = format_number(judged.cases_needed)
            text += f": about {more} more test cases would settle it"
            facts.append(f"more test cases that would settle it: {more}")
        text += "."
    else:
        options = _accuracy_options(targets)
        text += "That misses the agreed limit. Options: " + " ".join(options)
        facts.extend(f"option {option}" for option in options)
    if claim.dimension is Dimension.VALUE:
        text += " If users truly don't mind, change the limit in the kickoff thread, with a reason."
    return Answer(Situation.MEASURED, text, tuple(facts), verdict)


def _accuracy_options(targets: Targets) -> list[str]:
    fallback = " or fall back sooner" if targets.fallback is not None else ""
    return [
        "A) try a stronger model and compare its run,",
        f"B) filter retrieval more strictly{fallback},",
        "C) revisit the limit, with a reason, in the kickoff thread.",
    ]


def _point(
    feature: str,
    label: str,
    target: float | None,
    value: float | None,
    run: LatestRun | None,
    show: str,
    measured_line: str,
    options: list[str],
    question: str,
) -> Answer:
    """Latency and cost: one measured number against a ceiling."""
    facts = [f"feature: {feature}"]
    if target is None:
        facts += [f"no agreed {label} yet", f"question: {question}"]
        text = f"There is no agreed {label} for *{feature}* yet. {question}"
        if value is not None and run is not None:
            text += f" Meanwhile, the latest run measured {show}."
            facts.append(f"latest run: {show}")
        text += " Agree on one in the kickoff and I'll answer with the numbers."
        return Answer(Situation.NO_TARGET, text, tuple(facts))
    target_line = f"a {label} of at most {target_show(label, target)}"
    facts.append(f"agreed: {target_line}")
    if run is None:
        return _no_run(feature, target_line, facts)
    if value is None:
        text = (
            f"For *{feature}* we agreed on {target_line}, but the latest run's file has no "
            f"{label} figures, so there is no data yet. Add them to the eval file and ask again."
        )
        return Answer(Situation.NO_DATA, text, (*facts, "measured: not in the latest run"))
    verdict = judge_value(value, target, Direction.AT_MOST)
    facts.append(f"latest run: {measured_line} (over {format_number(run.n)} answered test cases)")
    within = verdict is Verdict.MEETS
    facts.append(f"verdict: {'within' if within else 'over'} the agreed {label}")
    text = (
        f"In the latest run, {measured_line} (over {format_number(run.n)} answered test "
        f"cases). We agreed on {target_line} for *{feature}*, so that is "
        f"{'within' if within else 'over'} it."
    )
    if not within:
        text += " Options: " + " ".join(options)
        facts.extend(f"option {option}" for option in options)
    return Answer(Situation.MEASURED, text, tuple(facts), verdict)


def target_show(label: str, value: float) -> str:
    return format_latency_ms(value) if label == "p95 latency" else format_cost_per_query(value)


def _latency(feature: str, targets: Targets, run: LatestRun | None) -> Answer:
    value = run.latency_p95_ms if run is not None else None
    shown = format_latency_ms(value) if value is not None else ""
    options = [
        "A) a faster or smaller model,",
        "B) shorter prompts, streaming or caching,",
        "C) revisit the budget, with a reason, in the kickoff thread.",
    ]
    if targets.tradeoff_priority is TradeoffPriority.LATENCY_GIVES:
        options.append("You agreed that latency gives way first to keep cost within budget.")
    choices = _choices(tuple(format_latency_ms(c) for c in LATENCY_CHOICES_MS))
    return _point(
        feature,
        "p95 latency",
        targets.max_latency_p95_ms,
        value,
        run,
        f"a p95 latency of {shown}",
        f"95% of answers came back within {shown}",
        options,
        f"How long may 95% of answers take before users give up: {choices}?",
    )


def _cost(feature: str, targets: Targets, run: LatestRun | None) -> Answer:
    value = run.cost_per_query_usd if run is not None else None
    shown = f"{format_cost_per_query(value)} ({format_cost_per_1k(value)})" if value else ""
    options = [
        "A) a cheaper model for the easy questions,",
        "B) shorter prompts or caching,",
        "C) revisit the budget, with a reason, in the kickoff thread.",
    ]
    if targets.tradeoff_priority is TradeoffPriority.COST_GIVES:
        options.append("You agreed that cost gives way first to keep answers fast.")
    choices = _choices(tuple(format_cost_per_query(c) for c in COST_CHOICES_USD))
    return _point(
        feature,
        "cost",
        targets.max_cost_per_query_usd,
        value,
        run,
        f"a cost of {shown}",
        f"answers cost {shown} on average",
        options,
        f"What may one answer cost at most: {choices}?",
    )


def _ship_it(feature: str, targets: Targets, run: LatestRun | None) -> Answer:
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
