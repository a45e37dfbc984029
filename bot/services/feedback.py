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


def thread_text(feature: Feature, run: EvalRun, targets: Targets | None) -> str:
    label = f" *{escape(run.label)}*" if run.label else ""
    lines = [f"New eval run{label} from {SOURCE_WORDS.get(run.source, run.source)}:"]
    lines += [f"• {judged.line}" for judged in judge_run(run, targets)]
    if run.n_errored:
        cases = "case" if run.n_errored == 1 else "cases"
        lines.append(f"• {run.n_errored} {cases} errored (no answer); counted apart, not as passes")
    if targets is None:
        lines.append("No target agreed yet, so there is nothing to judge these against.")
    return "\n".join(lines)


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
    text = thread_text(feature, run, targets)
    outbox.say(session, clock, feature, text)
    missed = newly_missed(run, previous_run(session, run), targets)
    now = clock.now()
    quiet = feature.last_alert_at is not None and now - feature.last_alert_at < ALERT_GAP
    if missed and not quiet:
        feature.last_alert_at = now
        alert = (
            f"*{escape(feature.name)}*: the latest eval run misses the agreed "
            f"{' and '.join(missed)}. The numbers are in the kickoff thread."
        )
        outbox.say(session, clock, feature, alert, where=outbox.CHANNEL)
    return text
