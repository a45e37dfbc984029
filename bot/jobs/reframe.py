"""Reframe replies, after the ack: compose them from the agreed numbers and the latest run, let
the language model (maybe) word them, and queue them in the outbox.

A reframe asked for by `/align reframe`, the message shortcut or a claim in a listening channel
is stored as a job (`queue`, in the ack's or the worker's transaction); the inbox worker runs it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from bot.deps import Deps
from bot.domain.reframe_wording import Situation
from bot.services import inbox, outbox
from bot.services import reframe as service
from bot.services.reframe import Job
from bot.slack.blocks import reframe as reframe_blocks
from bot.store.models import Feature

log = logging.getLogger(__name__)
REFRAME_JOB = "reframe_job"  # the key of a stored reframe in an inbox body


def queue(deps: Deps, session: Session, job: Job) -> None:
    """Stored with the ack; the worker composes the reply (the model may take seconds)."""
    body = {REFRAME_JOB: job.to_json()}
    inbox.accept_job(deps, session, job.dedup_key, job.team_id, job.channel_id, body)


def from_inbox(deps: Deps, body: dict[str, Any]) -> Callable[[], None] | None:
    """The inbox handler's part for jobs: run a stored reframe after the worker's commit."""
    if REFRAME_JOB not in body:
        return None
    job = Job.from_json(body[REFRAME_JOB])

    def run_in_background() -> None:
        deps.background.submit(run, deps, job)

    return run_in_background


def run(deps: Deps, job: Job) -> None:
    """Background: compose, word (the model may take seconds), queue. Never raises."""
    try:
        with deps.unit_of_work() as session:
            feature = session.get(Feature, job.feature_id)
            if feature is None:
                return
            composed = service.compose(session, feature, job.claim)
        text = service.word(deps.llm, composed)  # outside any transaction
        blocks = reframe_blocks.reply_blocks(
            text,
            feature_id=job.feature_id,
            asks_for_target=composed.situation is Situation.NO_TARGET,
            asked_by=job.asked_by,
            asked_text=job.asked_text,
            listening=job.listening,
        )
        with deps.unit_of_work() as session:
            feature = session.get(Feature, job.feature_id)
            if feature is None:
                return
            where = outbox.CHANNEL if job.thread_ts is None else job.thread_ts
            outbox.say(
                session, deps.clock, feature, text, blocks, where=where, dedup_key=job.dedup_key
            )
    except Exception:
        log.exception("could not reply to a reframe request")
