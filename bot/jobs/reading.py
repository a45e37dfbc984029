"""The language model's reading of a kickoff answer our parser could not read, after the ack.

A job (stored with the answer's handling): the model is asked with no transaction open, and what
it proposed is shown back for a yes/no in the transaction that marks the job done; it is stored
as the answer only once someone confirms it (bot/services/kickoff/answers.py). When the model
has no reading (or takes too long, or this process has none), our own follow-up goes instead.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bot.deps import Deps
from bot.domain import checklist
from bot.domain.checklist import Step
from bot.domain.mrkdwn import escape
from bot.jobs.inbox import Done
from bot.services import inbox, kickoff, outbox
from bot.services.inbox import JobKind
from bot.services.kickoff import answers
from bot.services.reading import propose
from bot.slack.blocks import kickoff as kickoff_blocks
from bot.slack.blocks import section
from bot.store.models import Feature


def queue(
    deps: Deps,
    session: Session,
    feature: Feature,
    event: dict[str, Any],
    text: str,
    step: Step,
    clarify: str,
) -> None:
    """In the answer's transaction: ask the model about `text` (as read from Slack's
    encoding) once this commits, for the items still open now."""
    targets = kickoff.targets_of(kickoff.current_version(feature))
    open_steps = [s.value for s in checklist.ORDER if not checklist.is_answered(targets, s)]
    payload = {
        "feature_id": feature.id,
        "step": step.value,
        "open": open_steps,
        "text": text,
        "clarify": clarify,
    }
    body = inbox.job_body(
        JobKind.READING, payload, feature.team_id, feature.channel_id, event.get("user")
    )
    # One job per version of the message: an edited reply (bot/slack/revisions.py) keeps its
    # ts, and is read again.
    edited = (event.get("edited") or {}).get("ts")
    key = f"reading:{feature.id}:{event.get('ts')}" + (f":{edited}" if edited else "")
    inbox.add_job(session, deps.clock, key, body)


def read(deps: Deps, payload: dict[str, Any]) -> Done:
    """The job: the model's reading (it answers within 8 s or not at all), then shown back."""
    feature_id, step = int(payload["feature_id"]), Step(payload["step"])
    text, clarify = str(payload["text"]), str(payload["clarify"])
    open_steps = [Step(s) for s in payload.get("open") or [step.value]]
    question = checklist.ITEMS[step].question.text
    facts = propose(deps.llm, open_steps, question, text) if deps.llm is not None else []

    def store(session: Session) -> None:
        feature = session.get(Feature, feature_id)
        if feature is None:
            return
        # After the kickoff's lock: a press answering the question as the model read commits
        # first, and its answer is what this sees (a reading held for an answered question
        # would offer a Yes that overwrites it).
        kickoff.lock(session, feature)
        if feature.stage != step.value:
            return  # someone answered meanwhile
        if not facts:
            if clarify:
                safe = escape(clarify)  # our reader quotes the person's words back
                outbox.say(session, deps.clock, feature, safe, [section(safe)])
            return
        key = answers.hold_reading(feature, facts, clarify)
        described = "; ".join(checklist.ITEMS[s].said_back(value) for s, value in facts)
        said = kickoff_blocks.reading(feature.id, text, described, key)
        outbox.say(session, deps.clock, feature, *said)

    return Done(store=store)
