"""Replies and buttons that answer the checklist, and a language model's reading held for a
yes/no. Slack-free; returns an outcome (`outcomes`) or None when there is nothing to say."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.domain import checklist, parsing
from bot.domain.checklist import AGREED, REVIEW, Step
from bot.domain.parsing import Parsed, Unclear
from bot.domain.said import Said
from bot.services.kickoff import MAX_ANSWER_CHARS, agreed_version, current_version, targets_of
from bot.services.kickoff.changes import change, withdraw
from bot.services.kickoff.outcomes import Clarify, Noted, Outcome
from bot.store.models import Answer, Feature

# "withdraw", "withdraw my change", "please withdraw the proposal."
WITHDRAW = re.compile(
    r"^\s*(?:please\s+)?withdraw(?:\s+(?:the|my|this|that)\s+(?:change|proposal))?\s*[.!]*\s*$",
    re.IGNORECASE,
)
YES = {"yes", "y", "yep", "yeah", "correct", "right", "that's right", "thats right", "ok"}
NO = {"no", "n", "nope", "wrong", "not quite"}


def answer(
    session: Session,
    clock: Clock,
    feature: Feature,
    user_id: str,
    said: Said,
    *,
    bot_user: str | None = None,
) -> Outcome | None:
    """A reply typed in the kickoff thread. None when there is nothing to answer (chatter)."""
    text = said.text.strip()
    if len(text) > MAX_ANSWER_CHARS:
        return Clarify(
            feature,
            f"That reply is longer than {MAX_ANSWER_CHARS:,} characters, so I didn't "
            "store it. Could you give me the short version?",
        )
    if WITHDRAW.match(text) and feature.stage == REVIEW and agreed_version(feature) is not None:
        return withdraw(session, clock, feature, user_id)
    edit = parsing.parse_edit_request(text)
    if edit is not None:
        step_key, rest = edit
        value_text, _, reason = rest.partition(" because ")
        return change(
            session, clock, feature, user_id, Step(step_key), value_text, reason.strip() or None
        )
    if feature.stage in (REVIEW, AGREED):
        return None
    pending = feature.pending_json
    if pending and pending.get("step") == feature.stage:
        word = text.lower().strip(" .!")
        if word in YES or word in NO:
            return confirm_reading(session, clock, feature, user_id, accept=word in YES)
    return _take_answer(session, clock, feature, user_id, Step(feature.stage), text)


def hold_reading(feature: Feature, step: Step, reading: str, clarify: str) -> None:
    """Keep a language model's reading until someone confirms or rejects it."""
    feature.pending_json = {"step": step.value, "reading": reading, "clarify": clarify}


def confirm_reading(
    session: Session, clock: Clock, feature: Feature, user_id: str, accept: bool
) -> Outcome | None:
    pending = feature.pending_json
    if not pending or pending.get("step") != feature.stage:
        return None  # a stale button: the question has moved on
    feature.pending_json = None
    step = Step(feature.stage)
    if accept:
        return _take_answer(session, clock, feature, user_id, step, str(pending["reading"]))
    return Clarify(feature, str(pending["clarify"]), step)


def choose(
    session: Session, clock: Clock, feature: Feature, user_id: str, step: Step, value: str
) -> Outcome | None:
    """A button press answering a question; a stale button (already answered) is ignored."""
    if feature.stage != step.value:
        return None
    return _take_answer(session, clock, feature, user_id, step, value)


def _take_answer(
    session: Session, clock: Clock, feature: Feature, user_id: str, step: Step, text: str
) -> Outcome:
    now = clock.now()
    result = checklist.parse_answer(step, text)
    version = current_version(feature)
    session.add(
        Answer(
            feature_id=feature.id,
            step=step.value,
            text=text,
            user_id=user_id,
            accepted=isinstance(result, Parsed),
            value_json=(
                {"value": checklist.value_to_json(step, result.value)}
                if isinstance(result, Parsed)
                else None
            ),
            at=now,
        )
    )
    feature.last_activity_at = now
    if isinstance(result, Unclear):
        return Clarify(feature, result.reply, step, reader_unsure=True)
    feature.pending_json = None
    targets = checklist.apply(targets_of(version), step, result.value)
    version.values_json = targets.model_dump(mode="json")
    upcoming = checklist.next_step(targets)
    feature.stage = upcoming.value if upcoming else REVIEW
    return Noted(
        feature,
        targets,
        (step,),
        ask=checklist.QUESTIONS[upcoming] if upcoming else None,
        complete=upcoming is None,
    )
