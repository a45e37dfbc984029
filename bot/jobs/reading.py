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
from bot.domain.parsing import Parsed
from bot.domain.targets import Targets
from bot.jobs.inbox import Done
from bot.services import inbox, outbox
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
    encoding) once this commits."""
    payload = {"feature_id": feature.id, "step": step.value, "text": text, "clarify": clarify}
    body = inbox.job_body(
        JobKind.READING, payload, feature.team_id, feature.channel_id, event.get("user")
    )
    key = f"reading:{feature.id}:{event.get('ts')}"
    inbox.add_job(session, deps.clock, key, body)


def read(deps: Deps, payload: dict[str, Any]) -> Done:
    """The job: the model's reading (it answers within 8 s or not at all), then shown back."""
    feature_id, step = int(payload["feature_id"]), Step(payload["step"])
    text, clarify = str(payload["text"]), str(payload["clarify"])
    question = checklist.QUESTIONS[step].text
    reading = propose(deps.llm, step, question, text) if deps.llm is not None else None

    def store(session: Session) -> None:
        feature = session.get(Feature, feature_id)
        if feature is None or feature.stage != step.value:
            return  # someone answered meanwhile
        if reading is None:
            safe = escape(clarify)  # our parser quotes the person's words back
            outbox.say(session, deps.clock, feature, safe, [section(safe)])
            return
        answers.hold_reading(feature, step, reading, clarify)
        parsed = checklist.parse_answer(step, reading)
        assert isinstance(parsed, Parsed)
        described = checklist.describe(checklist.apply(Targets(), step, parsed.value), step)
        outbox.say(
            session, deps.clock, feature, *kickoff_blocks.reading(feature.id, text, described)
        )

    return Done(store=store)
