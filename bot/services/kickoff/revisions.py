"""A kickoff reply edited or deleted in Slack after it was read. What was noted from it stands:
an edit or a deletion never changes stored answers behind the others' backs (they may have
read, even signed, those numbers); the thread is told what still counts and how to change it.
Slack-free."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain import checklist
from bot.domain.checklist import Step
from bot.domain.said import Said
from bot.services.kickoff import MAX_ANSWER_CHARS, agreed_version, current_version, targets_of
from bot.services.kickoff.outcomes import Clarify
from bot.store.models import Answer, Feature


def revised(
    session: Session, feature: Feature, user_id: str, before: Said, *, deleted: bool
) -> Clarify | None:
    """The line for the thread about a reply `user_id` edited or deleted (`before` is what it
    said when it was read), or None when nothing was noted from it: an edited one is then
    read as if just posted."""
    text = before.strip().text[:MAX_ANSWER_CHARS]
    steps = list(
        dict.fromkeys(
            session.scalars(
                select(Answer.step)
                .where(
                    Answer.feature_id == feature.id,
                    Answer.user_id == user_id,
                    Answer.text == text,
                    Answer.accepted,
                )
                .order_by(Answer.id)
            )
        )
    )
    if not steps:
        return None
    targets = targets_of(current_version(feature))
    stands = "; ".join(checklist.said_back(targets, Step(step)) for step in steps)
    change = f"`change {checklist.ITEMS[Step(steps[0])].label} to …`"
    if agreed_version(feature) is not None:
        change += " with a reason (`… because …`)"
    did = "deleted" if deleted else "edited"
    return Clarify(
        feature,
        f"You {did} a reply I had already read. Edits and deletions aren't read again, so "
        f"what I noted from it still stands: {stands}. To change it, reply {change}.",
    )
