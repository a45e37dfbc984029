"""Listening mode: which threads the bot may reply in, at most once an hour, and the threads
people asked it to stay out of."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.store.listening import ListeningThread
from bot.store.models import Feature, OutboxMessage

REPLY_GAP = timedelta(hours=1)
DEDUP_PREFIX = "reframe:listen:"


def dedup_key(team_id: str, channel_id: str, message_ts: str) -> str:
    """The outbox key of a listening reply; also how a reaction finds the reply's thread."""
    return f"{DEDUP_PREFIX}{team_id}:{channel_id}:{message_ts}"


def _row(session: Session, team_id: str, channel_id: str, thread_ts: str) -> ListeningThread:
    """The thread's row, created if missing, locked for this transaction.

    INSERT … ON CONFLICT DO NOTHING then SELECT … FOR UPDATE: two messages arriving together
    in one thread queue up behind each other instead of both replying (PostgreSQL), and the
    insert takes SQLite's write lock first, which serialises them there."""
    values = {"team_id": team_id, "channel_id": channel_id, "thread_ts": thread_ts}
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(ListeningThread).values(**values).on_conflict_do_nothing())
    row = session.scalar(
        select(ListeningThread)
        .where(
            ListeningThread.team_id == team_id,
            ListeningThread.channel_id == channel_id,
            ListeningThread.thread_ts == thread_ts,
        )
        .with_for_update()
    )
    assert row is not None
    return row


def take_turn(
    session: Session, clock: Clock, team_id: str, channel_id: str, thread_ts: str
) -> bool:
    """True when the bot may reply in this thread now (not muted, quiet for an hour); the
    reply time is recorded in the caller's transaction."""
    row = _row(session, team_id, channel_id, thread_ts)
    now = clock.now()
    if row.muted_at is not None:
        return False
    if row.last_reply_at is not None and now - row.last_reply_at < REPLY_GAP:
        return False
    row.last_reply_at = now
    return True


def thread_of_reply(session: Session, team_id: str, channel_id: str, ts: str) -> str | None:
    """The thread a listening reply with this ts was posted in; None for any other message."""
    return session.scalar(
        select(OutboxMessage.thread_ts).where(
            OutboxMessage.team_id == team_id,
            OutboxMessage.channel_id == channel_id,
            OutboxMessage.ts == ts,
            OutboxMessage.dedup_key.startswith(DEDUP_PREFIX),
        )
    )


def mute(
    session: Session, clock: Clock, team_id: str, channel_id: str, thread_ts: str, user_id: str
) -> bool:
    """Stay out of this thread from now on; False when it already was muted."""
    row = _row(session, team_id, channel_id, thread_ts)
    if row.muted_at is not None:
        return False
    row.muted_at, row.muted_by = clock.now(), user_id[:32]
    return True


def set_listening(feature: Feature, on: bool) -> None:
    """Turn listening mode on or off for the feature's channel (the caller announces it)."""
    feature.listening = on
