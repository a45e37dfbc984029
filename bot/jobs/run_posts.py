"""What the bot says when a run arrives: headline numbers in the kickoff thread, and a short
channel alert when the run newly breaches an agreed target (at most one per feature per hour).
Queued through the outbox in the caller's transaction, so a rolled-back run says nothing. Called
by every way a run comes in (the command line, the upload API, a file drop), and, like the other
jobs, it draws Block Kit through slack/blocks (the list of checks with its buttons)."""

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
from bot.services import outbox, wrong_answers
from bot.services.evals import previous_run
from bot.services.reports import agreed_targets
from bot.services.runs import judged_facts, run_facts
from bot.slack.blocks import checks as checks_blocks
from bot.store.models import EvalRun, Feature

ALERT_GAP = timedelta(hours=1)
SOURCE_WORDS = {"cli": "the command line", "api": "the API", "slack_file": "a file in this thread"}


def numbers_lines(facts: RunFacts, targets: Targets | None) -> list[str]:
    """The headline numbers against the targets, in the report's own sentences."""
    checks = check_run(facts, targets)
    return [
        measure_text.error_rate_line(checks.error_rate, "no answered cases", MRKDWN),
        measure_text.latency_line(checks.latency, "not in the file", MRKDWN),
        measure_text.cost_line(checks.cost, "not in the file", MRKDWN),
    ]


def duplicate_text(name: str, run: EvalRun) -> str:
    """A file drop whose content is a run already stored."""
    when = run.created_at.strftime("%Y-%m-%d %H:%M UTC")
    source = SOURCE_WORDS.get(run.source, run.source)
    return (
        f"`{escape(name)}` has the same results as run {run.id} (from {source}, {when}), "
        "so I didn't store it twice. Its numbers are above in this thread."
    )


def thread_text(
    feature: Feature,
    run: EvalRun,
    targets: Targets | None,
    previous: EvalRun | None = None,
    facts: RunFacts | None = None,
) -> str:
    """`facts`: the run's snapshot as judged (run_facts(run) when not given)."""
    label = f" *{escape(run.label)}*" if run.label else ""
    lines = [f"New eval run{label} from {SOURCE_WORDS.get(run.source, run.source)}:"]
    if all_errored(run):
        lines.append(
            f"• Every case errored ({run.n_errored:,} of {run.n_errored:,}): the system under "
            "test gave no answer, so there is nothing to judge. Is the model or its provider "
            "reachable from the eval?"
        )
    else:
        lines += [f"• {line}" for line in numbers_lines(facts or run_facts(run), targets)]
        if run.n_errored:
            cases = "case" if run.n_errored == 1 else "cases"
            lines.append(
                f"• {run.n_errored} {cases} errored (no answer); counted apart, not as passes"
            )
    lines += [f"• {escape(note)}" for note in (run.checks_json or {}).get("notes") or []]
    lines += checks_lines(run)
    if targets is None:
        lines.append("No target agreed yet, so there is nothing to judge these against.")
    return "\n".join(lines)


def all_errored(run: EvalRun) -> bool:
    return run.n == 0 and run.n_errored > 0


def checks_lines(run: EvalRun) -> list[str]:
    """One line in the summary: what the error rate counts as a wrong answer."""
    record = run.checks_json or {}
    if not record.get("checks"):
        return []
    return [f"• Error rate counts {escape(str(record.get('wrong_means') or ''))}"]


def checks_are_new(run: EvalRun, previous: EvalRun | None) -> bool:
    """The run carries checks, and not the ones the feature's previous run carried (its first
    run with checks, or other checks than last time): then the thread lists them in full."""

    def names(one: EvalRun | None) -> set[str]:
        checks = ((one.checks_json or {}) if one else {}).get("checks") or []
        return {str(c.get("name")) for c in checks}

    return bool(names(run)) and names(run) != names(previous)


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
    previous = previous_run(session, run)
    facts = judged_facts(session, run, targets.max_latency_p95_ms if targets else None)
    text = thread_text(feature, run, targets, previous, facts)
    outbox.say(session, clock, feature, text)
    if checks_are_new(run, previous):
        listed, blocks = checks_blocks.choice_message(wrong_answers.listing(feature, run))
        outbox.say(session, clock, feature, listed, blocks)
        text = f"{text}\n{listed}"
    missed = newly_missed(facts, run_facts(previous) if previous else None, targets)
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
