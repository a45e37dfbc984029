"""Reframe replies, after the ack: compose them from the agreed numbers and the latest run, let
the language model (maybe) word them, and queue them in the outbox.

A reframe asked for by `/align reframe` or the message shortcut is stored as a job with the ack
(`queue`); a claim in a listening channel stores one in the inbox worker's transaction (`add`).
The inbox worker runs it (`write`): the model is asked with no transaction open, and the reply
is queued in the transaction that marks the job done.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.deps import Deps
from bot.domain.mrkdwn import escape
from bot.domain.reframe_wording import Situation
from bot.jobs.inbox import Done
from bot.services import inbox, outbox
from bot.services import reframe as service
from bot.services.inbox import JobKind
from bot.services.reframe import Job
from bot.slack.blocks import reframe as reframe_blocks
from bot.store.models import Feature


def _body(job: Job, asked_by: str | None) -> dict[str, Any]:
    return inbox.job_body(JobKind.REFRAME, job.to_json(), job.team_id, job.channel_id, asked_by)


def queue(deps: Deps, session: Session, job: Job, asked_by: str | None) -> None:
    """Stored with the ack; the worker composes the reply (the model may take seconds)."""
    inbox.accept_job(deps, session, job.dedup_key, _body(job, asked_by))


def add(session: Session, clock: Clock, job: Job) -> None:
    """From the inbox worker's transaction (a claim heard in a listening channel)."""
    inbox.add_job(session, clock, job.dedup_key, _body(job, None))


def write(deps: Deps, payload: dict[str, Any]) -> Done:
    """The job: compose (a short read), word (the model may take seconds), then queue."""
    job = Job.from_json(payload)
    with deps.unit_of_work() as session:
        feature = session.get(Feature, job.feature_id)
        composed = service.compose(session, feature, job.claim) if feature is not None else None
    if composed is None:
        return Done(store=lambda session: None)  # the feature was removed meanwhile
    text = service.word(deps.llm, composed)  # outside any transaction
    blocks = reframe_blocks.reply_blocks(
        text,
        feature_id=job.feature_id,
        asks_for_target=composed.situation is Situation.NO_TARGET,
        asked_by=job.asked_by,
        asked_text=job.asked_text,
        listening=job.listening,
    )

    def store(session: Session) -> None:
        feature = session.get(Feature, job.feature_id)
        if feature is None:
            return
        where = outbox.CHANNEL if job.thread_ts is None else job.thread_ts
        asked = None
        if job.response_url:  # if Slack refuses the reply, the asker hears it there
            target = outbox.ReplyTarget(
                job.team_id, job.channel_id, job.asked_by, response_url=job.response_url
            )
            what = f"my reply with the numbers agreed for *{escape(feature.name)}*"
            asked = outbox.Asked(target, what)
        key = job.dedup_key
        outbox.say(
            session, deps.clock, feature, text, blocks, where=where, dedup_key=key, asked=asked
        )

    return Done(store=store)
