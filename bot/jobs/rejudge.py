"""Re-judging a feature's stored runs after its wrong-answer choice changed, after the ack.

A press or `/align wrong` stores the choice and this job in one transaction (so a crash loses
neither); the inbox worker runs it. A run of 100,000 cases takes seconds to recount, too long
to make Slack wait for. Each job is for one version of the choice: an older version's job finds
the choice moved on and does nothing, and the newest one does the work.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bot.deps import Deps
from bot.domain.mrkdwn import escape
from bot.jobs.inbox import Done
from bot.services import inbox, outbox, wrong_answers
from bot.services.inbox import JobKind
from bot.store.models import Feature


def queue(session: Session, deps: Deps, feature: Feature, user_id: str) -> None:
    """In the transaction that changed the choice (a request's, which has already written)."""
    version = feature.wrong_choice_version
    gave_up = (
        f"I couldn't recount the stored runs of *{escape(feature.name)}* under the new choice "
        "of what counts as a wrong answer. The choice is stored and new runs use it; choose "
        "again to have the stored runs recounted."
    )
    body = inbox.job_body(
        JobKind.REJUDGE,
        {"feature": feature.id, "version": version},
        feature.team_id,
        feature.channel_id,
        user_id,
        gave_up=gave_up,
    )
    inbox.add_job(session, deps.clock, f"rejudge:{feature.id}:{version}", body)


def run(deps: Deps, payload: dict[str, Any]) -> Done:
    """All of it is database work, done in the transaction that marks the job done."""
    feature_id, version = int(payload["feature"]), int(payload["version"])

    def store(session: Session) -> None:
        done = wrong_answers.rejudge_version(session, feature_id, version)
        feature = session.get(Feature, feature_id)
        if done is None or done.latest is None or feature is None:
            return
        outbox.say(session, deps.clock, feature, recounted_text(done))

    # A newer choice arrived meanwhile (wrong_answers.Superseded): its own job recounts.
    return Done(store=store, refused=lambda session, message: None)


def recounted_text(done: wrong_answers.Rejudged) -> str:
    latest = done.latest
    assert latest is not None
    runs = f"{done.runs} stored run{'s' if done.runs != 1 else ''}"
    means = escape(str((latest.checks_json or {}).get("wrong_means") or ""))
    if not latest.n:
        return f"Recounted {runs} ({means})."
    rate = latest.n_failed / latest.n
    return (
        f"Recounted {runs} ({means}): the latest, run {latest.id}, now has "
        f"{latest.n_failed:,} wrong answer{'s' if latest.n_failed != 1 else ''} in "
        f"{latest.n:,} answered cases ({rate:.1%})."
    )
