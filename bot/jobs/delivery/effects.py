"""What a sent or refused outbox row means beyond itself.

Sent: a kickoff's root message gives the feature its thread; a report's message marks the report
posted. Refused for good: the row is recorded as failed with Slack's reason, the person is told
where a way exists, and the feature stays usable (a kickoff that could not post its root message
is removed, so its name is free for `/kickoff` again). Effects only write rows, in the loop's
recording transaction: telling someone is itself an outbox row, sent (and failed) on its own.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.domain.mrkdwn import escape
from bot.jobs.delivery.send import BAD_MESSAGE
from bot.services import outbox
from bot.services.outbox import ReplyTarget
from bot.slack.blocks.undelivered import NOTICE_KEY, kickoff_not_started, not_posted, notice
from bot.store.models import Feature, OutboxMessage, Report
from bot.store.states import OutboxKind, ReportStatus

log = logging.getLogger(__name__)


def after_sent(session: Session, row: OutboxMessage, now: datetime) -> None:
    if row.kind == OutboxKind.KICKOFF_ROOT and row.feature_id is not None and row.ts:
        feature = session.get(Feature, row.feature_id)
        if feature is not None:
            feature.thread_ts = row.ts
    if row.report_id is not None and row.kind != OutboxKind.FILE and row.ts:
        report = session.get(Report, row.report_id)
        if report is not None:
            report.status, report.ts, report.posted_at = ReportStatus.POSTED, row.ts, now


def after_failed(session: Session, clock: Clock, row: OutboxMessage, error: str) -> None:
    """The row will never be sent (Slack refused it for good, or we gave up)."""
    log.warning("outbox message %s (%s) not delivered: %s", row.id, row.kind, error)
    if row.report_id is not None and row.kind != OutboxKind.FILE:
        report = session.get(Report, row.report_id)
        if report is not None:
            report.status, report.last_error = ReportStatus.FAILED, error
    if row.kind == OutboxKind.KICKOFF_ROOT:
        _kickoff_not_started(session, clock, row, error)
        return
    if row.kind in (OutboxKind.EPHEMERAL, OutboxKind.RESPONSE) or (row.dedup_key or "").startswith(
        NOTICE_KEY
    ):
        return  # that was the telling (or a notice about another row): nothing more to say
    if error in BAD_MESSAGE:
        # The channel works; our message did not: say so, plainly, where it should have been.
        outbox.post(
            session,
            clock,
            team_id=row.team_id,
            channel_id=row.channel_id,
            text=notice(row.id, error),
            thread_ts=row.thread_ts,
            feature_id=row.feature_id,
            in_feature_thread=row.in_feature_thread,
            dedup_key=f"{NOTICE_KEY}{row.id}",
        )
    elif row.response_url:
        target = ReplyTarget(
            row.team_id, row.channel_id, row.user_id, response_url=row.response_url
        )
        asked = row.asked_json or {}
        told = (
            not_posted(asked["what"], asked.get("kept", ""), error, row.channel_id, row.id)
            if asked.get("what")
            else notice(row.id, error, row.channel_id)
        )
        outbox.ephemeral(session, clock, target, told)
    # Otherwise no way reaches the person now (no token, or not in the channel): App Home and
    # `/align status` show the feature's undelivered message with the fix (outbox.undelivered).


def _kickoff_not_started(session: Session, clock: Clock, row: OutboxMessage, error: str) -> None:
    """Tell the person who ran /kickoff through its response_url (it needs neither a token
    nor channel membership), and remove the half-started feature so the name is free. The
    row stays, without its feature, as the record of what happened."""
    feature = session.get(Feature, row.feature_id) if row.feature_id else None
    name = feature.name if feature is not None else ""
    if row.response_url:
        target = ReplyTarget(
            row.team_id, row.channel_id, row.user_id, response_url=row.response_url
        )
        outbox.ephemeral(
            session, clock, target, kickoff_not_started(escape(name), error, row.channel_id)
        )
    if feature is not None:
        row.feature_id = None
        session.flush()
        session.delete(feature)
