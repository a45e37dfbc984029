"""What the bot says when a run arrives: headline numbers in the kickoff thread, and a short
channel alert when the run newly breaches an agreed target (at most one per feature per hour).
Queued through the outbox in the caller's transaction, so a rolled-back run says nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.domain.stats import Verdict, judge_rate, judge_value
from bot.domain.targets import Direction, Targets
from bot.services import kickoff, outbox
from bot.services.evals import previous_run
from bot.slack.text import escape
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


def _pct(value: float) -> str:
    return f"{value * 100:.1f}%".replace(".0%", "%")


def _money(value: float) -> str:
    return f"${value:.4f}".rstrip("0").rstrip(".") if value < 1 else f"${value:,.2f}"


def judge_run(run: EvalRun, targets: Targets | None) -> list[Judged]:
    """Each headline number against its target (or on its own when nothing is agreed)."""
    judged: list[Judged] = []
    if run.failure_rate is None or run.ci_low is None or run.ci_high is None:
        rate = "Error rate: no answered cases to judge"
        judged.append(Judged("error rate", rate, Verdict.NO_DATA))
    else:
        rate = (
            f"Error rate {_pct(run.failure_rate)} (95% CI {_pct(run.ci_low)}–{_pct(run.ci_high)},"
            f" n={run.n})"
        )
        verdict = Verdict.NO_DATA
        if targets is not None and targets.max_error_rate is not None:
            judgement = judge_rate(run.n_failed, run.n, targets.max_error_rate)
            verdict = judgement.verdict
            rate += f" vs target ≤ {_pct(targets.max_error_rate)}: {VERDICT_WORDS[verdict]}"
            if verdict is Verdict.TOO_CLOSE and judgement.cases_needed is not None:
                rate += f" (about {judgement.cases_needed:,} more cases would settle it)"
        judged.append(Judged("error rate", rate, verdict))
    budget = targets.max_latency_p95_ms if targets is not None else None
    judged.append(_point("p95 latency", run.latency_p95_ms, budget, lambda v: f"{v:,.0f} ms"))
    budget = targets.max_cost_per_query_usd if targets is not None else None
    judged.append(_point("cost per query", run.cost_per_query_usd, budget, _money))
    return judged


def _point(
    name: str, value: float | None, budget: float | None, show: Callable[[float], str]
) -> Judged:
    if value is None:
        return Judged(name, f"{name.capitalize()}: not in the file", Verdict.NO_DATA)
    line = f"{name.capitalize()} {show(value)}"
    verdict = Verdict.NO_DATA
    if budget is not None:
        verdict = judge_value(value, budget, Direction.AT_MOST)
        line += f" vs budget {show(budget)}: {'within' if verdict is Verdict.MEETS else 'over'}"
    return Judged(name, line, verdict)


def _agreed_targets(feature: Feature) -> Targets | None:
    version = kickoff.agreed_version(feature)
    return kickoff.targets_of(version) if version is not None else None


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
    targets = _agreed_targets(feature)
    text = thread_text(feature, run, targets)
    outbox.post(
        session,
        clock,
        team_id=feature.team_id,
        channel_id=feature.channel_id,
        text=text,
        feature_id=feature.id,
        in_feature_thread=True,
    )
    missed = newly_missed(run, previous_run(session, run), targets)
    now = clock.now()
    quiet = feature.last_alert_at is not None and now - feature.last_alert_at < ALERT_GAP
    if missed and not quiet:
        feature.last_alert_at = now
        alert = (
            f"*{escape(feature.name)}*: the latest eval run misses the agreed "
            f"{' and '.join(missed)}. The numbers are in the kickoff thread."
        )
        outbox.post(
            session,
            clock,
            team_id=feature.team_id,
            channel_id=feature.channel_id,
            text=alert,
            feature_id=feature.id,
        )
    return text
