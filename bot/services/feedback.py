"""What the bot says when a run arrives: headline numbers in the kickoff thread, and a short
channel alert when the run newly breaches an agreed target (at most one per feature per hour).
Queued through the outbox in the caller's transaction, so a rolled-back run says nothing."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.domain import measure_text
from bot.domain.checks import check_run
from bot.domain.mrkdwn import escape
from bot.domain.runs import RunFacts
from bot.domain.stats import Verdict
from bot.domain.style import MRKDWN
from bot.domain.targets import Targets
from bot.services import outbox
from bot.services.evals import previous_run
from bot.services.reports import agreed_targets
from bot.services.runs import judged_facts, run_facts
from bot.store.models import EvalRun, Feature

ALERT_GAP = timedelta(hours=1)
SOURCE_WORDS = {"cli": "the command line", "api": "the API", "slack_file": "a file in this thread"}


def thread_text(run: EvalRun, facts: RunFacts, targets: Targets | None) -> str:
    """The headline numbers against the targets, in the report's own sentences."""
    label = f" *{escape(run.label)}*" if run.label else ""
    lines = [f"New eval run{label} from {SOURCE_WORDS.get(run.source, run.source)}:"]
    checks = check_run(facts, targets)
    why = "every case in the run errored" if facts.n_errored else "no answered cases"
    lines.append(measure_text.error_rate_line(checks.error_rate, why, MRKDWN))
    lines.append(measure_text.latency_line(checks.latency, "not in the file", MRKDWN))
    lines.append(measure_text.cost_line(checks.cost, "not in the file", MRKDWN))
    lines = [lines[0], *(f"• {line}" for line in lines[1:])]
    if run.n_errored:
        cases = "case" if run.n_errored == 1 else "cases"
        lines.append(f"• {run.n_errored} {cases} errored (no answer); counted apart, not as passes")
    if targets is None:
        lines.append("No target agreed yet, so there is nothing to judge these against.")
    return "\n".join(lines)


def newly_missed(run: RunFacts, previous: RunFacts | None, targets: Targets | None) -> list[str]:
    """Targets this run clearly misses that the previous run did not (or there was none)."""
    if targets is None:
        return []
    before: set[str] = set()
    if previous is not None:
        verdicts = check_run(previous, targets).verdicts()
        before = {name for name, v in verdicts.items() if v is Verdict.MISSES}
    now = check_run(run, targets).verdicts()
    return [name for name, v in now.items() if v is Verdict.MISSES and name not in before]


def after_ingest(session: Session, clock: Clock, feature: Feature, run: EvalRun) -> str:
    """Queue the thread summary, and the channel alert when due; returns the summary text."""
    targets = agreed_targets(feature)
    facts = judged_facts(session, run, targets.max_latency_p95_ms if targets else None)
    text = thread_text(run, facts, targets)
    outbox.post(
        session,
        clock,
        team_id=feature.team_id,
        channel_id=feature.channel_id,
        text=text,
        feature_id=feature.id,
        in_feature_thread=True,
    )
    previous = previous_run(session, run)
    missed = newly_missed(facts, run_facts(previous) if previous else None, targets)
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
