"""What the bot says when a run arrives: headline numbers in the kickoff thread, and a short
channel alert when the run newly breaches an agreed target (at most one per feature per hour).
Queued through the outbox in the caller's transaction, so a rolled-back run says nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.domain.mrkdwn import escape
from bot.domain.report import ValueCheck, check_run
from bot.domain.stats import Verdict
from bot.domain.targets import Targets
from bot.domain.wording import format_cost_per_query, format_latency_ms, format_rate
from bot.services import outbox
from bot.services.evals import previous_run
from bot.services.reports import agreed_targets, run_facts
from bot.store.models import EvalRun, Feature

ALERT_GAP = timedelta(hours=1)
SOURCE_WORDS = {"cli": "the command line", "api": "the API", "slack_file": "a file in this thread"}
VERDICT_WORDS = {
    Verdict.MEETS: "meets it",
    Verdict.MISSES: "misses it",
    Verdict.TOO_CLOSE: "too close to call",
    Verdict.NO_DATA: "no data",
}


@dataclass(frozen=True)
class Judged:
    """One target against one run: the line to show and whether it is clearly missed."""

    name: str
    line: str
    verdict: Verdict


def judge_run(run: EvalRun, targets: Targets | None) -> list[Judged]:
    """Each headline number against its target (or on its own when nothing is agreed), judged
    by the report model so the thread summary and the report always agree."""
    checks = check_run(run_facts(run), targets)
    rate = checks.error_rate
    judged: list[Judged] = []
    if rate.rate is None or rate.ci_low is None or rate.ci_high is None:
        judged.append(Judged("error rate", "Error rate: no answered cases to judge", rate.verdict))
    else:
        line = (
            f"Error rate {format_rate(rate.rate)} (95% CI {format_rate(rate.ci_low)}–"
            f"{format_rate(rate.ci_high)}, n={rate.n})"
        )
        if rate.limit is not None:
            line += f" vs target ≤ {format_rate(rate.limit)}: {VERDICT_WORDS[rate.verdict]}"
            if rate.verdict is Verdict.TOO_CLOSE and rate.cases_needed is not None:
                line += f" (about {rate.cases_needed:,} more cases would settle it)"
        judged.append(Judged("error rate", line, rate.verdict))
    judged.append(_point("p95 latency", checks.latency, format_latency_ms))
    judged.append(_point("cost per query", checks.cost, format_cost_per_query))
    return judged


def _point(name: str, check: ValueCheck, show: Callable[[float], str]) -> Judged:
    if check.value is None:
        return Judged(name, f"{name.capitalize()}: not in the file", Verdict.NO_DATA)
    line = f"{name.capitalize()} {show(check.value)}"
    if check.budget is not None:
        within = "within" if check.verdict is Verdict.MEETS else "over"
        line += f" vs budget {show(check.budget)}: {within}"
    return Judged(name, line, check.verdict)


def duplicate_text(name: str, run: EvalRun) -> str:
    """A file drop whose content is a run already stored."""
    when = run.created_at.strftime("%Y-%m-%d %H:%M UTC")
    source = SOURCE_WORDS.get(run.source, run.source)
    return (
        f"`{escape(name)}` has the same results as run {run.id} (from {source}, {when}), "
        "so I didn't store it twice. Its numbers are above in this thread."
    )


def thread_text(
    feature: Feature, run: EvalRun, targets: Targets | None, previous: EvalRun | None = None
) -> str:
    label = f" *{escape(run.label)}*" if run.label else ""
    lines = [f"New eval run{label} from {SOURCE_WORDS.get(run.source, run.source)}:"]
    if all_errored(run):
        lines.append(
            f"• Every case errored ({run.n_errored:,} of {run.n_errored:,}): the system under "
            "test gave no answer, so there is nothing to judge. Is the model or its provider "
            "reachable from the eval?"
        )
    else:
        lines += [f"• {judged.line}" for judged in judge_run(run, targets)]
        if run.n_errored:
            cases = "case" if run.n_errored == 1 else "cases"
            lines.append(
                f"• {run.n_errored} {cases} errored (no answer); counted apart, not as passes"
            )
    lines += [f"• {escape(note)}" for note in (run.checks_json or {}).get("notes") or []]
    lines += checks_lines(feature, run, previous)
    if targets is None:
        lines.append("No target agreed yet, so there is nothing to judge these against.")
    return "\n".join(lines)


def all_errored(run: EvalRun) -> bool:
    return run.n == 0 and run.n_errored > 0


def checks_lines(feature: Feature, run: EvalRun, previous: EvalRun | None) -> list[str]:
    """Which checks count as a wrong answer: in full when the run's checks are new to the
    feature (its first run with checks, or other checks than last time), else one line."""
    record = run.checks_json or {}
    checks = record.get("checks") or []
    if not checks:
        return []
    means = str(record.get("wrong_means") or "")
    before = {
        c.get("name")
        for c in ((previous.checks_json or {}) if previous else {}).get("checks") or []
    }
    if before == {c.get("name") for c in checks}:
        return [f"• Error rate counts {escape(means)}"]
    lines = [f"Checks in this file, and what counts as a wrong answer ({escape(means)}):"]
    for check in checks:
        kind, name = str(check.get("kind")), escape(str(check.get("name")))
        failed = f"{check.get('n_failed', 0):,} of {check.get('n', 0):,} failed"
        if kind in ("latency", "cost"):
            role = f"judged by the {kind} budget, never a wrong answer"
        else:
            role = "counts as a wrong answer" if check.get("counted") else "does not count"
        lines.append(f"• `{name}` ({kind}, {failed}): {role}")
    lines.append(
        f"To choose: `/align wrong {feature.slug} <check> [<check> …]`, or "
        f"`/align wrong {feature.slug} default`; it applies to this run and every later one."
    )
    return lines


def newly_missed(run: EvalRun, previous: EvalRun | None, targets: Targets | None) -> list[str]:
    """Targets this run clearly misses that the previous run did not (or there was none)."""
    if targets is None:
        return []
    before: set[str] = set()
    if previous is not None:
        before = {j.name for j in judge_run(previous, targets) if j.verdict is Verdict.MISSES}
    return [
        judged.name
        for judged in judge_run(run, targets)
        if judged.verdict is Verdict.MISSES and judged.name not in before
    ]


def after_ingest(session: Session, clock: Clock, feature: Feature, run: EvalRun) -> str:
    """Queue the thread summary, and the channel alert when due; returns the summary text."""
    targets = agreed_targets(feature)
    previous = previous_run(session, run)
    text = thread_text(feature, run, targets, previous)
    outbox.say(session, clock, feature, text)
    missed = newly_missed(run, previous, targets)
    now = clock.now()
    quiet = feature.last_alert_at is not None and now - feature.last_alert_at < ALERT_GAP
    alert = None
    if all_errored(run):
        alert = (
            f"*{escape(feature.name)}*: every case of the latest eval run errored "
            f"({run.n_errored:,} cases), so there are no numbers from it. "
            "The details are in the kickoff thread."
        )
    elif missed:
        alert = (
            f"*{escape(feature.name)}*: the latest eval run misses the agreed "
            f"{' and '.join(missed)}. The numbers are in the kickoff thread."
        )
    if alert and not quiet:
        feature.last_alert_at = now
        outbox.say(session, clock, feature, alert, where=outbox.CHANNEL)
    return text
