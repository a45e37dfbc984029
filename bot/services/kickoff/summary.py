"""The kickoff summary is one message, changed in place: the first time every answer is in it is
posted in the thread; after that each change, sign-off or agreement edits that same message
(the thread gets a short line saying what changed instead of another full copy)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.services import outbox
from bot.store.models import Feature, OutboxMessage
from bot.store.states import OutboxStatus

Blocks = list[dict[str, Any]]


def showing(session: Session, feature: Feature) -> OutboxMessage | None:
    """The summary message now in the thread (queued or posted), if any."""
    if feature.summary_outbox_id is None:
        return None
    row = session.get(OutboxMessage, feature.summary_outbox_id)
    if row is None or row.status == OutboxStatus.FAILED:
        return None
    return row


def adopt(session: Session, feature: Feature, ts: str) -> None:
    """A summary pressed in Slack becomes the one to update, if it is ours (summaries posted
    before the bot kept track of them, or an older copy someone scrolled back to)."""
    row = session.scalar(
        select(OutboxMessage).where(
            OutboxMessage.team_id == feature.team_id,
            OutboxMessage.channel_id == feature.channel_id,
            OutboxMessage.feature_id == feature.id,
            OutboxMessage.ts == ts,
        )
    )
    if row is not None:
        feature.summary_outbox_id = row.id


def show(
    session: Session,
    clock: Clock,
    feature: Feature,
    text: str,
    blocks: Blocks,
    *,
    new: bool = False,
) -> bool:
    """Put the summary up to date: edit the one showing, or post it (`new`: a new version is
    proposed, so it gets a message of its own). True when a new message was queued."""
    row = None if new else showing(session, feature)
    if row is not None and row.status == OutboxStatus.PENDING:
        row.text, row.blocks_json = text, blocks  # not sent yet: send the new one instead
        return False
    if row is not None and row.ts:
        outbox.update(
            session,
            clock,
            team_id=feature.team_id,
            channel_id=feature.channel_id,
            ts=row.ts,
            text=text,
            blocks=blocks,
        )
        return False
    if row is not None and row.status == OutboxStatus.SENDING:
        # being posted right now (its ts is a moment away): edit it once it is there
        outbox.update_summary(session, clock, feature, text, blocks)
        return False
    # None yet: a new message.
    posted = outbox.say(session, clock, feature, text, blocks)
    session.flush()
    feature.summary_outbox_id = posted.id
    return True
