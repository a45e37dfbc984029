"""The inbox: a reply that arrives before the kickoff thread's ts is saved waits for it."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from bot.clock import ManualClock
from bot.store.models import Answer, Feature, InboxMessage, OutboxMessage
from tests.support.bot import BotUnderTest

CHANNEL = "C0FEAT"


def wait_inbox(
    bot: BotUnderTest, status: str, attempts: int | None = None, error: str | None = None
) -> InboxMessage:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        bot.runtime.deps.inbox_ready.set()
        with bot.session() as session:
            query = select(InboxMessage).where(InboxMessage.delivery_key.like("event:%"))
            row = session.scalars(query).first()
            if (
                row is not None
                and row.status == status
                and attempts in (None, row.attempts)
                and error in (None, row.last_error)
            ):
                return row
        time.sleep(0.02)
    raise AssertionError(f"no inbox row reached {status}")


def test_reply_racing_the_kickoff_thread_is_retried_not_dropped(
    clocked_bot: BotUnderTest, clock: ManualClock
) -> None:
    bot = clocked_bot
    bot.driver.command("/kickoff", "Support answers", channel_id=CHANNEL)
    bot.settle()
    with bot.session() as session:  # put the bot back in the instant before it saved the ts
        feature = session.scalars(select(Feature)).one()
        real_ts, feature.thread_ts = feature.thread_ts, None
        root = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "kickoff_root")
        ).one()
        root.status = "sending"
        root.next_attempt_at = clock.now() + timedelta(minutes=5)
    assert real_ts is not None
    bot.driver.message(CHANNEL, "10%", thread_ts=real_ts)
    # Waiting for the thread's first message is not a failure: no attempt is spent on it.
    wait_inbox(bot, "pending", attempts=0, error="kickoff thread not recorded yet")
    with bot.session() as session:
        session.scalars(select(Feature)).one().thread_ts = real_ts
        session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "kickoff_root")
        ).one().status = "sent"
    clock.advance(timedelta(seconds=1))
    wait_inbox(bot, "done")
    with bot.session() as session:
        assert [a.text for a in session.scalars(select(Answer))] == ["10%"]


LOOKUP_SECONDS = 1.0  # how long the stand-in takes to say who is in the channel


def write_lock_free(database_url: str) -> bool:
    """Could another connection write now? False while a transaction of the bot holds the
    write lock (SQLite) or sits idle in a transaction for more than a moment (PostgreSQL)."""
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                connection.exec_driver_sql("PRAGMA busy_timeout = 200")
                try:
                    connection.exec_driver_sql("BEGIN IMMEDIATE")
                except OperationalError:
                    return False
                connection.exec_driver_sql("ROLLBACK")
                return True
            held = connection.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND state LIKE 'idle in transaction%' "
                    "AND now() - state_change > interval '200 milliseconds'"
                )
            )
            return held == 0
    finally:
        engine.dispose()


def test_no_slack_call_inside_the_inbox_transaction(bot: BotUnderTest, database_url: str) -> None:
    """An answer in a kickoff thread needs to know its author is in the channel; the lookup,
    slow here, happens while no transaction of the inbox worker is open (before, the claim's
    transaction held SQLite's write lock, or a PostgreSQL row lock, for all of it)."""
    reply = bot.driver.command("/kickoff", "Looked up", user_id="U0PM", channel_id="C0LOOKUP")
    assert reply.status == 200
    bot.settle()
    with bot.session() as session:
        feature = session.scalars(select(Feature).where(Feature.name == "Looked up")).one()
    assert feature.thread_ts is not None
    asked_before = len(bot.slack.calls_to("conversations.members"))
    bot.slack.delay("conversations.members", LOOKUP_SECONDS)
    answer = bot.driver.message("C0LOOKUP", "10%", user="U0PM", thread_ts=feature.thread_ts)
    assert answer.status == 200
    time.sleep(0.5)  # the worker has taken the answer and is waiting for Slack
    assert write_lock_free(bot.runtime.settings.DATABASE_URL)
    bot.settle(timeout=20)
    assert len(bot.slack.calls_to("conversations.members")) > asked_before  # it did ask
    with bot.session() as session:
        stored = session.scalars(select(Answer).where(Answer.feature_id == feature.id)).all()
    assert stored, "the answer was handled once the lookup came back"
